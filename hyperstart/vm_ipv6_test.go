package hyperstart

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// TestVMIPv6 boots a pod whose server listens on [::]:8080 only: a
// container reaches it on ::1 and on 127.0.0.1 (a dual-stack socket takes
// IPv4), and the host through the published port (QEMU's user network
// forwards to the guest's IPv4 address). lo has ::1 and eth0 a link-local
// address.
func TestVMIPv6(t *testing.T) {
	e := requireVM(t)
	server := shContainer("server", `mkdir -p /www/cgi-bin
echo served-from-v6-socket > /www/index.html
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "host came from $REMOTE_ADDR"\ntouch /tmp/host-came\n' > /www/cgi-bin/host
chmod 755 /www/cgi-bin/host
httpd -f -p '[::]:8080' -h /www &
# 1F90 is 8080, 0A is LISTEN: the socket is an IPv6 one on [::].
for i in $(seq 100); do grep -q ' 00000000000000000000000000000000:1F90 [0-9A-F:]* 0A ' /proc/net/tcp6 && break; sleep 0.1; done
grep -q ':1F90 ' /proc/net/tcp && echo "also an IPv4 socket"
echo listening on v6
for i in $(seq 600); do [ -e /tmp/host-came ] && [ -e /shared/client-done ] && break; sleep 0.1; done
[ -e /tmp/host-came ] && echo "the host came" || echo "the host never came"`)
	server.Mounts = []contract.Mount{{Volume: "shared", Path: "/shared"}}
	client := shContainer("client", `for i in $(seq 100); do grep -q ':1F90 [0-9A-F:]* 0A ' /proc/net/tcp6 && break; sleep 0.1; done
echo "lo: $(ip -6 addr show dev lo | grep -o 'inet6 [^ ]*')"
for i in $(seq 50); do ip -6 addr show dev eth0 | grep -q 'inet6 fe80' && break; sleep 0.1; done
echo "eth0: $(ip -6 addr show dev eth0 | grep -o 'inet6 fe80::[^ ]* scope link')"
echo "via ::1: $(wget -q -O - 'http://[::1]:8080/')"
echo "via 127.0.0.1: $(wget -q -O - http://127.0.0.1:8080/)"
echo "via localhost: $(wget -q -O - http://localhost:8080/)"
touch /shared/client-done`)
	client.Mounts = server.Mounts
	client.Process.User = "app"
	port := freeTCPPort(t)
	nic := []string{"-nic", fmt.Sprintf("user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:%d-:8080", port)}
	hostGot := make(chan string, 1)
	onLine := func(l string) {
		if l == "server | listening on v6" {
			go func() { hostGot <- hostGet(fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/host", port)) }()
		}
	}
	p := busyboxPod("ipv6", server, client)
	p.Volumes = []contract.Volume{{Name: "shared", Type: contract.VolumeTmpfs}}
	r := e.bootPod(t, p, bootOpts{qemu: nic, onLine: onLine})
	for _, want := range []string{
		"client | lo: inet6 ::1/128",
		"client | via ::1: served-from-v6-socket",
		"client | via 127.0.0.1: served-from-v6-socket",
		"client | via localhost: served-from-v6-socket",
		"server | the host came",
	} {
		if !r.has(want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if !r.contains("client | eth0: inet6 fe80::") {
		t.Errorf("eth0 has no link-local IPv6 address")
	}
	if r.has("server | also an IPv4 socket") {
		t.Errorf("the server has an IPv4 socket besides [::]: the test proves nothing")
	}
	select {
	case got := <-hostGot:
		if !strings.HasPrefix(got, "host came from ") {
			t.Errorf("host GET through the published port: %s", got)
		}
		t.Logf("published port: %s", got)
	default:
		t.Errorf("the host never tried the published port (the server never said it listened)")
	}
	if r.Status != 0 {
		t.Errorf("pod status %d, want 0", r.Status)
	}
}

// freeTCPPort is a port on 127.0.0.1 nobody listened on a moment ago.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hostGet fetches url, retrying while the forward is not up yet; it
// returns the body or what went wrong.
func hostGet(url string) string {
	c := &http.Client{Timeout: 10 * time.Second}
	var err error
	for i := 0; i < 50; i++ {
		var resp *http.Response
		resp, err = c.Get(url)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				return strings.TrimSpace(string(b))
			}
			err = fmt.Errorf("status %s, body %q, %v", resp.Status, b, rerr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "error: " + err.Error()
}

// TestVMIPv6WithoutCard boots a pod with no network card: IPv6 still
// works on lo, and hyperstart does not take the kernel's sit0 tunnel for
// an Ethernet card (it waited 3s for a DHCP lease on it).
func TestVMIPv6WithoutCard(t *testing.T) {
	e := requireVM(t)
	c := shContainer("app", `httpd -f -p '[::]:8080' -h /etc &
for i in $(seq 100); do grep -q ':1F90 [0-9A-F:]* 0A ' /proc/net/tcp6 && break; sleep 0.1; done
echo "lo: $(ip -6 addr show dev lo | grep -o 'inet6 [^ ]*')"
echo "via ::1: $(wget -q -O - 'http://[::1]:8080/hostname')"
echo "via 127.0.0.1: $(wget -q -O - http://127.0.0.1:8080/hostname)"`)
	r := e.bootPod(t, busyboxPod("nocard", c), bootOpts{})
	for _, want := range []string{"lo: inet6 ::1/128", "via ::1: nocard", "via 127.0.0.1: nocard"} {
		if !r.hasOutput("app", want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if r.contains("sit0") {
		t.Errorf("hyperstart set up sit0 as if it were a network card")
	}
	if r.Status != 0 {
		t.Errorf("pod status %d, want 0", r.Status)
	}
}

// hasOutput reports whether container name printed line, with the
// console's "NAME | " prefix or without it (one container's lines had
// none before the console grammar prefixed every line).
func (r *vmRun) hasOutput(name, line string) bool {
	return r.has(name+" | "+line) || r.has(line)
}
