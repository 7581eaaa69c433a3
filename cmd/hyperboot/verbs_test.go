package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/api"
)

func TestClassify(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("web.img", nil, 0o644)
	os.WriteFile("pod.hcl", nil, 0o644)
	os.WriteFile("podfile.json", nil, 0o644)
	os.WriteFile("busybox", nil, 0o644)
	os.Mkdir("art.d", 0o755)
	for _, tt := range []struct{ in, kind, path, err string }{
		{in: "web.img", kind: "artifact", path: filepath.Join(dir, "web.img")},
		{in: "art.d", kind: "artifact", path: filepath.Join(dir, "art.d")},
		{in: "pod.hcl", kind: "pod file", path: filepath.Join(dir, "pod.hcl")},
		{in: "podfile.json", kind: "pod file", path: filepath.Join(dir, "podfile.json")},
		{in: "./busybox", kind: "artifact", path: filepath.Join(dir, "busybox")},
		{in: "busybox:1.36", kind: "image"},
		{in: "oci:/x/bb:1", kind: "image"},
		{in: "missing.img", err: "missing.img: no such file"},
		{in: "./nope", err: "no such file"},
		{in: "dir:/x", err: "not an image reference"},
	} {
		kind, path, err := classify(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("classify(%q) = %s, %s, %v; want an error saying %q", tt.in, kind, path, err, tt.err)
			}
			continue
		}
		if err != nil || kind != tt.kind || path != tt.path {
			t.Errorf("classify(%q) = %q, %q, %v; want %q, %q", tt.in, kind, path, err, tt.kind, tt.path)
		}
	}
}

func TestExecArgs(t *testing.T) {
	for _, tt := range []struct {
		args []string
		dash int
		want string
		err  string
	}{
		{args: []string{"web", "ls", "-l"}, dash: 1, want: "ls -l"},
		{args: []string{"web", "true"}, dash: -1, want: "true"},
		{args: []string{"web"}, dash: -1, err: "no command given"},
		{args: []string{"web"}, dash: 1, err: "no command given"},
		{args: []string{"ls"}, dash: 0, err: "no pod given"},
		{args: []string{"web", "x", "ls"}, dash: 2, err: "one pod before --"},
	} {
		got, err := execArgs(tt.args, tt.dash)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("execArgs(%q, %d) = %q, %v; want %q", tt.args, tt.dash, got, err, tt.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("execArgs(%q, %d) = %q, %v; want %q", tt.args, tt.dash, got, err, tt.want)
		}
	}
}

func TestStatus(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	three, zero := 3, 0
	for _, tt := range []struct {
		p    api.Pod
		want string
	}{
		{api.Pod{State: api.StateRunning, StartedAt: now.Add(-90 * time.Second)}, "Up About a minute"},
		{api.Pod{State: api.StateRunning, StartedAt: now.Add(-5 * time.Second)}, "Up 5 seconds"},
		{api.Pod{State: api.StateExited, ExitStatus: &three, FinishedAt: now.Add(-3 * time.Hour)}, "Exited (3) 3 hours ago"},
		{api.Pod{State: api.StateExited, ExitStatus: &zero, FinishedAt: now.Add(-72 * time.Hour)}, "Exited (0) 3 days ago"},
		{api.Pod{State: api.StateExited, Error: "killed", FinishedAt: now.Add(-time.Minute)}, "Failed About a minute ago"},
		{api.Pod{State: api.StateCreated}, "Created"},
		{api.Pod{State: api.StateStopping}, "Stopping"},
	} {
		if got := status(tt.p, now); got != tt.want {
			t.Errorf("status(%+v) = %q; want %q", tt.p, got, tt.want)
		}
	}
}
