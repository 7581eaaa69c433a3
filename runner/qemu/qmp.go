package qemu

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// qmp is a minimal QEMU Machine Protocol client: it negotiates
// capabilities, runs one command at a time and hands asynchronous events
// to a callback. See QEMU's docs/interop/qmp-spec.
type qmp struct {
	conn    net.Conn
	onEvent func(qmpEvent)

	mu      sync.Mutex // one command at a time
	replies chan qmpMessage
	done    chan struct{} // closed when the reader stops
	err     error         // why the reader stopped
}

type qmpMessage struct {
	QMP    json.RawMessage `json:"QMP,omitempty"`
	Return json.RawMessage `json:"return,omitempty"`
	Error  *qmpError       `json:"error,omitempty"`
	Event  string          `json:"event,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
}

type qmpError struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

type qmpEvent struct {
	Name string
	Data json.RawMessage
}

// shutdownReason is the "reason" of a SHUTDOWN event ("guest-reset",
// "guest-shutdown", "host-qmp-system-powerdown" is not one: a power-down
// request shows up as the guest's own "guest-shutdown").
func (e qmpEvent) shutdownReason() string {
	var d struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(e.Data, &d)
	return d.Reason
}

// dialQMP connects to a QMP unix socket, retrying until ctx is done (QEMU
// creates the socket a moment after it starts), reads the greeting and
// enters command mode.
func dialQMP(ctx context.Context, path string, onEvent func(qmpEvent)) (*qmp, error) {
	var conn net.Conn
	for {
		var err error
		var d net.Dialer
		conn, err = d.DialContext(ctx, "unix", path)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connecting to QMP at %s: %w", path, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if onEvent == nil {
		onEvent = func(qmpEvent) {}
	}
	q := &qmp{conn: conn, onEvent: onEvent, replies: make(chan qmpMessage, 1), done: make(chan struct{})}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	r := bufio.NewReader(conn)
	var greeting qmpMessage
	line, err := r.ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &greeting)
	}
	if err == nil && greeting.QMP == nil {
		err = fmt.Errorf("unexpected greeting %q", line)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("reading the QMP greeting: %w", err)
	}
	go q.read(r)
	if _, err := q.execute(ctx, "qmp_capabilities"); err != nil {
		q.Close()
		return nil, err
	}
	return q, nil
}

// read dispatches messages until the connection ends.
func (q *qmp) read(r *bufio.Reader) {
	defer close(q.done)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			q.err = err
			return
		}
		var m qmpMessage
		if err := json.Unmarshal(line, &m); err != nil {
			q.err = fmt.Errorf("decoding QMP message %q: %w", line, err)
			return
		}
		if m.Event != "" {
			q.onEvent(qmpEvent{Name: m.Event, Data: m.Data})
			continue
		}
		select {
		case q.replies <- m:
		default: // a reply nobody waits for (a cancelled command)
		}
	}
}

// execute runs one command and returns its "return" value.
func (q *qmp) execute(ctx context.Context, command string) (json.RawMessage, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case <-q.replies: // a late reply to a cancelled command
	default:
	}
	req, _ := json.Marshal(map[string]string{"execute": command})
	if _, err := q.conn.Write(append(req, '\n')); err != nil {
		return nil, fmt.Errorf("qmp %s: %w", command, err)
	}
	select {
	case m := <-q.replies:
		if m.Error != nil {
			return nil, fmt.Errorf("qmp %s: %s: %s", command, m.Error.Class, m.Error.Desc)
		}
		return m.Return, nil
	case <-q.done:
		err := q.err
		if err == nil {
			err = errors.New("connection closed")
		}
		return nil, fmt.Errorf("qmp %s: %w", command, err)
	case <-ctx.Done():
		return nil, fmt.Errorf("qmp %s: %w", command, ctx.Err())
	}
}

// Close ends the connection and waits for the reader.
func (q *qmp) Close() error {
	err := q.conn.Close()
	<-q.done
	return err
}
