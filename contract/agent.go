package contract

import (
	"fmt"
	"strings"
	"time"
)

// The agent protocol: how the host talks to hyperstart while the pod runs
// (list, exec, signal, stop, restart, logs, events).
//
// Transport: one byte stream between host and guest, a virtio-serial
// port named AgentPort (QEMU's virtserialport on a unix-socket chardev;
// our VMM's virtio-console multiport device). The stream carries a yamux
// session (github.com/hashicorp/yamux) in which hyperstart is the server:
// the host opens one yamux stream per request.
//
// On each stream the host writes one FrameRequest (a JSON Request) first;
// hyperstart answers with one FrameReply (a JSON Reply: the result, or an
// error with its ErrorCode). What follows depends on the op:
//
//	ping, list, signal, stop, restart, shutdown: nothing; the stream ends.
//	exec:   host → guest FrameStdin (empty payload: stdin closed),
//	        FrameResize, FrameSignal; guest → host FrameStdout,
//	        FrameStderr (a tty has only stdout), then one FrameExit, and
//	        the stream ends.
//	logs:   guest → host FrameLog per line, oldest first; with Follow the
//	        stream stays open until the host closes it.
//	events: guest → host FrameEvent per event until the host closes it.
//
// Neither side trusts the other: every frame is bounded (MaxFrame), every
// request is checked (Request.Check) before it is acted on, and every
// reply is decoded into these structs only.
const (
	// AgentPort is the virtio-serial port's name (the guest finds it in
	// /sys/class/virtio-ports/vport*/name).
	AgentPort = "org.hyper.agent.0"
	// AgentVersion is the protocol's version, in Reply.Version to ping.
	AgentVersion = 1
	// MaxFrame bounds one frame's payload.
	MaxFrame = 1 << 20
	// MaxExecArgs and MaxExecBytes bound an exec's argv and env.
	MaxExecArgs  = 4096
	MaxExecBytes = 256 << 10
	// LogRingBytes is how much of each container's output hyperstart
	// keeps for the logs op (per stream): a flood cannot exhaust the
	// guest's memory, the oldest lines go first.
	LogRingBytes = 256 << 10
)

// FrameType says what a frame's payload is.
type FrameType byte

// The frame types.
const (
	FrameRequest FrameType = 1  // host → guest: JSON Request, a stream's first frame
	FrameReply   FrameType = 2  // guest → host: JSON Reply
	FrameStdin   FrameType = 3  // host → guest: bytes; empty means stdin is closed
	FrameStdout  FrameType = 4  // guest → host: bytes
	FrameStderr  FrameType = 5  // guest → host: bytes
	FrameResize  FrameType = 6  // host → guest: JSON WindowSize
	FrameSignal  FrameType = 7  // host → guest: JSON SignalRequest, to an exec'd process
	FrameExit    FrameType = 8  // guest → host: JSON ExitStatus, an exec's last frame
	FrameLog     FrameType = 9  // guest → host: JSON LogEntry
	FrameEvent   FrameType = 10 // guest → host: JSON Event
)

// Valid reports whether t is a known frame type.
func (t FrameType) Valid() bool { return t >= FrameRequest && t <= FrameEvent }

// The ops.
const (
	OpPing     = "ping"
	OpList     = "list"
	OpExec     = "exec"
	OpSignal   = "signal"
	OpStop     = "stop"
	OpRestart  = "restart"
	OpLogs     = "logs"
	OpEvents   = "events"
	OpShutdown = "shutdown" // stop the whole pod gracefully, then power off
)

// Request is the first frame of every stream.
type Request struct {
	Op string `json:"op"`
	// Container names the container of exec, signal, stop, restart and
	// logs (logs of every container when empty).
	Container string       `json:"container,omitempty"`
	Exec      *ExecRequest `json:"exec,omitempty"`
	// Signal is for OpSignal: a name or number (ParseSignal).
	Signal string `json:"signal,omitempty"`
	// Timeout is for OpStop and OpShutdown: how long after the stop
	// signal before SIGKILL; 0 means the container's stop_timeout.
	Timeout Duration     `json:"timeout,omitempty"`
	Logs    *LogsRequest `json:"logs,omitempty"`
}

// ExecRequest runs a process in a container's namespaces and root.
type ExecRequest struct {
	Args []string `json:"args"`
	// Env is added to the container's environment (KEY=VALUE).
	Env []string `json:"env,omitempty"`
	// User and Workdir default to the container's.
	User    string `json:"user,omitempty"`
	Workdir string `json:"workdir,omitempty"`
	// TTY gives the process a pseudo-terminal (stdout and stderr are
	// one stream then); Size is its first window size.
	TTY  bool       `json:"tty,omitempty"`
	Size WindowSize `json:"size,omitempty"`
	// Stdin: the host sends FrameStdin; without it stdin is /dev/null.
	Stdin bool `json:"stdin,omitempty"`
}

// WindowSize is a terminal's size.
type WindowSize struct {
	Rows uint16 `json:"rows"`
	Cols uint16 `json:"cols"`
}

// SignalRequest signals an exec'd process (FrameSignal).
type SignalRequest struct {
	Signal string `json:"signal"`
}

