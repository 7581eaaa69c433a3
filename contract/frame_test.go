package contract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	req := Request{Op: OpExec, Container: "web", Exec: &ExecRequest{Args: []string{"sh", "-c", "true"}, TTY: true, Size: WindowSize{24, 80}}}
	if err := WriteJSON(&buf, FrameRequest, req); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), MaxFrame+10)
	if err := WriteData(&buf, FrameStdin, big); err != nil {
		t.Fatal(err)
	}
	if err := WriteData(&buf, FrameStdin, nil); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRequest(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Op != OpExec || got.Exec.Size.Cols != 80 || strings.Join(got.Exec.Args, " ") != "sh -c true" {
		t.Errorf("request = %+v", got)
	}
	var sizes []int
	for {
		ft, p, err := ReadFrame(&buf)
		if err == io.EOF {
			break
		}
		if err != nil || ft != FrameStdin {
			t.Fatalf("ReadFrame = %d, %v", ft, err)
		}
		sizes = append(sizes, len(p))
	}
	if len(sizes) != 3 || sizes[0] != MaxFrame || sizes[1] != 10 || sizes[2] != 0 {
		t.Errorf("stdin frames of %v bytes, want [%d 10 0]", sizes, MaxFrame)
	}
}

func TestReadFrameHostile(t *testing.T) {
	hdr := func(typ byte, n uint32) []byte {
		b := []byte{typ, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[1:], n)
		return b
	}
	for name, in := range map[string][]byte{
		"huge length":   hdr(byte(FrameStdout), 1<<31),
		"over MaxFrame": hdr(byte(FrameStdout), MaxFrame+1),
		"unknown type":  hdr(200, 1),
		"zero type":     hdr(0, 0),
		"short header":  {byte(FrameStdout), 0},
		"short payload": append(hdr(byte(FrameStdout), 10), "abc"...),
	} {
		if _, _, err := ReadFrame(bytes.NewReader(in)); !errors.Is(err, ErrFrame) {
			t.Errorf("%s: ReadFrame error %v, want ErrFrame", name, err)
		}
	}
}

func TestRequestCheck(t *testing.T) {
	good := []Request{
		{Op: OpPing}, {Op: OpList}, {Op: OpEvents}, {Op: OpShutdown, Timeout: Duration(5e9)},
		{Op: OpExec, Container: "web", Exec: &ExecRequest{Args: []string{"ls"}, Env: []string{"A=1"}, User: "1000:1000", Workdir: "/tmp"}},
		{Op: OpSignal, Container: "web", Signal: "HUP"}, {Op: OpStop, Container: "db"}, {Op: OpRestart, Container: "db"},
		{Op: OpLogs}, {Op: OpLogs, Container: "web", Logs: &LogsRequest{Tail: 10, Follow: true}},
	}
	for _, r := range good {
		if err := r.Check(); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	bad := []Request{
		{Op: "format-disk"}, {Op: OpExec, Container: "web"}, {Op: OpExec, Exec: &ExecRequest{Args: []string{"ls"}}},
		{Op: OpExec, Container: "web", Exec: &ExecRequest{}},
		{Op: OpExec, Container: "web", Exec: &ExecRequest{Args: []string{"ls\x00x"}}},
		{Op: OpExec, Container: "web", Exec: &ExecRequest{Args: []string{"ls"}, Env: []string{"NOEQUALS"}}},
		{Op: OpExec, Container: "web", Exec: &ExecRequest{Args: []string{"ls"}, Workdir: "relative"}},
		{Op: OpExec, Container: "web", Exec: &ExecRequest{Args: []string{"ls"}, User: "99999999999999999999"}},
		{Op: OpExec, Container: "web", Exec: &ExecRequest{Args: []string{strings.Repeat("a", MaxExecBytes+1)}}},
		{Op: OpSignal, Container: "web", Signal: "SIGNOPE"}, {Op: OpStop}, {Op: OpStop, Container: "../x"},
		{Op: OpLogs, Logs: &LogsRequest{Tail: -1}}, {Op: OpShutdown, Timeout: -1},
	}
	for _, r := range bad {
		if err := r.Check(); err == nil {
			t.Errorf("%+v: Check passed", r)
		}
	}
}

func TestReadRequestStrict(t *testing.T) {
	for _, payload := range []string{`{"op":"ping","extra":1}`, `{"op":"ping"} {}`, `[]`, `{"op":"exec"}`} {
		var buf bytes.Buffer
		WriteFrame(&buf, FrameRequest, []byte(payload))
		if _, err := ReadRequest(&buf); err == nil {
			t.Errorf("ReadRequest(%s) passed", payload)
		}
	}
	var buf bytes.Buffer
	WriteFrame(&buf, FrameStdin, []byte(`{"op":"ping"}`))
	if _, err := ReadRequest(&buf); !errors.Is(err, ErrFrame) {
		t.Errorf("a stream that starts with stdin: %v", err)
	}
}

// FuzzReadRequest: whatever the host sends, the guest's decoder returns a
// checked request or an error, and never allocates past MaxFrame.
func FuzzReadRequest(f *testing.F) {
	var buf bytes.Buffer
	WriteJSON(&buf, FrameRequest, Request{Op: OpExec, Container: "web", Exec: &ExecRequest{Args: []string{"ls"}}})
	f.Add(buf.Bytes())
	f.Add([]byte{1, 0, 0, 0, 2, '{', '}'})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		for i := 0; i < 4; i++ {
			req, err := ReadRequest(r)
			if err != nil {
				return
			}
			if err := req.Check(); err != nil {
				t.Fatalf("ReadRequest returned an unchecked request: %v", err)
			}
		}
	})
}

