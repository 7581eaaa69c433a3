// Command hyperboot boots a hyper artifact like docker run: the
// containers' stdout on stdout, their stderr and every other message on
// stderr, the pod's exit status as its own (125 when hyperboot itself
// fails, 2 for a bad command line), Ctrl-C as a graceful stop. The backends (runner/kvm, the
// pure-Go VMM, and runner/qemu) register themselves; package runner picks
// one and does the work.
//
//	hyperboot -p 8080:80 web.img
package main
