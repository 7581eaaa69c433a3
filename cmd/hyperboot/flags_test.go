package main

import (
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/contract"
)

func TestParsePort(t *testing.T) {
	tests := []struct {
		in   string
		want contract.Port
		err  string // a part of the error; "" for none
	}{
		{in: "8080:80", want: contract.Port{Host: 8080, Guest: 80, Protocol: "tcp"}},
		{in: "5353:53/udp", want: contract.Port{Host: 5353, Guest: 53, Protocol: "udp"}},
		{in: "5353:53/UDP", want: contract.Port{Host: 5353, Guest: 53, Protocol: "udp"}},
		{in: "127.0.0.1:8080:80", want: contract.Port{Address: "127.0.0.1", Host: 8080, Guest: 80, Protocol: "tcp"}},
		{in: "0.0.0.0:8080:80/tcp", want: contract.Port{Address: "0.0.0.0", Host: 8080, Guest: 80, Protocol: "tcp"}},
		{in: "[::1]:8080:80", want: contract.Port{Address: "::1", Host: 8080, Guest: 80, Protocol: "tcp"}},
		{in: "[0:0::1]:8080:80/udp", want: contract.Port{Address: "::1", Host: 8080, Guest: 80, Protocol: "udp"}},
		{in: "[::]:1:2", want: contract.Port{Address: "::", Host: 1, Guest: 2, Protocol: "tcp"}},
		{in: "80", err: "want [IP:]HOST:GUEST"},
		{in: "1:70000", err: "1..65535"},
		{in: "0:80", err: "1..65535"},
		{in: "a:80", err: "1..65535"},
		{in: "8080:80/sctp", err: `protocol "sctp"`},
		{in: "8080:80/", err: `protocol ""`},
		{in: "localhost:8080:80", err: `"localhost" is not an IP address`},
		{in: "[fe80::1%eth0]:8080:80", err: "is not an IP address"},
		{in: "::1:8080:80", err: "write an IPv6 address in brackets: [::1]:HOST:GUEST"},
		{in: "[::1]8080:80", err: "want [IP:]HOST:GUEST"},
		{in: "127.0.0.1::80", err: "1..65535"},
		{in: ":8080:80", err: "want [IP:]HOST:GUEST"},
	}
	for _, tt := range tests {
		got, err := parsePort(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("parsePort(%q) = %+v, %v; want an error naming it and saying %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parsePort(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}
