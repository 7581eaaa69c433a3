package agent

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/hyperbuild/hyper/contract"
)

// FuzzDecode feeds what a hostile guest could send on a stream to each of
// the client's decoders (a reply, an exec's output, a log stream, an
// event stream): none may panic or accept what the contract forbids, and
// each must stop at the end of its input.
func FuzzDecode(f *testing.F) {
	seed := func(frames ...func(w io.Writer)) []byte {
		var b bytes.Buffer
		for _, fr := range frames {
			fr(&b)
		}
		return b.Bytes()
	}
	j := func(t contract.FrameType, v any) func(io.Writer) {
		return func(w io.Writer) { contract.WriteJSON(w, t, v) }
	}
	d := func(t contract.FrameType, p string) func(io.Writer) {
		return func(w io.Writer) { contract.WriteData(w, t, []byte(p)) }
	}
	one := 1
	f.Add(seed(j(contract.FrameReply, contract.Reply{Version: 1})))
	f.Add(seed(j(contract.FrameReply, contract.Reply{Error: "no such container", Code: contract.CodeNotFound})))
	f.Add(seed(j(contract.FrameReply, contract.Reply{Containers: []contract.ContainerStatus{{Name: "web", State: "running", ExitStatus: &one}}})))
	f.Add(seed(d(contract.FrameStdout, "out\n"), d(contract.FrameStderr, "err\n"), j(contract.FrameExit, contract.ExitStatus{Status: 3})))
	f.Add(seed(j(contract.FrameLog, fakeLogs[0]), j(contract.FrameLog, fakeLogs[2])))
	f.Add(seed(j(contract.FrameEvent, contract.Event{Type: "exit", Container: "web", ExitStatus: &one})))
	f.Add([]byte{2, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, err := readReply(bytes.NewReader(data)); err == nil {
			if err := replyError(r); err != nil {
				var e *Error
				if !errors.As(err, &e) || len(e.Message) > maxMessage+len("…") {
					t.Fatalf("reply error %#v", err)
				}
			}
			for i := range r.Containers {
				if checkStatus(&r.Containers[i]) == nil && r.Containers[i].Name == "" {
					t.Fatal("a container without a name passed")
				}
			}
		}
		if st, err := readExec(bytes.NewReader(data), ExecIO{Stdout: io.Discard, Stderr: io.Discard}); err == nil && (st < 0 || st > 255) {
			t.Fatalf("exec status %d accepted", st)
		}
		readLogs(bytes.NewReader(data), "web", func(e contract.LogEntry) error {
			if e.Container != "web" || (e.Stream != contract.Stdout && e.Stream != contract.Stderr) {
				t.Fatalf("log entry %+v accepted", e)
			}
			return nil
		})
		readEvents(bytes.NewReader(data), func(e contract.Event) error {
			if e.Type == "" || e.ExitStatus != nil && (*e.ExitStatus < 0 || *e.ExitStatus > 255) {
				t.Fatalf("event %+v accepted", e)
			}
			return nil
		})
	})
}
