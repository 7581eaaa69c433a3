package qemu

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// agentEcho finds the agent port by its name, as hyperstart does, and
// answers one line on it.
const agentEcho = `
port=
for d in /sys/class/virtio-ports/vport*; do
	[ "$(cat $d/name 2>/dev/null)" = ` + contract.AgentPort + ` ] && port=/dev/${d##*/}
done
echo "agent-port=$port"
exec 3<>$port
read line <&3
echo "guest got $line" >&3
pod_exit 0
`

// TestVMAgentPort: the guest finds a virtio-serial port named
// contract.AgentPort, on microvm (virtio-mmio) and q35 (PCI), and bytes
// go both ways between it and Machine.Agent's connection; the host's
// bytes, sent before the guest opens the port, wait for it.
func TestVMAgentPort(t *testing.T) {
	for _, m := range []string{Microvm, Q35} {
		t.Run(m, func(t *testing.T) {
			out := newWatch("")
			machine, err := (&Backend{Machine: m}).Start(testCtx(t), testBoot(t, agentEcho, out))
			if err != nil {
				t.Fatal(err)
			}
			defer machine.Kill()
			conn, err := machine.Agent(testCtx(t))
			if err != nil {
				t.Fatalf("Agent: %v (console %q)", err, out.String())
			}
			defer conn.Close()
			// Nobody else on the host reaches the channel.
			sock := machine.(*vm).agentPath
			for path, want := range map[string]os.FileMode{sock: 0o600, filepath.Dir(sock): 0o700} {
				if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
					t.Errorf("%s: %v, %v; want mode %v", path, fi.Mode(), err, want)
				}
			}
			if _, err := conn.Write([]byte("hello\n")); err != nil {
				t.Fatal(err)
			}
			got := make(chan string, 1)
			go func() {
				l, _ := bufio.NewReader(conn).ReadString('\n')
				got <- l
			}()
			select {
			case l := <-got:
				if l != "guest got hello\n" {
					t.Errorf("the guest answered %q, want %q (console %q)", l, "guest got hello\n", out.String())
				}
			case <-time.After(2 * time.Minute):
				t.Fatalf("no answer on the agent port (console %q)", out.String())
			}
			res, err := machine.Wait()
			if err != nil || res.Status != 0 || !strings.Contains(out.String(), "agent-port=/dev/vport") {
				t.Errorf("Wait = %+v, %v; console %q", res, err, out.String())
			}
		})
	}
}
