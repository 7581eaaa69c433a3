package ext4

import (
	"testing"
	"time"
)

func TestTimestampEncode(t *testing.T) {
	for _, tc := range []struct {
		t         time.Time
		lo, extra uint32
	}{
		{time.Unix(0, 0), 0, 0},
		{time.Unix(-1, 999999999), 0xffffffff, 999999999 << 2},
		{time.Date(1901, 12, 13, 20, 45, 52, 0, time.UTC), 0x80000000, 0},
		{time.Date(2038, 1, 19, 3, 14, 8, 0, time.UTC), 0x80000000, 1},
		{time.Date(2100, 1, 1, 0, 0, 0, 1, time.UTC), 0xf4865700, 1<<2 | 1},
		{time.Date(2242, 3, 16, 12, 56, 32, 0, time.UTC), 0, 2},
		{time.Unix(maxTime, 5), 0x7fffffff, 5<<2 | 2},
		{time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC), 0x7fffffff, 999999999<<2 | 2}, // clamped
		{time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), 0x80000000, 0},                // clamped
	} {
		lo, extra := makeTimestamp(tc.t).encode()
		if lo != tc.lo || extra != tc.extra {
			t.Errorf("%v: got %#x:%#x, want %#x:%#x", tc.t, lo, extra, tc.lo, tc.extra)
		}
		if tc.t.Unix() >= minTime && tc.t.Unix() <= maxTime {
			sec := int64(int32(lo)) + int64(extra&3)<<32
			if got := time.Unix(sec, int64(extra>>2)); !got.Equal(tc.t) {
				t.Errorf("%v: decodes as %v", tc.t, got)
			}
		}
	}
}
