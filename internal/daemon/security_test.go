package daemon

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/client"
)

// Who may reach what: the state directory is 0700 (0750 with a group),
// the API socket 0660, every pod's directory 0700 and its shim socket
// 0600, the pod's files 0600.
func TestModes(t *testing.T) {
	h := newHarness(t)
	res := h.create(api.CreateRequest{Artifact: h.art})
	dir := podDir(h.root, res.ID)
	for _, tt := range []struct {
		path string
		want os.FileMode
	}{
		{h.root, 0o700 | os.ModeDir},
		{filepath.Join(h.root, api.SocketName), 0o660 | os.ModeSocket},
		{filepath.Join(h.root, podsDir), 0o700 | os.ModeDir},
		{dir, 0o700 | os.ModeDir},
		{filepath.Join(dir, shimSock), 0o600 | os.ModeSocket},
		{filepath.Join(dir, configFile), 0o600},
		{filepath.Join(dir, stateFile), 0o600},
		{filepath.Join(dir, logsDir), 0o700 | os.ModeDir},
		{filepath.Join(dir, logsDir, logCurrent), 0o600},
	} {
		fi, err := os.Lstat(tt.path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got := fi.Mode() & (os.ModeType | os.ModePerm); got != tt.want {
			t.Errorf("%s: mode %v; want %v", tt.path, got, tt.want)
		}
	}
}

// A state directory that is not this user's, or a link, is refused.
func TestRootRefused(t *testing.T) {
	base := t.TempDir()
	link := filepath.Join(base, "link")
	os.Symlink(base, link)
	if err := Serve(context.Background(), Config{Root: link}); err == nil || !strings.Contains(err.Error(), "not a directory (a link?)") {
		t.Errorf("Serve on a link: %v", err)
	}
	if os.Geteuid() != 0 {
		return
	}
	other := filepath.Join(base, "other")
	os.Mkdir(other, 0o700)
	os.Chown(other, 65534, 65534)
	if err := Serve(context.Background(), Config{Root: other}); err == nil || !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Errorf("Serve on another user's directory: %v", err)
	}
}

// Another local user cannot connect to the API socket or to a pod's
// shim; with a group, its members reach the API but still no shim.
func TestOtherUserLockedOut(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to act as another user (uid 65534)")
	}
	if _, err := user.LookupId("65534"); err != nil {
		t.Skipf("no user 65534 to act as: %v", err)
	}
	helper := nobodyHelper(t)
	h := newHarness(t)
	// Let nobody walk to the state directory, as /run or $XDG_RUNTIME_DIR allow.
	os.Chmod(filepath.Dir(h.root), 0o755)
	res := h.create(api.CreateRequest{Artifact: h.art})
	api := filepath.Join(h.root, api.SocketName)
	shim := filepath.Join(podDir(h.root, res.ID), shimSock)
	for _, sock := range []string{api, shim} {
		if err := dialAs(helper, sock, 65534, 65534); !strings.Contains(err, "connect: permission denied") {
			t.Errorf("uid 65534 connecting to %s: %q; want permission denied", sock, err)
		}
	}
	// With a group (nogroup, gid 65534), the API opens to it, no more.
	g, err := user.LookupGroupId("65534")
	if err != nil {
		t.Skipf("no group 65534: %v", err)
	}
	h.stop()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, Config{Root: h.root, Group: g.Name, Daemon: h.daemon()}) }()
	defer func() { cancel(); <-done }()
	waitSocket(t, api)
	if fi, _ := os.Stat(h.root); fi.Mode().Perm() != 0o750 {
		t.Errorf("state directory with a group: %v; want 0750", fi.Mode().Perm())
	}
	if err := dialAs(helper, api, 65534, 65534); err != "" {
		t.Errorf("a member of %s connecting to the API: %q; want it to connect", g.Name, err)
	}
	if err := dialAs(helper, shim, 65534, 65534); !strings.Contains(err, "connect: permission denied") {
		t.Errorf("a member of %s connecting to the pod's shim: %q; want permission denied", g.Name, err)
	}
}

func waitSocket(t *testing.T, path string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing answers on %s", path)
}

// nobodyHelper is this test binary, where another user can run it.
func nobodyHelper(t *testing.T) string {
	dir, err := os.MkdirTemp("", "hyd-helper")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	exe, _ := os.Executable()
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "helper")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o755) // whatever the umask (Serve sets 077)
	return p
}

