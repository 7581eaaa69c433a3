// Command webcheck boots a pod that publishes an HTTP port with hyperboot
// and fetches from it on the host side, as a user's curl would: the
// nested KVM test runs it inside its outer VM on examples/web.hcl booted
// with --backend kvm. It brings the loopback interface up (an outer VM's
// init has nobody else to), starts hyperboot with the arguments after
// "--", reads where the port listens from hyperboot's "hyperboot: port"
// line, and GETs PATH until the pod answers. Then it measures: the
// median time of -n requests (a new connection each), and with -big the
// rate of fetching that path; it stops the pod with SIGINT (the graceful
// stop) and waits for hyperboot. With -addr it runs any VMM (make bench
// runs QEMU itself) and fetches from that address.
//
// Lines it prints, for the test and make bench to read:
//
//	webcheck: ok: GET / 200 "hello from the hyper web pod" after 21.3 s
//	webcheck: latency: median 4.1 ms over 20 requests
//	webcheck: throughput: 33554432 bytes in 1.20 s: 26.7 MiB/s
//	webcheck: FAIL: why
//	webcheck: hyperboot exit status N
//
// It exits 0 when the pod answered with -want, 1 otherwise.
//
//	webcheck [-path /] [-want TEXT] [-n 20] [-big /big] [-addr HOST:PORT] -- HYPERBOOT ARGS...
package main
