package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
)

// The state directory (Root):
//
//	ROOT/hyperd.sock         the API (0660), unless --host says otherwise
//	ROOT/hyperd.lock         held by the running hyperd (flock)
//	ROOT/hyperd.log          a daemon started on demand writes here
//	ROOT/pods/ID/config.json what the pod was asked to be (written once)
//	ROOT/pods/ID/state.json  what it is now (the shim writes it; hyperd
//	                         when it finds the shim dead)
//	ROOT/pods/ID/lock        held by the pod's shim while it lives
//	ROOT/pods/ID/shim.sock   the shim's own API (0600)
//	ROOT/pods/ID/shim.log    the shim's own messages and the guest's
//	                         console (kernel, hyperstart), bounded
//	ROOT/pods/ID/logs/       the containers' output (logStore), bounded
//	ROOT/pods/ID/pod.img     the artifact, when hyperd built it
//
// ROOT is 0700 (0750 with a hyper group when root); every pod directory
// is 0700: only the daemon's user reaches a shim or a pod's files.
const (
	podsDir    = "pods"
	configFile = "config.json"
	stateFile  = "state.json"
	lockFile   = "lock"
	shimSock   = "shim.sock"
	shimLog    = "shim.log"
	logsDir    = "logs"
	builtImage = "pod.img"
	daemonLock = "hyperd.lock"
	daemonLog  = "hyperd.log"
	// idLen is a pod ID's length in hex digits (128 bits).
	idLen = 32
)

// podConfig is what a pod was asked to be: written by hyperd when it
// creates the pod, read by the shim and by every later hyperd.
type podConfig struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Pod     string    `json:"pod"`
	Created time.Time `json:"created"`
	// Artifact is the image the VM boots; Built says hyperd built it
	// into the pod's directory (it goes with the pod).
	Artifact string `json:"artifact"`
	Built    bool   `json:"built,omitempty"`
	Source   string `json:"source,omitempty"`
	// Containers are the artifact's container names.
	Containers []string      `json:"containers"`
	Run        api.RunConfig `json:"run"`
}

