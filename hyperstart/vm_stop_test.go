package hyperstart

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// qmp sends QMP commands to a QEMU started with -qmp unix:sock,server=on,wait=off.
func qmp(sock string, commands ...string) error {
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil { // greeting
		return fmt.Errorf("qmp greeting: %w", err)
	}
	for _, cmd := range append([]string{"qmp_capabilities"}, commands...) {
		fmt.Fprintf(c, `{"execute":%q}`+"\n", cmd)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("qmp %s: %w", cmd, err)
			}
			if strings.Contains(line, `"return"`) {
				break
			}
			if strings.Contains(line, `"error"`) {
				return fmt.Errorf("qmp %s: %s", cmd, line)
			}
		}
	}
	return nil
}

// QEMU's system_powerdown on q35 raises the ACPI power button: hyperstart
// stops the pod gracefully.
func TestVMPowerButton(t *testing.T) {
	e := requireVM(t)
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	c := shContainer("app", `trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done`)
	c.Restart = contract.RestartAlways
	var qmpErr error
	sent := false
	r := e.bootPod(t, busyboxPod("power", c), bootOpts{
		qemu: []string{"-qmp", "unix:" + sock + ",server=on,wait=off"},
		onLine: func(line string) {
			if !sent && line == "ready" {
				sent = true
				time.Sleep(500 * time.Millisecond)
				qmpErr = qmp(sock, "system_powerdown")
			}
		},
	})
	if qmpErr != nil {
		t.Fatalf("system_powerdown: %v", qmpErr)
	}
	for _, want := range []string{"hyperstart: stopping the pod (power button)", "got TERM"} {
		if !r.has(want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if r.Status != 0 || r.Exit != debugExit(0) {
		t.Errorf("pod status %d, qemu exit %d; want 0, %d", r.Status, r.Exit, debugExit(0))
	}
}

func TestVMNetwork(t *testing.T) {
	e := requireVM(t)
	script := `echo "addr $(ip -4 addr show eth0 | grep -o 'inet [0-9./]*')"
echo "route $(ip route | grep default)"
echo "resolv $(tr '\n' ' ' < /etc/resolv.conf)"`
	nic := []string{"-nic", "user,model=virtio-net-pci"}
	tests := []struct {
		name, append string
		want         []string
	}{
		{"static", "hyper.ip=10.0.2.42/24 hyper.gw=10.0.2.2 hyper.dns=10.0.2.3",
			[]string{"addr inet 10.0.2.42/24", "route default via 10.0.2.2 dev eth0", "resolv nameserver 10.0.2.3"}},
		{"dhcp", "",
			[]string{"addr inet 10.0.2.15/24", "route default via 10.0.2.2 dev eth0", "resolv nameserver 10.0.2.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.bootPod(t, busyboxPod("net", shContainer("app", script)), bootOpts{append: tt.append, qemu: nic})
			for _, want := range tt.want {
				found := false
				for _, l := range r.Lines {
					found = found || strings.HasPrefix(l, want)
				}
				if !found {
					t.Errorf("console lacks a line starting %q", want)
				}
			}
		})
	}
}
