package daemon

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hyperbuild/hyper/api"
)

func (d *Daemon) handleCreate(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	req, err := api.DecodeCreate(r.Body)
	if err != nil {
		writeError(w, err)
		return
	}
	resp, err := d.create(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

// create makes a pod and starts it: the artifact (built first for a pod
// file or an image), a directory with its config, a shim that boots it.
// It either succeeds or leaves nothing behind.
func (d *Daemon) create(ctx context.Context, req *api.CreateRequest) (_ *api.CreateResponse, err error) {
	if req.Name != "" {
		if p, err := findPod(d.Root, req.Name); err == nil && p.config.Name == req.Name {
			return nil, conflictf("the name %q is in use by pod %s: remove it (rm %s) or choose another", req.Name, p.config.ID[:12], req.Name)
		}
	}
	id := newID()
	dir := podDir(d.Root, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the pod's directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	cfg := podConfig{ID: id, Artifact: req.Artifact, Run: req.RunConfig}
	var warnings []string
	switch {
	case req.Artifact != "":
		if _, err := os.Stat(req.Artifact); err != nil {
			return nil, fmt.Errorf("%w: artifact: %w", api.ErrBadRequest, err)
		}
	default:
		cfg.Source = req.PodFile + req.Image
		build := d.Build
		if build == nil {
			build = BuildArtifact
		}
		cfg.Artifact, warnings, err = build(ctx, req, dir)
		if err != nil {
			return nil, err
		}
		cfg.Built = filepath.Dir(cfg.Artifact) == dir
	}
	if cfg.Pod, cfg.Containers, err = d.manifest(cfg.Artifact); err != nil {
		return nil, err
	}
	lock, err := d.record(&cfg, req.Name)
	if err != nil {
		return nil, err
	}
	spawn := d.Spawn
	if spawn == nil {
		spawn = SpawnProcess
	}
	if err := spawn(ctx, d.Root, id, lock); err != nil {
		return nil, err
	}
	return &api.CreateResponse{ID: id, Name: cfg.Name, Warnings: warnings}, nil
}

// record names the pod and writes its config and first state, under the
// daemon's lock so that two creates never take one name; it returns the
// pod's lock, taken, for its shim.
func (d *Daemon) record(cfg *podConfig, want string) (*os.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	pods, err := listPods(d.Root)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, p := range pods {
		taken[p.config.Name] = true
	}
	switch {
	case want != "":
		if taken[want] {
			return nil, conflictf("the name %q is in use: remove that pod (rm %s) or choose another", want, want)
		}
		cfg.Name = want
	default:
		cfg.Name = defaultName(cfg.Pod, cfg.ID, taken)
	}
	cfg.Created = time.Now().UTC()
	dir := podDir(d.Root, cfg.ID)
	lock, err := takeLock(filepath.Join(dir, lockFile))
	if err != nil {
		return nil, fmt.Errorf("locking the new pod: %w", err)
	}
	if err := writeFile(filepath.Join(dir, stateFile), podState{State: api.StateCreated}); err != nil {
		lock.Close()
		return nil, err
	}
	// config.json last: a directory without it is not a pod yet.
	if err := writeFile(filepath.Join(dir, configFile), cfg); err != nil {
		lock.Close()
		return nil, err
	}
	return lock, nil
}

// defaultName is the pod's own name when free, else it with the ID's
// first digits.
func defaultName(pod, id string, taken map[string]bool) string {
	if api.CheckName(pod) != nil {
		pod = "pod"
	}
	if !taken[pod] {
		return pod
	}
	for n := 6; n <= len(id); n += 2 {
		if name := pod + "-" + id[:n]; !taken[name] {
			return name
		}
	}
	return id
}
