package daemon

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/api"
)

// Config is how hyperd serves.
type Config struct {
	// Root is the state directory (api.DefaultRoot).
	Root string
	// Hosts are where the API listens: unix:///PATH (default
	// ROOT/hyperd.sock) and, only when asked, tcp://HOST:PORT, which
	// needs TLS (TLSCert, TLSKey) and a client check: client
	// certificates signed by TLSCA, or the token in TokenFile.
	Hosts   []string
	TLSCert string
	TLSKey  string
	TLSCA   string
	// TokenFile holds the bearer token TCP clients must send.
	TokenFile string
	// Group may use the unix socket besides its owner: the socket
	// (always 0660) gets that group and the state directory 0750. Empty:
	// "hyper" when hyperd runs as root and the group exists, else none:
	// the state directory is 0700, so nobody else reaches the socket.
	Group string
	// Log receives what hyperd says about itself.
	Log io.Writer
	// Daemon is the API's behaviour (Spawn, Build, Manifest for tests).
	Daemon *Daemon
}

// DefaultGroup is the group that may use root's hyperd.
const DefaultGroup = "hyper"

// Serve runs hyperd until ctx is done. It refuses to start while another
// hyperd holds the same state directory; a socket that a killed hyperd
// left is removed.
func Serve(ctx context.Context, c Config) error {
	if c.Log == nil {
		c.Log = io.Discard
	}
	// Everything hyperd creates is its user's alone unless said below.
	unix.Umask(0o077)
	gid, err := c.group()
	if err != nil {
		return err
	}
	if err := prepareRoot(c.Root, gid); err != nil {
		return err
	}
	lock, err := lockDaemon(c.Root)
	if err != nil {
		return err
	}
	defer lock.Close()
	sweepPods(c.Root, c.Log)
	d := c.Daemon
	if d == nil {
		d = &Daemon{}
	}
	d.Root = c.Root
	if len(c.Hosts) == 0 {
		c.Hosts = []string{"unix://" + filepath.Join(c.Root, api.SocketName)}
	}
	var servers []*http.Server
	errc := make(chan error, len(c.Hosts))
	lns, err := c.listen(gid)
	if err != nil {
		return err
	}
	for _, l := range lns {
		h := d.Handler()
		if l.token != nil {
			h = requireToken(l.token, h)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, ErrorLog: log.New(c.Log, "hyperd: ", 0)}
		servers = append(servers, srv)
		fmt.Fprintf(c.Log, "hyperd: serving the API on %s (state in %s)\n", l.name, c.Root)
		go func() {
			if err := srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("serving %s: %w", l.name, err)
			}
		}()
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	// Pods live on: their shims do not depend on hyperd.
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, s := range servers {
		s.Shutdown(sctx)
		s.Close()
	}
	for _, l := range lns {
		if l.unixPath != "" {
			os.Remove(l.unixPath)
		}
	}
	return err
}

// group is the gid that may use the socket, or -1.
func (c Config) group() (int, error) {
	name := c.Group
	if name == "" {
		if os.Geteuid() != 0 {
			return -1, nil
		}
		if _, err := user.LookupGroup(DefaultGroup); err != nil {
			return -1, nil
		}
		name = DefaultGroup
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return -1, fmt.Errorf("--group %s: %w", name, err)
	}
	return strconv.Atoi(g.Gid)
}

// prepareRoot makes the state directory, or checks the one there: a
// directory (not a link), owned by this user, that nobody else can write
// to or, without a group, enter.
func prepareRoot(root string, gid int) error {
	if !filepath.IsAbs(root) {
		return fmt.Errorf("state directory %q: want an absolute path", root)
	}
	if err := os.MkdirAll(filepath.Dir(root), 0o755); err != nil {
		return fmt.Errorf("creating the state directory's parent: %w", err)
	}
	if err := os.Mkdir(root, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating the state directory: %w", err)
	}
	fi, err := os.Lstat(root)
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || st == nil {
		return fmt.Errorf("state directory %s is not a directory (a link?): remove it or choose another --root", root)
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("state directory %s belongs to uid %d, not to this user (%d): choose another --root", root, st.Uid, os.Geteuid())
	}
	mode := os.FileMode(0o700)
	if gid >= 0 {
		if err := os.Chown(root, -1, gid); err != nil {
			return fmt.Errorf("giving the state directory to group %d: %w", gid, err)
		}
		mode = 0o750
	}
	if err := os.Chmod(root, mode); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(root, podsDir), 0o700); err != nil {
		return fmt.Errorf("creating the pods directory: %w", err)
	}
	return os.Chmod(filepath.Join(root, podsDir), 0o700)
}

