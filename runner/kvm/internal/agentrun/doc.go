// Command agentrun boots an artifact with the kvm backend through
// runner.Start, as hyperd's per-pod supervisor does, and drives the pod
// through its agent (package agent over the VMM's virtio-console port):
// list, exec (streams apart, stdin, a tty), logs, then a graceful
// shutdown. The nested KVM test runs it inside its outer VM on a pod
// whose container "web" prints web-started on stdout and web-warn on
// stderr, then sleeps. It prints one "agentrun: ok: CHECK" or
// "agentrun: FAIL: CHECK: why" line per check and exits 0 when all
// passed, 1 when one failed, 2 when hyperstart answered no ping (one
// without an agent).
//
//	agentrun [-timeout 3m] IMG
package main