// dialAs connects to sock as uid:gid (TestHelperDial in a child) and
// returns the error it met, "" when it connected.
func dialAs(helper, sock string, uid, gid uint32) string {
	cmd := exec.Command(helper, "-test.run=^TestHelperDial$")
	cmd.Env = append(os.Environ(), "HYPERD_TEST_DIAL="+sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	out, err := cmd.CombinedOutput()
	s := string(out)
	if i := strings.Index(s, "DIAL:"); i >= 0 {
		s = strings.TrimSpace(strings.SplitN(s[i+5:], "\n", 2)[0])
		if s == "ok" {
			return ""
		}
		return s
	}
	return fmt.Sprintf("helper: %v: %s", err, out)
}

func TestHelperDial(t *testing.T) {
	sock := os.Getenv("HYPERD_TEST_DIAL")
	if sock == "" {
		t.Skip("a helper of TestOtherUserLockedOut")
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Printf("DIAL: %v\n", err)
		return
	}
	c.Close()
	fmt.Println("DIAL: ok")
}

// TCP: never without TLS and a client check; with them, only the client
// that proves itself gets in.
func TestTCP(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := mkCert(t, dir, "ca", nil, nil)
	mkCert(t, dir, "server", ca, caKey)
	mkCert(t, dir, "client", ca, caKey)
	os.WriteFile(filepath.Join(dir, "token"), []byte("0123456789abcdef-secret\n"), 0o600)
	root, _ := os.MkdirTemp("", "hyd")
	defer os.RemoveAll(root)
	addr := freePort(t)
	for _, tt := range []struct {
		c   Config
		err string
	}{
		{Config{Hosts: []string{"tcp://" + addr}}, "needs TLS"},
		{Config{Hosts: []string{"tcp://" + addr}, TLSCert: filepath.Join(dir, "server.pem"), TLSKey: filepath.Join(dir, "server-key.pem")}, "needs a client check"},
	} {
		tt.c.Root = filepath.Join(root, "s")
		if err := Serve(context.Background(), tt.c); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Serve(%+v) = %v; want %q", tt.c, err, tt.err)
		}
	}
	serve := func(c Config) func() {
		c.Root = filepath.Join(root, "s")
		c.Hosts = []string{"tcp://" + addr}
		c.TLSCert, c.TLSKey = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Serve(ctx, c) }()
		for i := 0; i < 500; i++ {
			if conn, err := net.Dial("tcp", addr); err == nil {
				conn.Close()
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return func() { cancel(); <-done }
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	clientCert, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ping := func(opts ...client.Option) error {
		c, err := client.New(append([]client.Option{client.WithHost("tcp://" + addr)}, opts...)...)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.Ping(ctx)
	}

	stop := serve(Config{TLSCA: filepath.Join(dir, "ca.pem")})
	if err := ping(client.WithTLS(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{clientCert}})); err != nil {
		t.Errorf("a client with a certificate: %v", err)
	}
	if err := ping(client.WithTLS(&tls.Config{RootCAs: pool})); err == nil {
		t.Errorf("a client without a certificate got in")
	}
	stop()

	stop = serve(Config{TokenFile: filepath.Join(dir, "token")})
	defer stop()
	if err := ping(client.WithTLS(&tls.Config{RootCAs: pool}), client.WithToken("0123456789abcdef-secret")); err != nil {
		t.Errorf("a client with the token: %v", err)
	}
	var ce *client.Error
	if err := ping(client.WithTLS(&tls.Config{RootCAs: pool}), client.WithToken("wrong-token-wrong")); !errors.As(err, &ce) || ce.StatusCode != 401 {
		t.Errorf("a client with a wrong token: %v; want a 401", err)
	}
	if err := ping(client.WithTLS(&tls.Config{RootCAs: pool})); !errors.As(err, &ce) || ce.StatusCode != 401 {
		t.Errorf("a client without a token: %v; want a 401", err)
	}
	// Plain HTTP to the TLS port gets nothing.
	conn, err := net.Dial("tcp", addr)
	if err == nil {
		io.WriteString(conn, "GET /v1/_ping HTTP/1.1\r\nHost: x\r\n\r\n")
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		b, _ := io.ReadAll(conn)
		conn.Close()
		if strings.Contains(string(b), "OK") && !strings.Contains(string(b), "400") {
			t.Errorf("plain HTTP over the TLS port answered: %q", b)
		}
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// mkCert writes NAME.pem and NAME-key.pem in dir: a CA when parent is
// nil, else a certificate it signs (for 127.0.0.1).
func mkCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	signer, signKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		signer, signKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, name+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key
}
