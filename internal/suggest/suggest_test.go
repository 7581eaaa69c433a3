package suggest

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"on-falure", "on-failure", 1},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"never", "on-failure", "always"}
	for in, want := range map[string]string{"on-failur": "on-failure", "ALWAYS": "always", "sometimes": "", "x": ""} {
		if got := Closest(in, names, 4); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
}
