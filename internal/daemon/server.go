package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/internal/version"
)

// Daemon is hyperd: it serves the API, creates pods (each supervised by
// its own shim) and answers for them, from their directories under Root
// alone: it keeps no state of its own, so a restarted hyperd finds every
// pod where the last one left it.
type Daemon struct {
	// Root is the state directory (see state.go).
	Root string
	// Spawn starts a pod's shim, holding lock, and returns once it
	// serves or failed; nil: SpawnProcess (re-exec hyperd as a shim).
	Spawn func(ctx context.Context, root, id string, lock *os.File) error
	// Build makes the artifact a pod file or an image names; nil:
	// BuildArtifact (the project's builder).
	Build func(ctx context.Context, req *api.CreateRequest, dir string) (artifact string, warnings []string, err error)
	// Manifest reads an artifact's pod name and containers; nil:
	// package disk.
	Manifest func(path string) (pod string, containers []string, err error)

	mu sync.Mutex // serializes the naming and recording of new pods
}

// route is one endpoint: its method and path under api.Prefix.
type route struct {
	method, path string
	handle       func(*Daemon, http.ResponseWriter, *http.Request)
}

// routes are the API's endpoints; docs/api.md and docs/openapi.yaml
// document each (a test checks).
var routes = []route{
	{"GET", "/_ping", (*Daemon).handlePing},
	{"GET", "/version", (*Daemon).handleVersion},
	{"GET", "/pods", (*Daemon).handleList},
	{"POST", "/pods", (*Daemon).handleCreate},
	{"GET", "/pods/{id}", (*Daemon).handleInspect},
	{"DELETE", "/pods/{id}", (*Daemon).handleRemove},
	{"POST", "/pods/{id}/stop", (*Daemon).handleStop},
	{"POST", "/pods/{id}/kill", (*Daemon).handleKill},
	{"POST", "/pods/{id}/wait", (*Daemon).handleWait},
	{"GET", "/pods/{id}/logs", (*Daemon).handleLogs},
	{"GET", "/pods/{id}/events", (*Daemon).handleEvents},
	{"POST", "/pods/{id}/exec", (*Daemon).handleExec},
}

// Handler is the API.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+api.Prefix+rt.path, func(w http.ResponseWriter, r *http.Request) { rt.handle(d, w, r) })
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, fmt.Errorf("%w: %s %s: no such endpoint (the API is under %s/, see docs/api.md)", errNotFound, r.Method, r.URL.Path, api.Prefix))
	})
	return recoverer(mux)
}

func (d *Daemon) handlePing(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("OK"))
}

// recoverer turns a panic in a handler into a 500 that says so, instead
// of a dropped connection.
func recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				writeError(w, fmt.Errorf("hyperd failed on %s %s: %v", r.Method, r.URL.Path, v))
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func (d *Daemon) handleVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, api.VersionResponse{
		Version: version.String(), APIVersion: api.Version, Go: runtime.Version(),
		Os: runtime.GOOS, Arch: runtime.GOARCH, Root: d.Root, Pid: os.Getpid(),
	})
}

func (d *Daemon) handleList(w http.ResponseWriter, r *http.Request) {
	all, err := api.ParseList(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	pods, err := listPods(d.Root)
	if err != nil {
		writeError(w, err)
		return
	}
	out := []api.Pod{}
	for _, p := range pods {
		if all || p.state.live() {
			out = append(out, p.apiPod())
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// find is the pod a request's {id} names.
func (d *Daemon) find(w http.ResponseWriter, r *http.Request) *podRecord {
	p, err := findPod(d.Root, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return nil
	}
	return p
}

// serve answers a request for a pod: its shim does while the pod runs
// (proxied), else exited does from the pod's files.
func (d *Daemon) serve(w http.ResponseWriter, r *http.Request, p *podRecord, exited func(*podRecord)) {
	if !p.state.live() {
		exited(p)
		return
	}
	sock := filepath.Join(p.dir, shimSock)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "shim"
			pr.Out.Host = "shim"
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var dl net.Dialer
				return dl.DialContext(ctx, "unix", sock)
			},
			DisableKeepAlives: true,
		},
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				// The shim is gone or going: its files say the rest.
				if q, lerr := d.settled(p.config.ID); lerr == nil && !q.state.live() {
					exited(q)
					return
				}
			}
			if r.Context().Err() != nil {
				return // the client went away
			}
			writeError(w, fmt.Errorf("reaching the supervisor of pod %s: %w", p.config.Name, err))
		},
	}
	rp.ServeHTTP(w, r)
}