// podState is what a pod is now.
type podState struct {
	State      string    `json:"state"`
	Pid        int       `json:"pid,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	ExitStatus *int      `json:"exit_status,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// live says whether the state is one a shim owns (it must be alive).
func (s podState) live() bool { return s.State != api.StateExited }

// newID is a fresh pod ID.
func newID() string {
	var b [idLen / 2]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// isID reports whether s looks like a whole pod ID.
func isID(s string) bool {
	if len(s) != idLen {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// podDir is a pod's directory under root.
func podDir(root, id string) string { return filepath.Join(root, podsDir, id) }

// writeFile writes v to path atomically (a temporary file renamed over
// it), so that a reader never sees half a file, whoever is killed when.
func writeFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readJSON reads path into v; state files are small, and bounded here
// so that a damaged one cannot exhaust the daemon.
func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	d := json.NewDecoder(&limitedReader{f, 1 << 20})
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

type limitedReader struct {
	f *os.File
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("file too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}

// lockHeld reports whether somebody (the pod's shim) holds path's flock.
// A missing file is nobody's.
func lockHeld(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("probing %s: %w", path, err)
	}
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return false, nil
}

// takeLock opens path and takes its flock, failing at once when another
// holds it.
func takeLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// podRecord is a pod as its directory says.
type podRecord struct {
	dir    string
	config podConfig
	state  podState
}

// loadPod reads a pod's directory. A pod whose state says a shim owns it
// while nobody holds its lock lost its shim (killed, or its machine
// rebooted): its state is corrected and written back, saying so.
func loadPod(root, id string) (*podRecord, error) {
	p := &podRecord{dir: podDir(root, id)}
	if err := readJSON(filepath.Join(p.dir, configFile), &p.config); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(p.dir, stateFile), &p.state); err != nil {
		return nil, err
	}
	if !p.state.live() {
		return p, nil
	}
	held, err := lockHeld(filepath.Join(p.dir, lockFile))
	if err != nil || held {
		return p, err
	}
	// Re-read: the shim may have finished between the two reads.
	if err := readJSON(filepath.Join(p.dir, stateFile), &p.state); err != nil {
		return nil, err
	}
	if p.state.live() {
		p.state = lostShim(p.state)
		if err := writeFile(filepath.Join(p.dir, stateFile), p.state); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// lostShim is the state of a pod whose shim died without recording how
// the pod ended: the VM went with it (QEMU is killed with its parent, our
// VMM runs inside the shim).
func lostShim(s podState) podState {
	what := "was killed"
	if s.State == api.StateCreated {
		what = "died while starting the pod"
	}
	s.Error = fmt.Sprintf("the pod's supervisor (hyperd shim, pid %d) %s; its VM stopped with it", s.Pid, what)
	s.State = api.StateExited
	s.FinishedAt = time.Now().UTC()
	s.Pid = 0
	return s
}

// listPods returns every pod's record, oldest first. Directories that
// cannot be read (half-created, damaged) are skipped.
func listPods(root string) ([]*podRecord, error) {
	entries, err := os.ReadDir(filepath.Join(root, podsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	var out []*podRecord
	for _, e := range entries {
		if !e.IsDir() || !isID(e.Name()) {
			continue
		}
		p, err := loadPod(root, e.Name())
		if err != nil {
			continue
		}
		out = append(out, p)
	}
	sortPods(out)
	return out, nil
}

func sortPods(ps []*podRecord) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].config.Created.Before(ps[j-1].config.Created); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// errNotFound and errAmbiguous are a name or ID that names no pod, or
// several.
var (
	errNotFound  = errors.New("no such pod")
	errAmbiguous = errors.New("ambiguous pod ID prefix")
)

// findPod finds a pod by name, whole ID or unique ID prefix.
func findPod(root, ref string) (*podRecord, error) {
	if ref == "" || strings.ContainsAny(ref, "/\x00") || len(ref) > 256 {
		return nil, fmt.Errorf("%w: %q", errNotFound, ref)
	}
	if isID(ref) {
		if p, err := loadPod(root, ref); err == nil {
			return p, nil
		}
	}
	pods, err := listPods(root)
	if err != nil {
		return nil, err
	}
	for _, p := range pods {
		if p.config.Name == ref {
			return p, nil
		}
	}
	var match []*podRecord
	for _, p := range pods {
		if strings.HasPrefix(p.config.ID, strings.ToLower(ref)) {
			match = append(match, p)
		}
	}
	switch len(match) {
	case 0:
		return nil, fmt.Errorf("%w: %q", errNotFound, ref)
	case 1:
		return match[0], nil
	}
	return nil, fmt.Errorf("%w: %q names %d pods: give more of the ID", errAmbiguous, ref, len(match))
}

// apiPod is the record as the API reports it (without live containers).
func (p *podRecord) apiPod() api.Pod {
	out := api.Pod{
		ID:         p.config.ID,
		Name:       p.config.Name,
		Pod:        p.config.Pod,
		Artifact:   p.config.Artifact,
		Source:     p.config.Source,
		State:      p.state.State,
		Created:    p.config.Created,
		StartedAt:  p.state.StartedAt,
		FinishedAt: p.state.FinishedAt,
		ExitStatus: p.state.ExitStatus,
		Error:      p.state.Error,
		Pid:        p.state.Pid,
		Config:     p.config.Run,
	}
	for _, n := range p.config.Containers {
		out.Containers = append(out.Containers, contractStatus(n, p.state))
	}
	return out
}

// contractStatus is a container's status as far as the pod's files say
// (its name, and the pod's state), for when the guest cannot be asked.
func contractStatus(name string, s podState) contract.ContainerStatus {
	st := contract.StateCreated
	switch s.State {
	case api.StateExited:
		st = contract.StateExited
	case api.StateRunning, api.StateStopping:
		st = contract.StateRunning
	}
	return contract.ContainerStatus{Name: name, State: st}
}
