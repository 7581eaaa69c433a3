package hyperstart

import (
	"testing"
)

// TestVMOutputStreams: a container's stdout and stderr reach the console
// apart, each line prefixed by the console grammar even in a pod of one
// container, so that the host can send each to its own stream.
func TestVMOutputStreams(t *testing.T) {
	e := requireVM(t)
	p := busyboxPod("streams", shContainer("app", "echo to-stdout; echo to-stderr >&2; printf 'no newline'; exit 0"))
	r := e.bootPod(t, p, bootOpts{append: "hyper.debug=0"})
	for _, want := range []string{"app | to-stdout", "app ! to-stderr", "app | no newline"} {
		if !hasLine(r.Raw, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if hasLine(r.Raw, "to-stdout") || hasLine(r.Raw, "app | to-stderr") {
		t.Error("a line without its prefix, or stderr on the stdout stream")
	}
}

func hasLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
