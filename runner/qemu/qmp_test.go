package qemu

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeQMP serves one connection the way QEMU does: a greeting, then a
// reply per command; system_powerdown also emits a POWERDOWN event and,
// when reset is set, a SHUTDOWN event whose reason is guest-reset.
func fakeQMP(t *testing.T, path string, got chan<- string, greeting string) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte(greeting + "\r\n"))
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			var req struct {
				Execute string `json:"execute"`
			}
			json.Unmarshal(line, &req)
			got <- req.Execute
			switch req.Execute {
			case "qmp_capabilities":
				c.Write([]byte(`{"return": {}}` + "\r\n"))
			case "system_powerdown":
				c.Write([]byte(`{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "POWERDOWN"}` + "\r\n"))
				c.Write([]byte(`{"return": {}}` + "\r\n"))
				c.Write([]byte(`{"timestamp": {"seconds": 1, "microseconds": 3}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-reset"}}` + "\r\n"))
			default:
				c.Write([]byte(`{"error": {"class": "CommandNotFound", "desc": "The command ` + req.Execute + ` has not been found"}}` + "\r\n"))
			}
		}
	}()
}

const greeting = `{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "Debian 1:7.2"}, "capabilities": ["oob"]}}`

func TestQMP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qmp.sock")
	got := make(chan string, 10)
	events := make(chan qmpEvent, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The server appears after the client starts trying, as QEMU's does.
	go func() { time.Sleep(100 * time.Millisecond); fakeQMP(t, path, got, greeting) }()
	q, err := dialQMP(ctx, path, func(e qmpEvent) { events <- e })
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if c := <-got; c != "qmp_capabilities" {
		t.Errorf("first command %q, want qmp_capabilities", c)
	}
	if _, err := q.execute(ctx, "system_powerdown"); err != nil {
		t.Fatalf("system_powerdown: %v", err)
	}
	if c := <-got; c != "system_powerdown" {
		t.Errorf("command %q, want system_powerdown", c)
	}
	var names []string
	var reason string
	for len(names) < 2 {
		e := <-events
		names = append(names, e.Name)
		if e.Name == "SHUTDOWN" {
			reason = e.shutdownReason()
		}
	}
	if strings.Join(names, ",") != "POWERDOWN,SHUTDOWN" || reason != "guest-reset" {
		t.Errorf("events %v, reason %q; want POWERDOWN,SHUTDOWN and guest-reset", names, reason)
	}
	if _, err := q.execute(ctx, "no-such-thing"); err == nil || !strings.Contains(err.Error(), "CommandNotFound") {
		t.Errorf("unknown command: %v, want CommandNotFound", err)
	}
}

func TestQMPBadGreeting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qmp.sock")
	fakeQMP(t, path, make(chan string, 10), `{"hello": 1}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := dialQMP(ctx, path, nil); err == nil || !strings.Contains(err.Error(), "greeting") {
		t.Fatalf("dialQMP with a bad greeting: %v", err)
	}
}

func TestQMPNoServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := dialQMP(ctx, filepath.Join(t.TempDir(), "none.sock"), nil); err == nil {
		t.Fatal("dialQMP without a server succeeded")
	}
}

func TestQMPServerGone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qmp.sock")
	got := make(chan string, 10)
	fakeQMP(t, path, got, greeting)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := dialQMP(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	q.conn.(*net.UnixConn).CloseWrite()
	<-got
	// The server closes when it reads EOF; a command must then fail, not hang.
	select {
	case <-q.done:
	case <-time.After(5 * time.Second):
		t.Fatal("reader did not notice the closed connection")
	}
	if _, err := q.execute(ctx, "system_powerdown"); err == nil {
		t.Fatal("execute on a closed connection succeeded")
	}
	q.Close()
}
