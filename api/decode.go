package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hyperbuild/hyper/contract"
)

// The errors the decoders return, wrapped with what was wrong; the daemon
// answers ErrBadRequest with 400 and ErrTooLarge with 413.
var (
	ErrBadRequest = errors.New("bad request")
	ErrTooLarge   = errors.New("request body too large")
)

// Limits on what a request may carry.
const (
	// MaxBody bounds a request body.
	MaxBody = 1 << 20
	// MaxName bounds a pod's name.
	MaxName = 64
	// MaxVars bounds a create request's pod-file variables.
	MaxVars = 1024
	// MaxPorts bounds a create request's published ports.
	MaxPorts = 1024
	// MaxVolumes bounds a create request's volume bindings.
	MaxVolumes = 64
	// MaxPath bounds a path or an image reference.
	MaxPath = 4096
)

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// CheckName reports whether s can name a pod: a letter or digit, then
// letters, digits, '_', '.' or '-', at most MaxName bytes (Docker's rule,
// so that a name is a single shell word and a file name).
func CheckName(s string) error {
	if s == "" || len(s) > MaxName || !nameRE.MatchString(s) {
		return fmt.Errorf("%w: name %q: want a letter or digit, then letters, digits, '_', '.' or '-' (at most %d)", ErrBadRequest, s, MaxName)
	}
	return nil
}

// decode reads one JSON value from r into v: at most MaxBody bytes, no
// unknown field, nothing after it.
func decode(r io.Reader, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxBody+1))
	if err != nil {
		return fmt.Errorf("%w: reading the body: %w", ErrBadRequest, err)
	}
	if len(data) > MaxBody {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxBody)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%w: empty body: want a JSON object", ErrBadRequest)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: decoding the JSON body: %w", ErrBadRequest, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON object", ErrBadRequest)
	}
	return nil
}

// DecodeCreate reads and checks a create request.
func DecodeCreate(r io.Reader) (*CreateRequest, error) {
	var req CreateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	return &req, nil
}

// Check validates a create request: one source, absolute clean paths,
// a valid name, resources and ports within the contract's limits.
func (r *CreateRequest) Check() error {
	n := 0
	for _, s := range []string{r.Artifact, r.PodFile, r.Image} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%w: name exactly one of artifact, pod_file and image (got %d)", ErrBadRequest, n)
	}
	if r.Name != "" {
		if err := CheckName(r.Name); err != nil {
			return err
		}
	}
	for _, p := range []struct{ what, path string }{{"artifact", r.Artifact}, {"pod_file", r.PodFile}} {
		if p.path == "" {
			continue
		}
		if err := checkPath(p.what, p.path); err != nil {
			return err
		}
	}
	if r.Image != "" && (len(r.Image) > MaxPath || strings.ContainsAny(r.Image, " \t\r\n\x00")) {
		return fmt.Errorf("%w: image %q: not an image reference", ErrBadRequest, r.Image)
	}
	if len(r.Vars) > 0 && r.PodFile == "" {
		return fmt.Errorf("%w: vars are for a pod_file", ErrBadRequest)
	}
	if len(r.Vars) > MaxVars {
		return fmt.Errorf("%w: %d vars: at most %d", ErrBadRequest, len(r.Vars), MaxVars)
	}
	for k := range r.Vars {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("%w: var name %q: not a variable name", ErrBadRequest, k)
		}
	}
	return r.RunConfig.Check()
}

func checkPath(what, p string) error {
	switch {
	case len(p) > MaxPath || strings.IndexByte(p, 0) >= 0:
		return fmt.Errorf("%w: %s: not a path", ErrBadRequest, what)
	case !filepath.IsAbs(p):
		return fmt.Errorf("%w: %s %q: want an absolute path (hyperd does not share the client's working directory)", ErrBadRequest, what, p)
	}
	return nil
}

