// Package agent is the host's client for hyperstart's agent: the control
// channel into a running pod (list, exec, signal, stop, restart, logs,
// events, shutdown), spoken as contract/agent.go defines it.
//
// The transport is one byte stream, the VM's virtio-serial port named
// contract.AgentPort (runner.VM.Agent connects to it and returns a ready
// Client); Dial runs a yamux client session over it, and each request
// opens a yamux stream of its own, so that any number of execs, log
// follows and event streams run at once.
//
//	c, err := vm.Agent(ctx) // or agent.Dial(conn)
//	cs, err := c.List(ctx)
//	status, err := c.Exec(ctx, contract.ExecRequest{Args: []string{"true"}}, agent.ExecIO{Stdout: os.Stdout})
//	err = c.Logs(ctx, "web", contract.LogsRequest{Follow: true}, func(e contract.LogEntry) error { ... })
//
// Errors the guest replies with are *Error (errors.As), carrying the
// contract's ErrorCode (not found, conflict, bad request, internal) for
// hyperd to map to an HTTP status; a request that fails
// contract.Request.Check is refused here, as CodeBadRequest, without a
// round trip. Everything read from the guest is untrusted: frames are
// bounded (contract.MaxFrame), decoded strictly into the contract's
// structs and checked, and a guest that breaks the protocol gets
// ErrProtocol, never a panic or an unbounded buffer. Streams the guest
// opens towards the host are never accepted (a few wait in yamux's small
// backlog, the rest are reset).
//
// Cancelling an operation's context abandons its stream: the guest sees
// it closed (for exec: the process's stdin and output go away; what it
// does then is hyperstart's choice).
package agent
