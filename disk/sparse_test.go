package disk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

func TestCopySparse(t *testing.T) {
	const c = sparseChunk
	data := func(n int) []byte { return bytes.Repeat([]byte{7}, n) }
	zeros := func(n int) []byte { return make([]byte, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := [][]byte{
		{},
		data(1),
		zeros(3 * c),
		cat(data(c), zeros(2*c), data(c/2)),
		cat(zeros(c), data(17*c+5)),
		cat(data(16*c), zeros(16*c), data(1), zeros(c-1), data(c)),
		cat(zeros(c-1), data(1), zeros(20*c)),
	}
	for i, in := range tests {
		p := filepath.Join(t.TempDir(), "out")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		const off = 3 * c
		f.Truncate(off + int64(len(in)))
		h := sha256.New()
		n, err := copySparse(context.Background(), f, off, bytes.NewReader(in), h)
		f.Close()
		if err != nil || n != int64(len(in)) {
			t.Fatalf("case %d: n = %d, err = %v", i, n, err)
		}
		got := mustRead(t, p)[off:]
		if !bytes.Equal(got, in) {
			t.Errorf("case %d: copy differs", i)
		}
		if want := sha256.Sum256(in); !bytes.Equal(h.Sum(nil), want[:]) {
			t.Errorf("case %d: hash differs", i)
		}
	}
}
