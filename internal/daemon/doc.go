// Package daemon is hyperd: the API server (Daemon, Serve) and each
// pod's supervisor (Shim).
//
// hyperd keeps no state in memory: a pod is its directory under the
// state directory (state.go draws it), written by the pod's shim, so a
// restarted hyperd finds every pod where the last one left it. hyperd
// answers what the files can (list, a stopped pod's inspect, logs and
// wait) and proxies the rest to the pod's shim over its socket
// (httputil.ReverseProxy, upgrades included, for exec).
//
//	hyperd ──HTTP/unix──▶ pods/ID/shim.sock ── hyperd shim ──runner.Start──▶ VM
//	                                                │         agent (yamux)
//	                                                └─ logs/, state.json
//
// A shim (`hyperd shim`, re-executed hyperd, in a session of its own)
// holds the pod's lock for its whole life: hyperd takes it before
// spawning the shim and hands it over as a file descriptor, so the pod is
// never unowned, and a free lock with a running state means the shim was
// killed (hyperd then records so; QEMU dies with its parent, our VMM runs
// inside the shim). It boots the VM through a Runtime (RunnerRuntime in
// production, a fake in the tests), keeps the containers' lines in a
// bounded log (logStore), forwards the agent's events, and records how
// the pod ended before it exits.
package daemon
