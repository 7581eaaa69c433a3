package spec

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/suggest"
	"github.com/hyperbuild/hyper/internal/units"
)

const sizeHelp = `write a whole number with an optional unit: "256MiB", "64M", "1G" or a number of bytes (K, M, G, T and KiB, MiB, GiB, TiB are powers of 1024; KB, MB, GB, TB powers of 1000)`

// parseSize reads "256MiB", "64M", "1G", "1.5GiB" or "4096" into bytes.
func parseSize(s string) (int64, error) {
	n, err := units.ParseSize(s)
	switch {
	case errors.Is(err, units.ErrTooLarge):
		return 0, fmt.Errorf("%w %q: too large", ErrSize, s)
	case errors.Is(err, units.ErrFraction):
		return 0, fmt.Errorf("%w %q: not a whole number of bytes", ErrSize, s)
	case err != nil:
		return 0, fmt.Errorf("%w %q: %s", ErrSize, s, sizeHelp)
	}
	return n, nil
}

// parseDuration reads a Go duration ("10s", "1m30s"), non-negative.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		hint := `write a number with a unit: "10s", "500ms", "1m30s"`
		if _, nerr := strconv.ParseFloat(strings.TrimSpace(s), 64); nerr == nil {
			hint = fmt.Sprintf("a duration needs a unit: %q", strings.TrimSpace(s)+"s")
		}
		return 0, fmt.Errorf("%w %q: %s", ErrDuration, s, hint)
	}
	if d < 0 {
		return 0, fmt.Errorf("%w %q: must not be negative", ErrDuration, s)
	}
	return d, nil
}

// parseMode reads an octal permission string such as "0644" or "755".
func parseMode(s string) (uint32, error) {
	m, err := strconv.ParseUint(strings.TrimSpace(s), 8, 32)
	if err != nil || m > 0o7777 || strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("%w %q: write an octal string such as \"0644\" or \"0755\"", ErrMode, s)
	}
	return uint32(m), nil
}

var (
	userPart = `([0-9]+|[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?)`
	userRE   = regexp.MustCompile(`^` + userPart + `(:` + userPart + `)?$`)
	ownerRE  = regexp.MustCompile(`^([0-9]+)(:([0-9]+))?$`)
)

// checkUser checks a container user: "uid[:gid]" or "name[:group]" (any
// mix); names are resolved in the image's /etc/passwd when it runs. The
// guest's own rule (contract.CheckUser: ids up to contract.MaxID) comes
// first; the pattern then keeps names to what useradd accepts.
func checkUser(s string) error {
	if s == "" {
		return fmt.Errorf("%w \"\": write uid[:gid] or name[:group], e.g. \"1000:1000\" or \"nobody\"", ErrUser)
	}
	if err := contract.CheckUser(s); err != nil {
		return fmt.Errorf("%w %q: %v", ErrUser, s, err)
	}
	if !userRE.MatchString(s) {
		return fmt.Errorf("%w %q: write uid[:gid] or name[:group], e.g. \"1000:1000\" or \"nobody\"", ErrUser, s)
	}
	return nil
}

// parseOwner reads a file owner: numeric "uid[:gid]"; a lone uid is
// also the gid ("1000" is 1000:1000).
func parseOwner(s string) (uid, gid int, err error) {
	m := ownerRE.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("%w %q: a file owner is numeric uid[:gid], e.g. \"1000:1000\" (names need the image's /etc/passwd)", ErrUser, s)
	}
	u, uerr := strconv.ParseUint(m[1], 10, 32)
	g, gerr := u, error(nil)
	if m[3] != "" {
		g, gerr = strconv.ParseUint(m[3], 10, 32)
	}
	if uerr != nil || gerr != nil || u > math.MaxUint32-1 || g > math.MaxUint32-1 {
		return 0, 0, fmt.Errorf("%w %q: id out of range", ErrUser, s)
	}
	return int(u), int(g), nil
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// checkName checks a pod, container or volume name: it becomes a
// directory name and a hostname, so it is a DNS-label-like word.
func checkName(s string) error {
	if len(s) > MaxNameLen {
		return fmt.Errorf("%w %q: longer than %d characters", ErrName, s, MaxNameLen)
	}
	if !nameRE.MatchString(s) {
		return fmt.Errorf("%w %q: use lower-case letters, digits, '-', '_' and '.', starting with a letter or digit", ErrName, s)
	}
	return nil
}

var hostLabelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)

// checkHostname checks an RFC 1123 host name of at most 64 bytes (the
// kernel's limit).
func checkHostname(s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("%w %q: must be 1 to 64 characters", ErrHostname, s)
	}
	for _, l := range strings.Split(s, ".") {
		if !hostLabelRE.MatchString(l) {
			return fmt.Errorf("%w %q: use letters, digits and '-' in dot-separated labels", ErrHostname, s)
		}
	}
	return nil
}

