package hyperstart

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// LogStore keeps the last lines of each container's stdout and stderr
// for the agent's logs op: per container and stream a ring of at most
// Limit bytes (contract.LogRingBytes in the VM), the oldest lines dropped
// first, so that a container flooding its output costs the guest a
// fixed amount of memory. Every line gets a sequence number across the
// whole store, so that lines of several rings read back in the order
// they were written, and followers resume where they stopped.
type LogStore struct {
	mu     sync.Mutex
	limit  int
	rings  map[logKey]*logRing
	seq    uint64
	wake   chan struct{} // closed and replaced by each Add
	closed bool
	now    func() time.Time
}

type logKey struct {
	container string
	stream    contract.Stream
}

type logLine struct {
	seq  uint64
	at   time.Time
	line string
}

// lineOverhead is what a kept line costs beyond its text (sequence,
// time, string header), so that a flood of empty lines is bounded too.
const lineOverhead = 48

// logRing is a queue of lines: lines[head:] are kept.
type logRing struct {
	lines []logLine
	head  int
	bytes int
}

// NewLogStore keeps at most limit bytes per container and stream.
func NewLogStore(limit int) *LogStore {
	return &LogStore{limit: limit, rings: map[logKey]*logRing{}, wake: make(chan struct{}), now: time.Now}
}

// Add keeps one line (without its newline) of a container's stream.
func (s *LogStore) Add(container string, stream contract.Stream, line []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	k := logKey{container, stream}
	r := s.rings[k]
	if r == nil {
		r = &logRing{}
		s.rings[k] = r
	}
	s.seq++
	r.push(logLine{seq: s.seq, at: s.now(), line: string(line)}, s.limit)
	close(s.wake)
	s.wake = make(chan struct{})
}

func (r *logRing) push(l logLine, limit int) {
	r.lines = append(r.lines, l)
	r.bytes += len(l.line) + lineOverhead
	for r.bytes > limit && r.head < len(r.lines) {
		r.bytes -= len(r.lines[r.head].line) + lineOverhead
		r.lines[r.head] = logLine{}
		r.head++
	}
	// Reuse the front of the slice once half of it is dropped lines.
	if r.head > 0 && r.head >= len(r.lines)/2 {
		n := copy(r.lines, r.lines[r.head:])
		clear(r.lines[n:])
		r.lines = r.lines[:n]
		r.head = 0
	}
}

// Close wakes every follower for the last time: no line comes after it.
func (s *LogStore) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.wake)
	}
}

// LogQuery selects lines: of one container ("" for all), of the streams
// asked for (neither means both), no older than Since (when set), with a
// sequence number above After; Tail, when above 0, keeps only the last
// Tail of those.
type LogQuery struct {
	Container string
	Stdout    bool
	Stderr    bool
	Since     time.Time
	After     uint64
	Tail      int
}

// Read returns the lines q selects, oldest first, the sequence number to
// pass as After to read on, and a channel closed when more lines come or
// the store closes (then closed is true).
func (s *LogStore) Read(q LogQuery) (lines []contract.LogEntry, next uint64, wake <-chan struct{}, closed bool) {
	both := q.Stdout == q.Stderr
	s.mu.Lock()
	var picked []logLine
	var keys []logKey
	for k, r := range s.rings {
		if q.Container != "" && k.container != q.Container {
			continue
		}
		if !both && (k.stream == contract.Stdout) != q.Stdout {
			continue
		}
		for _, l := range r.lines[r.head:] {
			if l.seq > q.After && (q.Since.IsZero() || !l.at.Before(q.Since)) {
				picked = append(picked, l)
				keys = append(keys, k)
			}
		}
	}
	next, wake, closed = s.seq, s.wake, s.closed
	s.mu.Unlock()

	idx := make([]int, len(picked))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(picked[a].seq, picked[b].seq) })
	if q.Tail > 0 && len(idx) > q.Tail {
		idx = idx[len(idx)-q.Tail:]
	}
	lines = make([]contract.LogEntry, len(idx))
	for i, j := range idx {
		lines[i] = contract.LogEntry{Container: keys[j].container, Stream: keys[j].stream, Time: picked[j].at, Line: picked[j].line}
	}
	return lines, next, wake, closed
}
