package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/runner"
	_ "github.com/hyperbuild/hyper/runner/kvm"  // the backends
	_ "github.com/hyperbuild/hyper/runner/qemu" // a shim may use
)

// RunnerRuntime boots pods with package runner: the runtime of `hyperd
// shim`.
type RunnerRuntime struct{}

// Start boots the artifact. The console's lines come back through
// cfg.Log by container and stream (runner.Config.Names puts the
// container's name on each), and the rest to cfg.Console.
func (RunnerRuntime) Start(ctx context.Context, artifact string, cfg StartConfig) (VM, error) {
	names := map[string]bool{}
	for _, n := range cfg.Containers {
		names[n] = true
	}
	console := cfg.Console
	if console == nil {
		console = io.Discard
	}
	out := &lineSplitter{stream: contract.Stdout, names: names, log: cfg.Log, console: console}
	errw := &lineSplitter{stream: contract.Stderr, names: names, log: cfg.Log, console: console}
	v, err := runner.Start(ctx, artifact, runner.Config{
		Backend:   cfg.Backend,
		CPUs:      cfg.CPUs,
		MemoryMiB: cfg.MemoryMiB,
		Ports:     cfg.Ports,
		Volumes:   runnerVolumes(cfg.Volumes),
		Net:       cfg.Net,
		Stdout:    out,
		Stderr:    errw,
		Names:     true,
		Verbose:   console,
	})
	if err != nil {
		return nil, startError(err)
	}
	return &runnerVM{v: v, flush: func() { out.Flush(); errw.Flush() }}, nil
}

// startError gives the runner's errors their statuses: what the request
// asked for that cannot be (400), a port or a data disk somebody else
// holds (409).
func startError(err error) error {
	switch {
	case errors.Is(err, runner.ErrPortBusy), errors.Is(err, runner.ErrVolumeBusy):
		return fmt.Errorf("%w: %w", errConflict, err)
	case errors.Is(err, runner.ErrBadResources), errors.Is(err, runner.ErrBadNet),
		errors.Is(err, runner.ErrUnknownBackend), errors.Is(err, runner.ErrNoBackend),
		errors.Is(err, runner.ErrUnsupported), errors.Is(err, runner.ErrPortAddress),
		errors.Is(err, disk.ErrNotArtifact), errors.Is(err, disk.ErrMissing),
		errors.Is(err, disk.ErrTruncated), errors.Is(err, disk.ErrNotFile),
		errors.Is(err, runner.ErrBadVolume), errors.Is(err, disk.ErrDataDisk):
		return fmt.Errorf("%w: %w", api.ErrBadRequest, err)
	}
	return err
}

// runnerVolumes are the request's volume bindings as the runner takes
// them.
func runnerVolumes(vs []api.Volume) []runner.VolumeBinding {
	var out []runner.VolumeBinding
	for _, v := range vs {
		out = append(out, runner.VolumeBinding{Target: v.Target, Path: v.Source, ReadOnly: v.ReadOnly})
	}
	return out
}

type runnerVM struct {
	v     *runner.VM
	flush func()
	once  sync.Once
}

func (r *runnerVM) Wait() (int, error) {
	st, err := r.v.Wait()
	r.once.Do(r.flush)
	return st, err
}

func (r *runnerVM) Shutdown() error       { return r.v.Shutdown() }
func (r *runnerVM) Kill() error           { return r.v.Kill() }
func (r *runnerVM) Done() <-chan struct{} { return r.v.Done() }

func (r *runnerVM) Agent(ctx context.Context) (Agent, error) {
	a, err := r.v.Agent(ctx)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// lineSplitter turns one of the console's outputs back into lines:
// "NAME | text" is container NAME's (on this splitter's stream), any
// other line goes to console as it is.
type lineSplitter struct {
	stream  contract.Stream
	names   map[string]bool
	log     func(contract.LogEntry)
	console io.Writer

	mu   sync.Mutex
	line []byte
}

func (s *lineSplitter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.line = append(s.line, p...)
			if len(s.line) >= maxLogLine {
				s.emit()
			}
			break
		}
		s.line = append(s.line, p[:i]...)
		p = p[i+1:]
		s.emit()
	}
	return n, nil
}

// Flush sends a last line that has no newline.
func (s *lineSplitter) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.line) > 0 {
		s.emit()
	}
}

func (s *lineSplitter) emit() {
	line := string(s.line)
	s.line = s.line[:0]
	if name, text, ok := strings.Cut(line, contract.StdoutSep); ok && s.names[name] && s.log != nil {
		s.log(contract.LogEntry{Container: name, Stream: s.stream, Time: time.Now().UTC(), Line: text})
		return
	}
	io.WriteString(s.console, line+"\n")
}
