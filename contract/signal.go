package contract

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// signals are Linux x86-64 signal numbers by name. They are spelled out
// here rather than taken from syscall so that the host side (any OS)
// validates names exactly as the guest will interpret them.
var signals = map[string]int{
	"SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5,
	"SIGABRT": 6, "SIGBUS": 7, "SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10,
	"SIGSEGV": 11, "SIGUSR2": 12, "SIGPIPE": 13, "SIGALRM": 14, "SIGTERM": 15,
	"SIGSTKFLT": 16, "SIGCHLD": 17, "SIGCONT": 18, "SIGSTOP": 19, "SIGTSTP": 20,
	"SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23, "SIGXCPU": 24, "SIGXFSZ": 25,
	"SIGVTALRM": 26, "SIGPROF": 27, "SIGWINCH": 28, "SIGIO": 29, "SIGPWR": 30,
	"SIGSYS": 31,
}

// ParseSignal accepts "SIGTERM", "TERM", "sigterm" or a number 1..64
// (real-time signals included) and returns the canonical name ("SIGTERM",
// or "SIGRTMIN+N"/the number as text for others) and the signal number.
func ParseSignal(s string) (name string, num int, err error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	if n, err := strconv.Atoi(t); err == nil {
		if n < 1 || n > 64 {
			return "", 0, fmt.Errorf("signal %q: number out of range 1..64", s)
		}
		for k, v := range signals {
			if v == n {
				return k, n, nil
			}
		}
		return strconv.Itoa(n), n, nil
	}
	if !strings.HasPrefix(t, "SIG") {
		t = "SIG" + t
	}
	if n, ok := signals[t]; ok {
		return t, n, nil
	}
	return "", 0, fmt.Errorf("signal %q: unknown (known: %s)", s, strings.Join(SignalNames(), ", "))
}

// SignalNames lists the known signal names in numeric order.
func SignalNames() []string {
	names := make([]string, 0, len(signals))
	for k := range signals {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return signals[names[i]] < signals[names[j]] })
	return names
}
