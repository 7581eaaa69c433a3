package runner

import (
	"fmt"
	"strings"
)

// Net modes.
const (
	NetUser = "user" // rootless NAT with port forwarding (QEMU slirp; kvm: runner/usernet)
	NetTap  = "tap"  // an existing tap device, by name (root)
	NetNone = "none" // no network device at all
)

// ParseNet splits a Boot.Net value into its mode and, for "tap:NAME", the
// device name. The empty string means "user".
func ParseNet(s string) (mode, tap string, err error) {
	switch {
	case s == "" || s == NetUser:
		return NetUser, "", nil
	case s == NetNone:
		return NetNone, "", nil
	case strings.HasPrefix(s, NetTap+":") && len(s) > len(NetTap)+1:
		return NetTap, s[len(NetTap)+1:], nil
	}
	return "", "", fmt.Errorf("net %q: %w (want user, none or tap:NAME)", s, ErrBadNet)
}