// Check validates a run configuration within the contract's limits. The
// backend and the network are checked by name here and against what the
// host offers by the daemon.
func (c *RunConfig) Check() error {
	switch c.Backend {
	case "", "auto", "kvm", "qemu":
	default:
		return fmt.Errorf("%w: backend %q: want auto, kvm or qemu", ErrBadRequest, c.Backend)
	}
	if err := checkNet(c.Net); err != nil {
		return err
	}
	if c.CPUs != 0 {
		if err := contract.CheckCPUs(c.CPUs); err != nil {
			return fmt.Errorf("%w: cpus: %w", ErrBadRequest, err)
		}
	}
	if c.MemoryMiB != 0 {
		if err := contract.CheckMemoryMiB(c.MemoryMiB); err != nil {
			return fmt.Errorf("%w: memory_mib: %w", ErrBadRequest, err)
		}
	}
	if len(c.Ports) > MaxPorts {
		return fmt.Errorf("%w: %d ports: at most %d", ErrBadRequest, len(c.Ports), MaxPorts)
	}
	for _, p := range c.Ports {
		if err := CheckPort(p); err != nil {
			return err
		}
	}
	if len(c.Volumes) > MaxVolumes {
		return fmt.Errorf("%w: %d volumes: at most %d", ErrBadRequest, len(c.Volumes), MaxVolumes)
	}
	for _, v := range c.Volumes {
		if err := CheckVolume(v); err != nil {
			return err
		}
	}
	return nil
}

// CheckVolume reports whether v can bind a volume: an absolute, clean
// source (hyperd does not share the client's working directory) and a
// target that is a volume's name or an absolute, clean container path.
// Whether the pod has such a volume, and the source can serve it, the
// runner says when the pod starts.
func CheckVolume(v Volume) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: volume %q: %s", ErrBadRequest, v.Target, why)
	}
	switch {
	case v.Source == "" || len(v.Source) > MaxPath || strings.ContainsRune(v.Source, 0):
		return bad(fmt.Sprintf("source: want a host path of 1 to %d bytes", MaxPath))
	case !path.IsAbs(v.Source) || path.Clean(v.Source) != v.Source:
		return bad(fmt.Sprintf("source %q: want an absolute, clean host path", v.Source))
	case v.Target == "" || len(v.Target) > MaxPath || strings.ContainsRune(v.Target, 0):
		return bad("target: want a volume's name or a container path")
	case strings.HasPrefix(v.Target, "/"):
		if path.Clean(v.Target) != v.Target || v.Target == "/" {
			return bad("target: want a clean container path below /")
		}
	case !volumeNameRE.MatchString(v.Target) || len(v.Target) > 63:
		return bad("target: want a volume's name (lower-case letters, digits, '-', '_', '.') or an absolute container path")
	}
	return nil
}

var volumeNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

func checkNet(s string) error {
	switch {
	case s == "", s == "user", s == "none":
		return nil
	case strings.HasPrefix(s, "tap:"):
		name := strings.TrimPrefix(s, "tap:")
		// Linux's IFNAMSIZ is 16 with the NUL.
		if name != "" && len(name) < 16 && !strings.ContainsAny(name, "/ :\x00") {
			return nil
		}
	}
	return fmt.Errorf("%w: net %q: want user, none or tap:NAME", ErrBadRequest, s)
}

// CheckPort reports whether p can be published: ports in 1..65535, tcp
// or udp, an IP address or none.
func CheckPort(p contract.Port) error {
	if p.Host < 1 || p.Host > 65535 || p.Guest < 1 || p.Guest > 65535 {
		return fmt.Errorf("%w: port %d:%d: ports are 1..65535", ErrBadRequest, p.Host, p.Guest)
	}
	switch p.Protocol {
	case "", "tcp", "udp":
	default:
		return fmt.Errorf("%w: port %d:%d: protocol %q, want tcp or udp", ErrBadRequest, p.Host, p.Guest, p.Protocol)
	}
	if p.Address != "" {
		if a, err := netip.ParseAddr(p.Address); err != nil || a.Zone() != "" {
			return fmt.Errorf("%w: port %d:%d: address %q is not an IP address", ErrBadRequest, p.Host, p.Guest, p.Address)
		}
	}
	return nil
}

// DecodeExec reads and checks an exec request (contract.ExecRequest's
// checks: a command, bounded argv and env, an absolute workdir, a valid
// user).
func DecodeExec(r io.Reader) (*ExecRequest, error) {
	var req ExecRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.Container != "" && (len(req.Container) > 255 || strings.ContainsAny(req.Container, "/\x00")) {
		return nil, fmt.Errorf("%w: container name %q is not valid", ErrBadRequest, req.Container)
	}
	// contract's own check, through a request as the agent will see it.
	cr := contract.Request{Op: contract.OpExec, Container: "c", Exec: &req.ExecRequest}
	if err := cr.Check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return &req, nil
}
