package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/client"
	"github.com/hyperbuild/hyper/internal/scripttest"
	"github.com/hyperbuild/hyper/internal/syncbuf"
)

func TestMain(m *testing.M) {
	code := m.Run()
	scripttest.Cleanup()
	os.Exit(code)
}

func TestUsage(t *testing.T) {
	root := t.TempDir()
	for _, tt := range []struct {
		args   []string
		status int
		err    string
	}{
		{[]string{"extra"}, 2, `unknown command "extra" for "hyperd"`},
		{[]string{"--host", "http://x"}, 2, `--host: host "http://x": want unix:///PATH or tcp://HOST:PORT`},
		{[]string{"--root", root, "--host", "tcp://127.0.0.1:2376"}, 1, "the API over TCP needs TLS: give --tlscert and --tlskey"},
		{[]string{"--root", root, "--host", "tcp://127.0.0.1:2376", "--tlscert", "c", "--tlskey", "k"}, 1, "needs a client check: --tlscacert (client certificates) or --token-file"},
		{[]string{"shim"}, 2, "--root and --id are required"},
	} {
		var out, errb bytes.Buffer
		if got := run(tt.args, &out, &errb); got != tt.status || !strings.Contains(errb.String(), tt.err) {
			t.Errorf("hyperd %q = %d, %q; want %d saying %q", tt.args, got, errb.String(), tt.status, tt.err)
		}
	}
	var out bytes.Buffer
	if got := run([]string{"--help"}, &out, &out); got != 0 || !strings.Contains(out.String(), "hyperd shim") {
		t.Errorf("hyperd --help = %d, %q", got, out.String())
	}
}

// Under systemd's socket activation (contrib/systemd/hyperd.socket)
// hyperd serves the socket it is given.
func TestSocketActivation(t *testing.T) {
	sa, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate not installed (systemd)")
	}
	hyperd := filepath.Join(scripttest.Tools(t), "hyperd")
	dir, err := os.MkdirTemp("", "hya")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "api.sock")
	var log syncbuf.Buffer // written by exec's copying goroutine
	cmd := exec.Command(sa, "-l", sock, hyperd, "--root", filepath.Join(dir, "state"))
	cmd.Stderr = &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}()
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if i > 200 {
			t.Fatalf("systemd-socket-activate never listened: %s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, err := client.New(client.WithHost("unix://" + sock))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ver, err := c.Version(ctx)
	if err != nil {
		t.Fatalf("hyperd under socket activation: %v\n%s", err, log.String())
	}
	if ver.Root != filepath.Join(dir, "state") {
		t.Errorf("version = %+v", ver)
	}
	// The answer can come before the log line has crossed the pipe.
	for i := 0; !strings.Contains(log.String(), "serving the API on systemd socket"); i++ {
		if i > 250 {
			t.Errorf("hyperd's log does not say it serves systemd's socket:\n%s", log.String())
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}
