package scripttest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// killDaemon ends what a script left in a hyperd state directory: each
// pod's shim (its VM goes with it) and hyperd.
func killDaemon(root string) {
	for _, s := range shims(root) {
		syscall.Kill(s.pid, syscall.SIGKILL)
	}
	if pid := daemonPid(root); pid > 0 {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func daemonPid(root string) int {
	data, _ := os.ReadFile(filepath.Join(root, "hyperd.lock"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// shim is a pod's supervisor process and the pod's directory.
type shim struct {
	pid int
	dir string
}

// shims are the pods of root that a shim owns, by name.
func shims(root string) map[string]shim {
	out := map[string]shim{}
	dirs, _ := filepath.Glob(filepath.Join(root, "pods", "*"))
	for _, d := range dirs {
		var cfg struct{ Name string }
		var st struct{ Pid int }
		if data, err := os.ReadFile(filepath.Join(d, "config.json")); err == nil {
			json.Unmarshal(data, &cfg)
		}
		if data, err := os.ReadFile(filepath.Join(d, "state.json")); err == nil {
			json.Unmarshal(data, &st)
		}
		if st.Pid > 0 {
			out[cfg.Name] = shim{pid: st.Pid, dir: d}
		}
	}
	return out
}

// daemonCommands drive hyperd below its CLI: raw API calls, killing its
// processes, checking for VMs left running.
func daemonCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// api METHOD PATH [BODY]: call $HYPER_ROOT's hyperd; stdout is
		// "STATUS\nBODY".
		"api": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 2 || len(args) > 3 {
				ts.Fatalf("usage: api METHOD PATH [BODY]")
			}
			sock := filepath.Join(ts.Getenv("HYPER_ROOT"), "hyperd.sock")
			hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			}}}
			var body io.Reader
			if len(args) == 3 {
				body = strings.NewReader(args[2])
			}
			req, err := http.NewRequest(args[0], "http://hyperd"+args[1], body)
			ts.Check(err)
			resp, err := hc.Do(req)
			ts.Check(err)
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			fmt.Fprintf(ts.Stdout(), "%d\n%s\n", resp.StatusCode, data)
		},
		// killshim NAME: SIGKILL the shim of pod NAME, and wait until it
		// has exited: the pod's lock, which only the shim holds, is free.
		// (Its VM can be gone first: QEMU's parent-death signal comes
		// when the shim's thread that started it exits, the lock goes
		// with the last one.)
		"killshim": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 1 {
				ts.Fatalf("usage: killshim POD")
			}
			shim, ok := shims(ts.Getenv("HYPER_ROOT"))[args[0]]
			if !ok {
				ts.Fatalf("pod %s has no shim", args[0])
			}
			ts.Check(syscall.Kill(shim.pid, syscall.SIGKILL))
			for i := 0; i < 100; i++ {
				f, err := os.Open(filepath.Join(shim.dir, "lock"))
				ts.Check(err)
				err = unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
				f.Close()
				if err == nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			ts.Fatalf("pod %s's shim (pid %d) still holds its lock 10s after SIGKILL", args[0], shim.pid)
		},
		// killhyperd: SIGKILL $HYPER_ROOT's hyperd, and wait until it is
		// gone (its lock free).
		"killhyperd": func(ts *testscript.TestScript, neg bool, args []string) {
			root := ts.Getenv("HYPER_ROOT")
			pid := daemonPid(root)
			if neg || pid <= 0 {
				ts.Fatalf("usage: killhyperd (with a hyperd running)")
			}
			ts.Check(syscall.Kill(pid, syscall.SIGKILL))
			for i := 0; i < 100; i++ {
				f, err := os.Open(filepath.Join(root, "hyperd.lock"))
				ts.Check(err)
				err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
				f.Close()
				if err == nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			ts.Fatalf("hyperd (pid %d) still holds its lock 10s after SIGKILL", pid)
		},
		// novm WORD: no qemu process with WORD in its command line is
		// left (waiting up to 10 s for one that is going).
		"novm": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 1 {
				ts.Fatalf("usage: novm WORD")
			}
			var left []string
			for i := 0; i < 100; i++ {
				left = vms(args[0])
				if len(left) == 0 {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			ts.Fatalf("VMs left running: %s", strings.Join(left, "\n"))
		},
		// waitvm WORD: wait (up to a minute) until a qemu process with
		// WORD in its command line runs.
		"waitvm": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 1 {
				ts.Fatalf("usage: waitvm WORD")
			}
			for i := 0; i < 600; i++ {
				if len(vms(args[0])) > 0 {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			ts.Fatalf("no VM with %q started within a minute", args[0])
		},
		// retry SECS PROG [ARGS...]: run PROG until it succeeds, for at
		// most SECS seconds (its last stdout and stderr are kept).
		"retry": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 2 {
				ts.Fatalf("usage: retry SECS PROG [ARGS...]")
			}
			secs, err := strconv.Atoi(args[0])
			ts.Check(err)
			deadline := time.Now().Add(time.Duration(secs) * time.Second)
			for {
				err := ts.Exec(args[1], args[2:]...)
				if err == nil {
					return
				}
				if time.Now().After(deadline) {
					ts.Fatalf("%s did not succeed within %ds: %v", args[1], secs, err)
				}
				time.Sleep(200 * time.Millisecond)
			}
		},
	}
}

// vms are the qemu processes whose command line holds word.
func vms(word string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(data), "\x00", " ")
		if strings.Contains(cmd, "qemu-system") && strings.Contains(cmd, word) {
			out = append(out, filepath.Base(filepath.Dir(p))+": "+cmd)
		}
	}
	return out
}
