package units

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors of ParseSize beyond bad syntax, for callers that word them.
var (
	ErrTooLarge = errors.New("too large")
	ErrFraction = errors.New("not a whole number of bytes")
)

var suffixes = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1000, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1000 * 1000, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1000 * 1000 * 1000, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1000 * 1000 * 1000 * 1000, "tib": 1 << 40,
}

// ParseSize reads a non-negative size. Bare K/M/G/T and KiB/MiB/GiB/TiB
// are powers of 1024; kB/MB/GB/TB are powers of 1000.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q: want a number with an optional unit, e.g. 64MiB", s)
	}
	mult, ok := suffixes[strings.ToLower(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, KiB, MiB, GiB, TiB, or kB, MB, GB, TB)", s, t[i:])
	}
	n, err := strconv.ParseFloat(t[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	v := n * float64(mult)
	if v > float64(1<<62) {
		return 0, fmt.Errorf("size %q: %w", s, ErrTooLarge)
	}
	if v != float64(int64(v)) {
		return 0, fmt.Errorf("size %q: %w", s, ErrFraction)
	}
	return int64(v), nil
}

// Human writes n bytes with a binary unit, e.g. "3.2 MiB".
func Human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
