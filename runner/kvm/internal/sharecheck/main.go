// Command sharecheck lays out, and afterwards checks, the host side of
// the nested KVM test's host volume: it runs inside the outer VM, before
// and after hyperboot --backend kvm shares DIR/outside/share with a pod.
//
//	sharecheck setup DIR   makes DIR/outside/secret and DIR/outside/share
//	                       with hello.txt, sub/ and links that lead out
//	                       (up -> DIR/outside, secret-link, dotdot -> ..)
//	sharecheck boot IMG BINDING...
//	                       boots IMG on the kvm backend (no network) with
//	                       the -v bindings given, as hyperboot would
//	sharecheck check DIR   the pod's file is on the host, and nothing
//	                       outside the share was read or made
//
// Lines it prints, for the test to read:
//
//	sharecheck: ok: setup
//	sharecheck: pod exited with status N
//	sharecheck: ok: the host reads "written by the pod"
//	sharecheck: FAIL: why
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/runner"
	_ "github.com/hyperbuild/hyper/runner/kvm"
)

const (
	hello   = "hello from the outer host\n"
	secret  = "outside\n"
	fromPod = "written by the pod\n"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Println("sharecheck: FAIL: usage: sharecheck setup|check DIR, or boot IMG BINDING...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "boot":
		err = boot(os.Args[2], os.Args[3:])
	case "setup":
		err = setup(os.Args[2])
	case "check":
		err = check(os.Args[2])
	default:
		err = fmt.Errorf("unknown step %q", os.Args[1])
	}
	if err != nil {
		fmt.Printf("sharecheck: FAIL: %v\n", err)
		os.Exit(1)
	}
}

func setup(dir string) error {
	out := filepath.Join(dir, "outside")
	share := filepath.Join(out, "share")
	if err := os.MkdirAll(filepath.Join(share, "sub"), 0o755); err != nil {
		return err
	}
	for _, f := range []struct{ path, data string }{{filepath.Join(out, "secret"), secret}, {filepath.Join(share, "hello.txt"), hello}} {
		if err := os.WriteFile(f.path, []byte(f.data), 0o644); err != nil {
			return err
		}
	}
	for _, l := range []struct{ target, link string }{
		{out, "up"}, {filepath.Join(out, "secret"), "secret-link"}, {"..", "dotdot"},
	} {
		if err := os.Symlink(l.target, filepath.Join(share, l.link)); err != nil {
			return err
		}
	}
	fmt.Println("sharecheck: ok: setup")
	return nil
}

func check(dir string) error {
	out := filepath.Join(dir, "outside")
	b, err := os.ReadFile(filepath.Join(out, "share", "from-pod.txt"))
	if err != nil || string(b) != fromPod {
		return fmt.Errorf("the pod's file: %q, %v", b, err)
	}
	fmt.Printf("sharecheck: ok: the host reads %q\n", strings.TrimSpace(string(b)))
	ents, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"secret", "share"}) {
		return fmt.Errorf("outside the share: %q, want [secret share]", names)
	}
	if b, err := os.ReadFile(filepath.Join(out, "secret")); err != nil || string(b) != secret {
		return fmt.Errorf("the file outside changed: %q, %v", b, err)
	}
	if _, err := os.Lstat("/etc/planted"); err == nil {
		return fmt.Errorf("the pod planted /etc/planted on the host")
	}
	fmt.Println("sharecheck: ok: nothing outside the share changed")
	return nil
}

func boot(img string, bindings []string) error {
	cfg := runner.Config{Backend: "kvm", Net: "none", Stdout: os.Stdout, Stderr: os.Stdout, Verbose: os.Stdout}
	for _, b := range bindings {
		v, err := runner.ParseVolumeBinding(b)
		if err != nil {
			return err
		}
		cfg.Volumes = append(cfg.Volumes, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	status, err := runner.Run(ctx, img, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("sharecheck: pod exited with status %d\n", status)
	return nil
}