// checkAbsPath checks a path inside a container: absolute, clean, not
// the root itself.
func checkAbsPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%w %q: must be absolute (start with /)", ErrPath, p)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("%w %q: contains a NUL byte", ErrPath, p)
	case path.Clean(p) != p:
		return fmt.Errorf("%w %q: not clean; write %q", ErrPath, p, path.Clean(p))
	case p == "/":
		return fmt.Errorf("%w %q: must name something below /", ErrPath, p)
	}
	return nil
}

func checkPort(n int) error {
	if n < 1 || n > 65535 {
		return fmt.Errorf("%w %d: must be between 1 and 65535", ErrPort, n)
	}
	return nil
}

// parsePortAddress reads the host address a published port listens on:
// an IPv4 or IPv6 address without a zone, returned in canonical form; ""
// stays "" (contract.DefaultPortAddress, loopback).
func parsePortAddress(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return "", fmt.Errorf("%w %q: write an IPv4 address such as \"0.0.0.0\" or \"192.168.1.10\" (default %s, this host only)", ErrAddress, s, contract.DefaultPortAddress)
	}
	ip = ip.Unmap()
	if ip.Is6() {
		// Both backends forward ports through QEMU's user network (7.2),
		// which listens on IPv4 only: a pod that validates must boot.
		return "", fmt.Errorf("%w %q: ports listen on IPv4 addresses only for now (QEMU's user network cannot forward from IPv6); write \"0.0.0.0\" for every interface", ErrAddress, s)
	}
	return ip.String(), nil
}

// ulimitHelp says how a ulimit's limit is written, in both formats.
const ulimitHelp = `a limit is a whole number from 0 to 18446744073709551615, or "unlimited"`

// parseLimit reads a ulimit's limit written as text: "unlimited" or a
// whole number.
func parseLimit(s string) (uint64, error) {
	if s == "unlimited" {
		return contract.Unlimited, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		hint := ulimitHelp
		if s == "-1" || s == "infinity" {
			hint = `write "unlimited" for no limit`
		}
		return 0, fmt.Errorf("%w %q: %s", ErrUlimit, s, hint)
	}
	return n, nil
}

// checkUlimitName checks a ulimit's name against the contract's list,
// suggesting the closest name for a typo.
func checkUlimitName(name string) error {
	if _, ok := contract.UlimitResources[name]; ok {
		return nil
	}
	names := make([]string, 0, len(contract.UlimitResources))
	for n := range contract.UlimitResources {
		names = append(names, n)
	}
	sort.Strings(names)
	if m := suggest.Closest(name, names, 4); m != "" {
		return fmt.Errorf("%w %q: unknown resource; did you mean %q?", ErrUlimit, name, m)
	}
	return fmt.Errorf("%w %q: unknown resource; use one of %s", ErrUlimit, name, strings.Join(names, ", "))
}

// makeUlimit builds a ulimit from the limits given: a missing soft or
// hard limit is the other one, as Docker's --ulimit nofile=N sets both.
// The caller has checked that at least one is given.
func makeUlimit(name string, soft, hard *uint64) (contract.Ulimit, error) {
	u := contract.Ulimit{Name: name}
	switch {
	case soft != nil && hard != nil:
		u.Soft, u.Hard = *soft, *hard
	case soft != nil:
		u.Soft, u.Hard = *soft, *soft
	case hard != nil:
		u.Soft, u.Hard = *hard, *hard
	}
	if err := u.Check(); err != nil {
		return u, fmt.Errorf("%w: %s", ErrUlimit, strings.TrimPrefix(err.Error(), "ulimit "))
	}
	return u, nil
}

func parseProtocol(s string) (string, error) {
	switch p := strings.ToLower(s); p {
	case "tcp", "udp":
		return p, nil
	}
	return "", fmt.Errorf("%w %q: use \"tcp\" or \"udp\"", ErrProtocol, s)
}

var restartPolicies = []string{string(contract.RestartNever), string(contract.RestartOnFailure), string(contract.RestartAlways)}

func parseRestart(s string) (contract.RestartPolicy, error) {
	if p := contract.RestartPolicy(s); p.Valid() {
		return p, nil
	}
	hint := ""
	if m := suggest.Closest(s, restartPolicies, 4); m != "" {
		hint = fmt.Sprintf("; did you mean %q?", m)
	}
	return "", fmt.Errorf("%w %q: use one of %s%s", ErrRestart, s, strings.Join(restartPolicies, ", "), hint)
}

func checkPlatform(s string) error {
	if s != DefaultPlatform {
		return fmt.Errorf("%w %q: hyper boots %s guests only", ErrPlatform, s, DefaultPlatform)
	}
	return nil
}

// suggest returns the name closest to s, if it is close enough to be a
// typo of it.
