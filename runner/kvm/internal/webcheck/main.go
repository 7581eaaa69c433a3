package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout))
}

// portLine is hyperboot's announcement of a published port.
var portLine = regexp.MustCompile(`^hyperboot: port (\S+) -> \d+/tcp`)

func run(args []string, out io.Writer) int {
	fs := flag.NewFlagSet("webcheck", flag.ContinueOnError)
	path := fs.String("path", "/", "the path to GET")
	want := fs.String("want", "", "text the answer must contain")
	n := fs.Int("n", 20, "requests for the latency")
	big := fs.String("big", "", "a large path to measure the throughput with")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up on the pod's first answer after this long")
	at := fs.String("addr", "", "the published port's HOST:PORT, for a VMM that does not announce it (default: hyperboot's port line)")
	if err := fs.Parse(args); err != nil || fs.NArg() < 1 {
		fmt.Fprintln(out, "usage: webcheck [-path P] [-want TEXT] [-n N] [-big P] -- HYPERBOOT ARGS...")
		return 2
	}
	say := func(format string, a ...any) { fmt.Fprintf(out, "webcheck: "+format+"\n", a...) }
	if err := loopbackUp(); err != nil {
		say("FAIL: bringing lo up: %v", err)
		return 1
	}
	hb := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	pipe, err := hb.StdoutPipe()
	if err != nil {
		say("FAIL: %v", err)
		return 1
	}
	hb.Stderr = hb.Stdout
	start := time.Now()
	if err := hb.Start(); err != nil {
		say("FAIL: starting hyperboot: %v", err)
		return 1
	}
	addr := make(chan string, 1)
	copied := make(chan struct{})
	go func() { // hyperboot's lines to ours, the port's address noted
		defer close(copied)
		s := bufio.NewScanner(pipe)
		for s.Scan() {
			fmt.Fprintln(out, s.Text())
			if m := portLine.FindStringSubmatch(s.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	if *at != "" {
		addr <- *at
	}
	status := 1
	select {
	case a := <-addr:
		if check(say, a, *path, *want, *n, *big, start, *timeout, copied) {
			status = 0
		}
	case <-copied:
		say("FAIL: hyperboot ended without publishing a tcp port")
	case <-time.After(*timeout):
		say("FAIL: hyperboot published no tcp port within %v", *timeout)
	}
	hb.Process.Signal(os.Interrupt) // the pod's graceful stop
	<-copied
	err = hb.Wait()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		say("hyperboot exit status %d", ee.ExitCode())
	case err != nil:
		say("FAIL: hyperboot: %v", err)
		status = 1
	default:
		say("hyperboot exit status 0")
	}
	return status
}

// check waits for the pod's first answer at addr, checks it and measures.
// It gives up as soon as gone is closed: hyperboot has ended, and no
// answer will come.
func check(say func(string, ...any), addr, path, want string, n int, big string, start time.Time, timeout time.Duration, gone <-chan struct{}) bool {
	url := "http://" + addr
	// A new connection per request: what the port costs, not keep-alive.
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var body []byte
	var last error
	for {
		var code int
		code, body, last = get(c, url+path)
		if last == nil && code == http.StatusOK {
			break
		}
		if last == nil {
			last = fmt.Errorf("status %d", code)
		}
		select {
		case <-ctx.Done():
			say("FAIL: GET %s: no answer within %v: %v", path, timeout, last)
			return false
		case <-gone:
			say("FAIL: GET %s: hyperboot ended before the pod answered: %v", path, last)
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
	if !strings.Contains(string(body), want) {
		say("FAIL: GET %s = %q, want %q in it", path, body, want)
		return false
	}
	say("ok: GET %s 200 %q after %.1f s", path, strings.TrimSpace(string(body)), time.Since(start).Seconds())
	var times []time.Duration
	for range n {
		t := time.Now()
		if code, _, err := get(c, url+path); err != nil || code != http.StatusOK {
			say("FAIL: GET %s again: %d, %v", path, code, err)
			return false
		}
		times = append(times, time.Since(t))
	}
	if len(times) > 0 {
		slices.Sort(times)
		say("latency: median %.2f ms over %d requests", float64(times[len(times)/2].Microseconds())/1000, len(times))
	}
	if big != "" {
		t := time.Now()
		code, b, err := get(c, url+big)
		if err != nil || code != http.StatusOK {
			say("FAIL: GET %s: %d, %v", big, code, err)
			return false
		}
		d := time.Since(t)
		say("throughput: %d bytes in %.2f s: %.1f MiB/s", len(b), d.Seconds(), float64(len(b))/(1<<20)/d.Seconds())
	}
	return true
}

func get(c *http.Client, url string) (int, []byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// loopbackUp brings lo up, with 127.0.0.1 (the kernel gives it that
// address as it comes up).
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	if ifr.Uint16()&unix.IFF_UP != 0 {
		return nil // a host's, already up
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