// FuzzReadFrame: the host's decoder of guest frames (replies, output,
// logs, events) never panics and never returns more than MaxFrame.
func FuzzReadFrame(f *testing.F) {
	var buf bytes.Buffer
	WriteJSON(&buf, FrameReply, Reply{Containers: []ContainerStatus{{Name: "web", State: StateRunning}}})
	WriteData(&buf, FrameStdout, []byte("hello\n"))
	WriteJSON(&buf, FrameExit, ExitStatus{Status: 3})
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		for {
			ft, p, err := ReadFrame(r)
			if err != nil {
				return
			}
			if len(p) > MaxFrame || !ft.Valid() {
				t.Fatalf("frame %d of %d bytes", ft, len(p))
			}
			var (
				r Reply
				l LogEntry
				e Event
			)
			DecodeJSON(p, &r)
			DecodeJSON(p, &l)
			DecodeJSON(p, &e)
		}
	})
}

func TestFrameWriter(t *testing.T) {
	var buf bytes.Buffer
	fw := NewFrameWriter(&buf)
	out := fw.Stream(FrameStdout)
	if n, err := out.Write(nil); n != 0 || err != nil {
		t.Errorf("empty Write = %d, %v", n, err)
	}
	if n, err := out.Write([]byte("hi")); n != 2 || err != nil {
		t.Errorf("Write = %d, %v", n, err)
	}
	fw.JSON(FrameExit, ExitStatus{Status: 3})
	ft, p, err := ReadFrame(&buf)
	if err != nil || ft != FrameStdout || string(p) != "hi" {
		t.Errorf("first frame %d %q %v", ft, p, err)
	}
	if ft, _, err := ReadFrame(&buf); err != nil || ft != FrameExit {
		t.Errorf("second frame %d %v", ft, err)
	}
	failing := NewFrameWriter(errWriter{})
	if err := failing.Data(FrameStdout, []byte("x")); err == nil {
		t.Fatal("Data on a failing writer passed")
	}
	if err := failing.JSON(FrameExit, ExitStatus{}); err == nil {
		t.Error("a write after a failed one passed")
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }
