package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
)

// A pod's logs on the host: its containers' lines, one JSON
// contract.LogEntry per line, in two files of at most logFileMax bytes
// each (current.jsonl, and previous.jsonl that the last rotation left),
// so that a flood keeps the newest lines and never fills the disk. The
// shim appends; anyone reads, while the pod runs (following new lines)
// or after it stopped, from the files alone.
const (
	logFileMax  = 4 << 20
	maxLogLine  = 16 << 10
	logCurrent  = "current.jsonl"
	logPrevious = "previous.jsonl"
)

// logStore is the writer's side, with the followers' wake-up.
type logStore struct {
	dir string
	max int64

	mu      sync.Mutex
	f       *os.File
	size    int64
	gen     int           // bumped by each rotation
	changed chan struct{} // closed (and replaced) by each append
	closed  bool
}

func openLogStore(dir string, max int64) (*logStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the log directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, logCurrent), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening the log: %w", err)
	}
	return &logStore{dir: dir, max: max, f: f, size: fi.Size(), changed: make(chan struct{})}, nil
}

// Append stores one line (cut to maxLogLine bytes).
func (s *logStore) Append(e contract.LogEntry) error {
	if len(e.Line) > maxLogLine {
		e.Line = e.Line[:maxLogLine]
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("log closed")
	}
	if s.size > 0 && s.size+int64(len(data)) > s.max {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	n, err := s.f.Write(data)
	s.size += int64(n)
	close(s.changed)
	s.changed = make(chan struct{})
	return err
}

func (s *logStore) rotate() error {
	s.f.Close()
	if err := os.Rename(filepath.Join(s.dir, logCurrent), filepath.Join(s.dir, logPrevious)); err != nil {
		return fmt.Errorf("rotating the log: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.dir, logCurrent), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("rotating the log: %w", err)
	}
	s.f, s.size = f, 0
	s.gen++
	return nil
}

// Close ends the log: followers read what is left and return.
func (s *logStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.changed)
	return s.f.Close()
}

// Read sends the lines q selects to fn, oldest first; with q.Follow it
// then sends new lines as they come until the log is closed (the pod
// stopped) or ctx is done.
func (s *logStore) Read(ctx context.Context, q api.LogsQuery, fn func(contract.LogEntry) error) error {
	s.mu.Lock()
	prev, _ := os.Open(filepath.Join(s.dir, logPrevious))
	cur, err := os.Open(filepath.Join(s.dir, logCurrent))
	gen := s.gen
	s.mu.Unlock()
	if prev != nil {
		defer prev.Close()
	}
	if err != nil {
		return fmt.Errorf("opening the log: %w", err)
	}
	r := &logReader{q: q, fn: fn}
	defer func() { r.f.Close() }()
	r.f, r.br = cur, bufio.NewReader(cur)
	if err := r.backlog(prev); err != nil {
		return err
	}
	if !q.Follow {
		return nil
	}
	for {
		s.mu.Lock()
		changed, closed, g := s.changed, s.closed, s.gen
		s.mu.Unlock()
		if err := r.more(); err != nil {
			return err
		}
		if g != gen {
			// Rotated: what this file still holds was read above; go on
			// with the new one from its start.
			f, err := os.Open(filepath.Join(s.dir, logCurrent))
			if err != nil {
				return fmt.Errorf("opening the log: %w", err)
			}
			r.f.Close()
			r.f, r.br, r.partial = f, bufio.NewReader(f), nil
			gen = g
			continue
		}
		if closed {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// readLogs reads the logs of a pod whose shim is gone, from its files.
func readLogs(dir string, q api.LogsQuery, fn func(contract.LogEntry) error) error {
	prev, _ := os.Open(filepath.Join(dir, logPrevious))
	if prev != nil {
		defer prev.Close()
	}
	cur, err := os.Open(filepath.Join(dir, logCurrent))
	if errors.Is(err, os.ErrNotExist) {
		cur, err = os.Open(os.DevNull)
	}
	if err != nil {
		return fmt.Errorf("opening the log: %w", err)
	}
	defer cur.Close()
	r := &logReader{q: q, fn: fn, f: cur, br: bufio.NewReader(cur)}
	return r.backlog(prev)
}

// logReader reads one log's lines, filtered by q, keeping a line cut
// short by a write in progress for the next read.
type logReader struct {
	q       api.LogsQuery
	fn      func(contract.LogEntry) error
	f       *os.File
	br      *bufio.Reader
	partial []byte
}

// backlog sends what the files hold now: everything q selects, or its
// last q.Tail lines.
func (r *logReader) backlog(prev *os.File) error {
	var ring []contract.LogEntry
	keep := r.fn
	if r.q.Tail > 0 {
		r.fn = func(e contract.LogEntry) error {
			if len(ring) == r.q.Tail {
				copy(ring, ring[1:])
				ring = ring[:len(ring)-1]
			}
			ring = append(ring, e)
			return nil
		}
	}
	if prev != nil {
		pr := &logReader{q: r.q, fn: r.fn, f: prev, br: bufio.NewReader(prev)}
		if err := pr.more(); err != nil {
			return err
		}
	}
	if err := r.more(); err != nil {
		return err
	}
	r.fn = keep
	for _, e := range ring {
		if err := r.fn(e); err != nil {
			return err
		}
	}
	return nil
}

// more sends the complete lines written since the last call.
func (r *logReader) more() error {
	for {
		b, err := r.br.ReadBytes('\n')
		if len(b) > 0 && err == nil {
			line := b
			if r.partial != nil {
				line = append(r.partial, b...)
				r.partial = nil
			}
			if err := r.send(line); err != nil {
				return err
			}
			continue
		}
		if len(b) > 0 {
			r.partial = append(r.partial, b...)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the log: %w", err)
		}
	}
}

func (r *logReader) send(line []byte) error {
	var e contract.LogEntry
	if json.Unmarshal(bytes.TrimSpace(line), &e) != nil {
		return nil // a damaged line: skip it
	}
	if !match(r.q, e) {
		return nil
	}
	return r.fn(e)
}

// match says whether q selects e.
func match(q api.LogsQuery, e contract.LogEntry) bool {
	if q.Container != "" && e.Container != q.Container {
		return false
	}
	if q.Stdout || q.Stderr {
		if (e.Stream == contract.Stdout && !q.Stdout) || (e.Stream == contract.Stderr && !q.Stderr) {
			return false
		}
	}
	return q.Since.IsZero() || !e.Time.Before(q.Since)
}