// lockDaemon takes the state directory's lock, or says which hyperd
// holds it.
func lockDaemon(root string) (*os.File, error) {
	path := filepath.Join(root, daemonLock)
	f, err := takeLock(path)
	if errors.Is(err, unix.EWOULDBLOCK) {
		pid, _ := os.ReadFile(path)
		return nil, fmt.Errorf("another hyperd (pid %s) serves %s already: %w", strings.TrimSpace(string(pid)), root, ErrRunning)
	}
	if err != nil {
		return nil, fmt.Errorf("locking the state directory: %w", err)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

// ErrRunning is a hyperd started where one runs already.
var ErrRunning = errors.New("hyperd is running")

// sweepPods removes the pod directories a create never finished (a
// hyperd killed while building or naming it): they have no config.
func sweepPods(root string, log io.Writer) {
	entries, _ := os.ReadDir(filepath.Join(root, podsDir))
	for _, e := range entries {
		dir := filepath.Join(root, podsDir, e.Name())
		if _, err := os.Stat(filepath.Join(dir, configFile)); errors.Is(err, os.ErrNotExist) {
			if held, _ := lockHeld(filepath.Join(dir, lockFile)); !held {
				os.RemoveAll(dir)
				fmt.Fprintf(log, "hyperd: removed %s, a pod whose creation was interrupted\n", dir)
			}
		}
	}
}

// listener is one place the API is served.
type listener struct {
	name     string
	ln       net.Listener
	unixPath string
	token    []byte
}

func (c Config) listen(gid int) ([]listener, error) {
	var out []listener
	fail := func(err error) ([]listener, error) {
		for _, l := range out {
			l.ln.Close()
		}
		return nil, err
	}
	if ls, err := activated(); err != nil {
		return nil, err
	} else if len(ls) > 0 {
		return ls, nil
	}
	for _, s := range c.Hosts {
		h, err := api.ParseHost(s)
		if err != nil {
			return fail(err)
		}
		var l listener
		switch h.Network {
		case "unix":
			l, err = listenUnix(h.Address, gid)
		case "tcp":
			l, err = c.listenTCP(h.Address)
		}
		if err != nil {
			return fail(err)
		}
		out = append(out, l)
	}
	return out, nil
}

// listenUnix listens on a socket only this user (and gid's members) can
// connect to. A socket left there is removed unless something answers on
// it.
func listenUnix(path string, gid int) (listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return listener{}, fmt.Errorf("listening on %s: a file that is not a socket is there: remove it", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return listener{}, fmt.Errorf("listening on %s: another server answers there: %w", path, ErrRunning)
		}
		os.Remove(path) // a killed hyperd's
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return listener{}, fmt.Errorf("listening on %s: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return listener{}, fmt.Errorf("listening on %s: %w", path, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if gid >= 0 {
		if err := os.Chown(path, -1, gid); err != nil {
			ln.Close()
			return listener{}, fmt.Errorf("giving %s to group %d: %w", path, gid, err)
		}
	}
	// 0660: the group (hyper, when root) may connect; without one, a
	// private directory (0700) keeps everybody else out before the socket
	// (in any other directory the socket is 0600).
	mode := os.FileMode(0o660)
	if fi, err := os.Stat(filepath.Dir(path)); gid < 0 && (err != nil || fi.Mode().Perm()&0o077 != 0) {
		mode = 0o600
	}
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		return listener{}, fmt.Errorf("listening on %s: %w", path, err)
	}
	return listener{name: "unix://" + path, ln: ln, unixPath: path}, nil
}

// listenTCP serves TLS only, and only to clients that prove who they are.
func (c Config) listenTCP(addr string) (listener, error) {
	if c.TLSCert == "" || c.TLSKey == "" {
		return listener{}, fmt.Errorf("tcp://%s: the API over TCP needs TLS: give --tlscert and --tlskey", addr)
	}
	if c.TLSCA == "" && c.TokenFile == "" {
		return listener{}, fmt.Errorf("tcp://%s: the API over TCP needs a client check: --tlscacert (client certificates) or --token-file", addr)
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return listener{}, fmt.Errorf("tcp://%s: loading the TLS certificate: %w", addr, err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.TLSCA != "" {
		pem, err := os.ReadFile(c.TLSCA)
		if err != nil {
			return listener{}, fmt.Errorf("tcp://%s: reading the client CA: %w", addr, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return listener{}, fmt.Errorf("tcp://%s: %s holds no PEM certificate", addr, c.TLSCA)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	var token []byte
	if c.TokenFile != "" {
		data, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return listener{}, fmt.Errorf("tcp://%s: reading the token: %w", addr, err)
		}
		token = []byte(strings.TrimSpace(string(data)))
		if len(token) < 16 {
			return listener{}, fmt.Errorf("tcp://%s: the token in %s is %d bytes: want 16 or more", addr, c.TokenFile, len(token))
		}
	}
	ln, err := tls.Listen("tcp", addr, tc)
	if err != nil {
		return listener{}, fmt.Errorf("listening on tcp://%s: %w", addr, err)
	}
	return listener{name: "tcp://" + ln.Addr().String() + " (TLS)", ln: ln, token: token}, nil
}

// requireToken lets through only requests with "Authorization: Bearer
// TOKEN".
func requireToken(token []byte, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), token) != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeJSON(w, http.StatusUnauthorized, api.Error{Message: "unauthorized: send Authorization: Bearer TOKEN (HYPER_TOKEN)"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// activated returns the sockets systemd passed (socket activation:
// LISTEN_PID, LISTEN_FDS), whose permissions the socket unit set.
func activated() ([]listener, error) {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return nil, nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		return nil, nil
	}
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	var out []listener
	for fd := 3; fd < 3+n; fd++ {
		unix.CloseOnExec(fd)
		f := os.NewFile(uintptr(fd), "systemd-socket-"+strconv.Itoa(fd))
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("socket activation: fd %d: %w", fd, err)
		}
		out = append(out, listener{name: "systemd socket " + ln.Addr().String(), ln: ln})
	}
	return out, nil
}
