package hyperstart

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// fakePorts makes a sysfs virtio-ports directory: name -> port name.
func fakePorts(t *testing.T, ports map[string]string) (sys, dev string) {
	t.Helper()
	sys, dev = filepath.Join(t.TempDir(), "sys"), t.TempDir()
	for vport, name := range ports {
		d := filepath.Join(sys, vport)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "name"), []byte(name+"\n"), 0o644)
		os.WriteFile(filepath.Join(d, "dev"), []byte("250:1\n"), 0o644)
	}
	return sys, dev
}

func TestFindAgentPort(t *testing.T) {
	sys, dev := fakePorts(t, map[string]string{"vport0p0": "", "vport0p1": contract.AgentPort, "vport1p1": "org.other.0"})
	// devtmpfs made the node.
	node := filepath.Join(dev, "vport0p1")
	os.WriteFile(node, nil, 0o600)
	if got, err := findAgentPort(sys, dev); err != nil || got != node {
		t.Errorf("findAgentPort = %q, %v; want %s", got, err, node)
	}
	// No such port, or no virtio-ports at all.
	sys2, _ := fakePorts(t, map[string]string{"vport0p1": "org.other.0"})
	for _, dir := range []string{sys2, filepath.Join(t.TempDir(), "absent")} {
		if _, err := findAgentPort(dir, dev); !errors.Is(err, errNoAgentPort) {
			t.Errorf("findAgentPort(%s) = %v, want errNoAgentPort", dir, err)
		}
	}
}

// Without the node, it is made from sysfs's dev file.
func TestFindAgentPortMakesNode(t *testing.T) {
	sys, dev := fakePorts(t, map[string]string{"vport2p1": contract.AgentPort})
	got, err := findAgentPort(sys, dev)
	if errors.Is(err, unix.EPERM) {
		t.Skipf("cannot make device nodes here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(got, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 250 || unix.Minor(st.Rdev) != 1 || st.Mode&0o777 != 0o600 {
		t.Errorf("%s: mode %o, device %d:%d; want a 0600 character device 250:1", got, st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	os.WriteFile(filepath.Join(sys, "vport2p1", "dev"), []byte("junk"), 0o644)
	os.Remove(got)
	if _, err := findAgentPort(sys, dev); err == nil {
		t.Errorf("a malformed dev file: no error")
	}
}

// A container whose main process has just gone is not running.
func TestStartExecGoneProcess(t *testing.T) {
	c := &contract.Container{Name: "web", Process: &contract.Process{Args: []string{"sh"}}}
	_, err := startExec(NewLog(os.Stderr, false), &contract.Pod{}, c, 1<<30, &contract.ExecRequest{Args: []string{"true"}}, &ExecIO{}, -1)
	if !errors.Is(err, ErrNotRunning) || errorCode(err) != contract.CodeConflict {
		t.Errorf("startExec with a gone main process = %v, want ErrNotRunning (a conflict)", err)
	}
}
