package suggest

import "strings"

// Closest returns the name in names nearest to s (case-insensitive), if
// it is fewer than within edits away and not a complete rewrite; else "".
func Closest(s string, names []string, within int) string {
	best, bestD := "", within
	ls := strings.ToLower(s)
	for _, n := range names {
		if d := Distance(ls, strings.ToLower(n)); d < bestD && d < len(n) {
			best, bestD = n, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
