package hyperstart

import (
	"strings"

	"github.com/hyperbuild/hyper/contract"
)

// Cmdline is what hyperstart takes from the kernel command line.
type Cmdline struct {
	Debug   bool
	IP      string   // CIDR, hyper.ip=
	Gateway string   // hyper.gw=
	DNS     []string // hyper.dns=A,B
}

// ParseCmdline reads the keys of contract.Cmdline* from a kernel command
// line (/proc/cmdline). Unknown words are ignored; the last value wins.
// "hyper.debug", "hyper.debug=1" and "hyper.debug=true" turn debugging on.
func ParseCmdline(s string) Cmdline {
	var c Cmdline
	for _, w := range strings.Fields(s) {
		k, v, hasValue := strings.Cut(w, "=")
		switch k {
		case contract.CmdlineDebug:
			c.Debug = !hasValue || v == "1" || v == "true" || v == "on" || v == "yes"
		case contract.CmdlineIP:
			c.IP = v
		case contract.CmdlineGateway:
			c.Gateway = v
		case contract.CmdlineDNS:
			c.DNS = nil
			for _, d := range strings.Split(v, ",") {
				if d != "" {
					c.DNS = append(c.DNS, d)
				}
			}
		}
	}
	return c
}