// settled reloads a pod whose shim did not answer, giving a shim that
// is finishing (its socket already closed) a moment to record how the
// pod ended.
func (d *Daemon) settled(id string) (*podRecord, error) {
	deadline := time.Now().Add(drainTimeout + time.Second)
	for {
		p, err := loadPod(d.Root, id)
		if err != nil || !p.state.live() || time.Now().After(deadline) {
			return p, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *Daemon) handleInspect(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	if p := d.find(w, r); p != nil {
		d.serve(w, r, p, func(p *podRecord) { writeJSON(w, http.StatusOK, p.apiPod()) })
	}
}

func (d *Daemon) handleStop(w http.ResponseWriter, r *http.Request) {
	if _, _, err := api.ParseStop(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	// Stopping a stopped pod does nothing and succeeds, so that scripts
	// can stop what may have stopped already.
	if p := d.find(w, r); p != nil {
		d.serve(w, r, p, func(*podRecord) { w.WriteHeader(http.StatusNoContent) })
	}
}

func (d *Daemon) handleKill(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	if p := d.find(w, r); p != nil {
		d.serve(w, r, p, func(p *podRecord) { writeError(w, notRunning(p)) })
	}
}

func notRunning(p *podRecord) error {
	return conflictf("pod %s is not running (%s)", p.config.Name, describe(p.state))
}

// describe says how a pod ended, for error messages.
func describe(s podState) string {
	switch {
	case s.Error != "":
		return s.Error
	case s.ExitStatus != nil:
		return fmt.Sprintf("exited with status %d", *s.ExitStatus)
	}
	return s.State
}

func (d *Daemon) handleWait(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	if p := d.find(w, r); p != nil {
		d.serve(w, r, p, func(p *podRecord) { writeJSON(w, http.StatusOK, waitResponse(p.state)) })
	}
}

func (d *Daemon) handleLogs(w http.ResponseWriter, r *http.Request) {
	q, err := api.ParseLogs(r.URL.Query(), time.Now())
	if err != nil {
		writeError(w, err)
		return
	}
	p := d.find(w, r)
	if p == nil {
		return
	}
	if err := checkContainer(p.config, q.Container); err != nil {
		writeError(w, err)
		return
	}
	d.serve(w, r, p, func(p *podRecord) {
		streamLogs(w, r, func(fn func(contract.LogEntry) error) error {
			return readLogs(filepath.Join(p.dir, logsDir), q, fn)
		})
	})
}

func (d *Daemon) handleEvents(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	if p := d.find(w, r); p != nil {
		// A stopped pod has no more events: the stream ends at once.
		d.serve(w, r, p, func(*podRecord) {
			w.Header().Set("Content-Type", api.ContentTypeNDJSON)
			w.WriteHeader(http.StatusOK)
		})
	}
}

func (d *Daemon) handleExec(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	if p := d.find(w, r); p != nil {
		d.serve(w, r, p, func(p *podRecord) { writeError(w, notRunning(p)) })
	}
}

func (d *Daemon) handleRemove(w http.ResponseWriter, r *http.Request) {
	force, err := api.ParseRemove(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	p := d.find(w, r)
	if p == nil {
		return
	}
	if err := d.remove(r.Context(), p, force); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// remove deletes a stopped pod's directory; with force it kills a
// running one first.
func (d *Daemon) remove(ctx context.Context, p *podRecord, force bool) error {
	if p.state.live() {
		if !force {
			return conflictf("pod %s is %s: stop it first, or remove it with force (rm -f)", p.config.Name, p.state.State)
		}
		if err := d.killShim(ctx, p); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(p.dir); err != nil {
		return fmt.Errorf("removing pod %s: %w", p.config.Name, err)
	}
	return nil
}

// killShim asks a pod's shim to kill the VM and waits until the shim is
// gone.
func (d *Daemon) killShim(ctx context.Context, p *podRecord) error {
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", filepath.Join(p.dir, shimSock))
		},
	}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://shim"+api.Prefix+"/pods/"+p.config.ID+"/kill", nil)
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
	}
	for {
		held, err := lockHeld(filepath.Join(p.dir, lockFile))
		if err != nil {
			return err
		}
		if !held {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// manifest reads an artifact's pod name and containers.
func (d *Daemon) manifest(path string) (string, []string, error) {
	if d.Manifest != nil {
		return d.Manifest(path)
	}
	img, err := disk.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", api.ErrBadRequest, err)
	}
	defer img.Close()
	m := img.Manifest()
	var names []string
	for _, c := range m.Containers {
		names = append(names, c.Name)
	}
	return m.Pod, names, nil
}
