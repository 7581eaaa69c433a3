package scripttest

import (
	"errors"
	"os/exec"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hyperbuild/hyper/internal/testimage"
)

func commands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// status N PROG ARGS...: run PROG and require exit status N
		// (stdout and stderr are kept for the next stdout/stderr checks).
		"status": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 2 {
				ts.Fatalf("usage: status N PROG [ARGS...]")
			}
			want, err := strconv.Atoi(args[0])
			ts.Check(err)
			got := 0
			if err := ts.Exec(args[1], args[2:]...); err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					ts.Fatalf("%s: %v", args[1], err)
				}
				got = ee.ExitCode()
			}
			if got != want {
				ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
			}
		},
		// mkbusybox DIR [TAG]: an OCI layout holding busybox from
		// Debian's busybox-static, tagged TAG (default latest).
		"mkbusybox": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) < 1 || len(args) > 2 {
				ts.Fatalf("usage: mkbusybox DIR [TAG]")
			}
			tag := "latest"
			if len(args) == 2 {
				tag = args[1]
			}
			_, err := testimage.BusyboxLayout(ts.MkAbs(args[0]), tag)
			ts.Check(err)
		},
	}
	for k, v := range daemonCommands() {
		cmds[k] = v
	}
	for k, v := range registryCommands() {
		cmds[k] = v
	}
	return cmds
}