// LogsRequest selects log lines.
type LogsRequest struct {
	// Follow keeps the stream open for new lines.
	Follow bool `json:"follow,omitempty"`
	// Tail is how many of the last lines to send first; 0 means all.
	Tail int `json:"tail,omitempty"`
	// Since drops older lines when not zero.
	Since time.Time `json:"since,omitempty"`
	// Stdout and Stderr pick the streams; neither means both.
	Stdout bool `json:"stdout,omitempty"`
	Stderr bool `json:"stderr,omitempty"`
}

// ErrorCode says what kind of error a reply carries, so that hyperd can
// answer with the right HTTP status.
type ErrorCode string

// The error codes.
const (
	CodeBadRequest ErrorCode = "bad_request" // 400: the request itself is wrong
	CodeNotFound   ErrorCode = "not_found"   // 404: no such container
	CodeConflict   ErrorCode = "conflict"    // 409: e.g. exec into a container that is not running
	CodeInternal   ErrorCode = "internal"    // 500: the guest failed
)

// Reply answers a request.
type Reply struct {
	Error      string            `json:"error,omitempty"`
	Code       ErrorCode         `json:"code,omitempty"`
	Version    int               `json:"version,omitempty"`    // ping
	Containers []ContainerStatus `json:"containers,omitempty"` // list
}

// Container states.
const (
	StateCreated    = "created"
	StateRunning    = "running"
	StateRestarting = "restarting"
	StateExited     = "exited"
)

// ContainerStatus is one container as list reports it.
type ContainerStatus struct {
	Name     string `json:"name"`
	State    string `json:"state"`
	Pid      int    `json:"pid,omitempty"`
	Restarts int    `json:"restarts"`
	// ExitStatus is the last exit's status (128+N for signal N), nil
	// when it has not exited yet.
	ExitStatus *int      `json:"exit_status,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// ExitStatus ends an exec: the process's status (128+N for signal N).
type ExitStatus struct {
	Status int `json:"status"`
}

// LogEntry is one line of a container's output.
type LogEntry struct {
	Container string    `json:"container"`
	Stream    Stream    `json:"stream"`
	Time      time.Time `json:"time"`
	Line      string    `json:"line"` // without its newline
}

// Event types.
const (
	EventStart   = "start"
	EventExit    = "exit"
	EventRestart = "restart"
	EventStop    = "stop" // the pod is stopping (no Container), or Container on the host's request
)

// Event is something that happened to a container or the pod.
type Event struct {
	Time       time.Time `json:"time"`
	Type       string    `json:"type"`
	Container  string    `json:"container,omitempty"`
	ExitStatus *int      `json:"exit_status,omitempty"`
}

// Check validates a request before anything acts on it: the op is known,
// what it needs is there and within bounds. The container's existence is
// the guest's to check (CodeNotFound).
func (r *Request) Check() error {
	switch r.Op {
	case OpPing, OpList, OpEvents, OpShutdown:
	case OpExec:
		if r.Exec == nil {
			return fmt.Errorf("exec: no exec request")
		}
		if err := r.Exec.check(); err != nil {
			return fmt.Errorf("exec: %w", err)
		}
	case OpSignal:
		if _, _, err := ParseSignal(r.Signal); err != nil {
			return err
		}
	case OpStop, OpRestart:
	case OpLogs:
		if r.Logs != nil && r.Logs.Tail < 0 {
			return fmt.Errorf("logs: tail %d: want 0 (all) or more", r.Logs.Tail)
		}
	default:
		return fmt.Errorf("unknown op %q", r.Op)
	}
	switch r.Op {
	case OpExec, OpSignal, OpStop, OpRestart:
		if r.Container == "" {
			return fmt.Errorf("%s: no container named", r.Op)
		}
	}
	if r.Container != "" && (strings.ContainsAny(r.Container, "/\x00") || len(r.Container) > 255) {
		return fmt.Errorf("container name %q is not valid", r.Container)
	}
	if r.Timeout < 0 {
		return fmt.Errorf("timeout %v: want 0 or more", time.Duration(r.Timeout))
	}
	return nil
}

func (e *ExecRequest) check() error {
	if len(e.Args) == 0 || e.Args[0] == "" {
		return fmt.Errorf("no command")
	}
	if len(e.Args)+len(e.Env) > MaxExecArgs {
		return fmt.Errorf("%d arguments and variables: at most %d", len(e.Args)+len(e.Env), MaxExecArgs)
	}
	n := 0
	for _, s := range append(append([]string(nil), e.Args...), e.Env...) {
		if strings.IndexByte(s, 0) >= 0 {
			return fmt.Errorf("a NUL byte in %q", s)
		}
		n += len(s)
	}
	if n > MaxExecBytes {
		return fmt.Errorf("%d bytes of arguments and environment: at most %d", n, MaxExecBytes)
	}
	for _, kv := range e.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("environment entry %q: want KEY=VALUE", kv)
		}
	}
	if e.Workdir != "" && !strings.HasPrefix(e.Workdir, "/") {
		return fmt.Errorf("workdir %q: want an absolute path", e.Workdir)
	}
	return CheckUser(e.User)
}
