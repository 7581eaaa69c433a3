package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
)

func entry(i int, c string, s contract.Stream) contract.LogEntry {
	return contract.LogEntry{Container: c, Stream: s, Time: time.Unix(int64(1000+i), 0).UTC(), Line: fmt.Sprintf("line %d", i)}
}

func collect(t *testing.T, read func(func(contract.LogEntry) error) error) []string {
	t.Helper()
	var out []string
	if err := read(func(e contract.LogEntry) error {
		out = append(out, e.Line)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// A flood keeps the newest lines within two files of the bound; tail,
// since, container and stream select; the files alone read the same.
func TestLogStoreBoundAndSelect(t *testing.T) {
	dir := t.TempDir()
	s, err := openLogStore(dir, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 500; i++ {
		c, st := "a", contract.Stdout
		if i%2 == 1 {
			c, st = "b", contract.Stderr
		}
		if err := s.Append(entry(i, c, st)); err != nil {
			t.Fatal(err)
		}
	}
	var total int64
	for _, n := range []string{logCurrent, logPrevious} {
		fi, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	if total > 2000 {
		t.Errorf("the log holds %d bytes; want at most two files of 1000", total)
	}
	all := collect(t, func(fn func(contract.LogEntry) error) error { return s.Read(context.Background(), api.LogsQuery{}, fn) })
	if len(all) == 0 || all[len(all)-1] != "line 499" {
		t.Fatalf("after a flood the log ends %q; want the newest line last", all[len(all)-1:])
	}
	for i := 1; i < len(all); i++ {
		var a, b int
		fmt.Sscanf(all[i-1], "line %d", &a)
		fmt.Sscanf(all[i], "line %d", &b)
		if b != a+1 {
			t.Fatalf("lines out of order or missing: %q then %q", all[i-1], all[i])
		}
	}
	for _, tt := range []struct {
		q    api.LogsQuery
		want string
	}{
		{api.LogsQuery{LogsRequest: contract.LogsRequest{Tail: 3}}, "line 497,line 498,line 499"},
		{api.LogsQuery{Container: "a", LogsRequest: contract.LogsRequest{Tail: 2}}, "line 496,line 498"},
		{api.LogsQuery{LogsRequest: contract.LogsRequest{Stderr: true, Tail: 2}}, "line 497,line 499"},
		{api.LogsQuery{LogsRequest: contract.LogsRequest{Since: time.Unix(1498, 0)}}, "line 498,line 499"},
	} {
		got := collect(t, func(fn func(contract.LogEntry) error) error { return s.Read(context.Background(), tt.q, fn) })
		if strings.Join(got, ",") != tt.want {
			t.Errorf("Read(%+v) = %q; want %s", tt.q, got, tt.want)
		}
		files := collect(t, func(fn func(contract.LogEntry) error) error { return readLogs(dir, tt.q, fn) })
		if strings.Join(files, ",") != tt.want {
			t.Errorf("readLogs(%+v) = %q; want %s", tt.q, files, tt.want)
		}
	}
	// A line too long is cut.
	s.Append(contract.LogEntry{Container: "a", Stream: contract.Stdout, Line: strings.Repeat("x", 3*maxLogLine)})
	last := collect(t, func(fn func(contract.LogEntry) error) error {
		return s.Read(context.Background(), api.LogsQuery{LogsRequest: contract.LogsRequest{Tail: 1}}, fn)
	})
	if len(last) != 1 || len(last[0]) != maxLogLine {
		t.Errorf("a %d-byte line is kept as %d bytes; want %d", 3*maxLogLine, len(last[0]), maxLogLine)
	}
}

// Following reads on across rotations, without losing or repeating a
// line, and ends when the log closes.
func TestLogStoreFollow(t *testing.T) {
	dir := t.TempDir()
	s, err := openLogStore(dir, 300)
	if err != nil {
		t.Fatal(err)
	}
	s.Append(entry(0, "a", contract.Stdout))
	got := make(chan string, 1000)
	done := make(chan error, 1)
	go func() {
		done <- s.Read(context.Background(), api.LogsQuery{LogsRequest: contract.LogsRequest{Follow: true}}, func(e contract.LogEntry) error {
			got <- e.Line
			return nil
		})
	}()
	if l := <-got; l != "line 0" {
		t.Fatalf("first line %q", l)
	}
	for i := 1; i <= 50; i++ {
		s.Append(entry(i, "a", contract.Stdout))
		if l := <-got; l != fmt.Sprintf("line %d", i) {
			t.Fatalf("followed %q; want line %d", l, i)
		}
	}
	s.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("following did not end when the log closed")
	}
	// A follower cancelled goes away.
	s2, _ := openLogStore(t.TempDir(), 300)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if err := s2.Read(ctx, api.LogsQuery{LogsRequest: contract.LogsRequest{Follow: true}}, func(contract.LogEntry) error { return nil }); err != context.Canceled {
		t.Errorf("a cancelled follow returned %v", err)
	}
}
