package contract

import "testing"

func TestPortString(t *testing.T) {
	tests := []struct {
		p    Port
		want string
	}{
		{Port{Host: 8080, Guest: 80, Protocol: "tcp"}, "127.0.0.1:8080 -> 80/tcp"},
		{Port{Host: 53, Guest: 53, Protocol: "UDP", Address: "0.0.0.0"}, "0.0.0.0:53 -> 53/udp"},
		{Port{Host: 8080, Guest: 80, Address: "::1"}, "[::1]:8080 -> 80/tcp"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}
