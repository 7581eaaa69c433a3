package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// startTimeout bounds a shim's start: the runner's start (artifact
// opened, kernel extracted, VMM started), not the guest's boot.
const startTimeout = 2 * time.Minute

// The file descriptors a shim inherits from hyperd.
const (
	ShimLockFD  = 3 // the pod's lock, already taken
	ShimReadyFD = 4 // where it says "ok" or why it failed
)

// SpawnProcess starts a pod's shim: hyperd itself, re-executed as
// `hyperd shim --root ROOT --id ID`, in a new session (restarting or
// killing hyperd leaves it and its pod running), with the pod's lock
// and a pipe on which it says whether the pod started. Its output goes
// to the pod's shim.log.
func SpawnProcess(ctx context.Context, root, id string, lock *os.File) error {
	defer lock.Close()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding hyperd's executable to start the pod's supervisor: %w", err)
	}
	dir := podDir(root, id)
	logf, err := os.OpenFile(filepath.Join(dir, shimLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("starting the pod's supervisor: %w", err)
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("starting the pod's supervisor: %w", err)
	}
	defer pr.Close()
	cmd := exec.Command(exe, "shim", "--root", root, "--id", id)
	cmd.Args[0] = "hyperd"
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{lock, pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return fmt.Errorf("starting the pod's supervisor: %w", err)
	}
	go cmd.Wait() // reap it when it ends, while this hyperd lives
	return readReady(ctx, pr, dir, cmd.Process)
}

// readReady waits for a shim's word on the ready pipe.
func readReady(ctx context.Context, r *os.File, dir string, proc *os.Process) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Now()) })
	defer stop()
	br := bufio.NewReader(io.LimitReader(r, 64<<10))
	line, err := br.ReadString('\n')
	if strings.TrimSpace(line) == "ok" {
		return nil
	}
	if line != "" {
		// A failure: its message may go on; the shim exits after it.
		rest, _ := io.ReadAll(br)
		return parseReady(strings.TrimSpace(line + string(rest)))
	}
	if ctx.Err() != nil {
		if proc != nil {
			proc.Kill()
		}
		return fmt.Errorf("the pod's supervisor did not start the pod within %v (killed it; see %s)", startTimeout, filepath.Join(dir, shimLog))
	}
	_ = err
	return fmt.Errorf("the pod's supervisor exited before starting the pod: %s", tail(filepath.Join(dir, shimLog)))
}

// A shim's failure on the ready pipe is "STATUS message", so that hyperd
// answers with the status the error deserves.
func readyLine(err error) string {
	return fmt.Sprintf("%d %s", statusOf(err), message(err))
}

func parseReady(line string) error {
	s, msg, ok := strings.Cut(line, " ")
	n, err := strconv.Atoi(s)
	if !ok || err != nil || http.StatusText(n) == "" {
		return errors.New(line)
	}
	return &statusError{status: n, msg: msg}
}

// statusError is an error that came with its status from another
// process.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// tail is the end of a log file, for an error message.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil || len(strings.TrimSpace(string(data))) == 0 {
		return "it said nothing (" + path + ")"
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s
}

// RunShimProcess is `hyperd shim --root ROOT --id ID` once its flags are
// read: the pod's lock and the ready pipe are the file descriptors hyperd
// passed (ShimLockFD, ShimReadyFD), SIGTERM and SIGINT stop the pod
// gracefully, and the guest's console goes to console (shim.log).
func RunShimProcess(root, id string, console io.Writer) error {
	// Inherited without close-on-exec: the VMM the shim starts must hold
	// neither the pod's lock nor hyperd's ready pipe.
	unix.CloseOnExec(ShimLockFD)
	unix.CloseOnExec(ShimReadyFD)
	s := &Shim{
		Root:    root,
		ID:      id,
		Runtime: RunnerRuntime{},
		Lock:    os.NewFile(ShimLockFD, "lock"),
		Ready:   os.NewFile(ShimReadyFD, "ready"),
		Console: console,
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	go func() {
		<-sigs
		s.Stop()
	}()
	return s.Run(context.Background())
}
