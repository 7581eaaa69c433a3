package hyperstart

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

func TestExitStatus(t *testing.T) {
	tests := []struct {
		ws   unix.WaitStatus
		want int
	}{
		{0, 0},
		{3 << 8, 3},
		{255 << 8, 255},
		{unix.WaitStatus(unix.SIGKILL), 137},
		{unix.WaitStatus(unix.SIGTERM), 143},
		{unix.WaitStatus(unix.SIGSEGV) | 0x80, 139}, // core dumped
	}
	for _, tt := range tests {
		if got := ExitStatus(tt.ws); got != tt.want {
			t.Errorf("ExitStatus(%#x) = %d, want %d", uint32(tt.ws), got, tt.want)
		}
	}
}

func TestShouldRestart(t *testing.T) {
	tests := []struct {
		policy   contract.RestartPolicy
		status   int
		stopping bool
		want     bool
	}{
		{contract.RestartNever, 0, false, false},
		{contract.RestartNever, 1, false, false},
		{contract.RestartOnFailure, 0, false, false},
		{contract.RestartOnFailure, 1, false, true},
		{contract.RestartOnFailure, 137, false, true},
		{contract.RestartOnFailure, 1, true, false},
		{contract.RestartAlways, 0, false, true},
		{contract.RestartAlways, 0, true, false},
	}
	for _, tt := range tests {
		if got := ShouldRestart(tt.policy, tt.status, tt.stopping); got != tt.want {
			t.Errorf("ShouldRestart(%s, %d, %v) = %v, want %v", tt.policy, tt.status, tt.stopping, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := DefaultBackoff()
	var got []time.Duration
	for i := 0; i < 10; i++ {
		got = append(got, b.Next(time.Millisecond))
	}
	ms := time.Millisecond
	want := []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 6400 * ms, 10 * time.Second, 10 * time.Second, 10 * time.Second}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("quick failures: %v, want %v", got, want)
	}
	if d := b.Next(10 * time.Second); d != 100*ms {
		t.Errorf("after a long run: %v, want 100ms", d)
	}
	if d := b.Next(0); d != 200*ms {
		t.Errorf("quick failure after the reset: %v, want 200ms", d)
	}
}

func TestPodStatus(t *testing.T) {
	tests := []struct {
		finished []int
		want     int
	}{
		{nil, 0},
		{[]int{0, 0}, 0},
		{[]int{0, 3, 137}, 3},
		{[]int{143, 0, 1}, 143},
	}
	for _, tt := range tests {
		var s PodStatus
		for _, f := range tt.finished {
			s.Finished(f)
		}
		if got := s.Status(); got != tt.want {
			t.Errorf("statuses %v: pod status %d, want %d", tt.finished, got, tt.want)
		}
	}
}

func TestStopPlanFor(t *testing.T) {
	tests := []struct {
		c    contract.Container
		want stopPlan
	}{
		{contract.Container{}, stopPlan{unix.SIGTERM, "SIGTERM", DefaultStopTimeout}},
		{contract.Container{StopSignal: "INT", StopTimeout: contract.Duration(time.Second)}, stopPlan{unix.SIGINT, "SIGINT", time.Second}},
		{contract.Container{StopSignal: "INT", Process: &contract.Process{StopSignal: "SIGQUIT"}}, stopPlan{unix.SIGQUIT, "SIGQUIT", DefaultStopTimeout}},
		{contract.Container{Process: &contract.Process{StopSignal: "9"}}, stopPlan{unix.SIGKILL, "SIGKILL", DefaultStopTimeout}},
	}
	for _, tt := range tests {
		if got := StopPlanFor(&tt.c); got != tt.want {
			t.Errorf("StopPlanFor(%+v) = %+v, want %+v", tt.c, got, tt.want)
		}
	}
}

func TestBuildEnv(t *testing.T) {
	got := BuildEnv([]string{"A=1"}, "web", "/root")
	want := []string{"A=1", defaultPath, "HOSTNAME=web", "HOME=/root"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BuildEnv = %q, want %q", got, want)
	}
	in := []string{"PATH=/x", "HOME=/h", "HOSTNAME=other"}
	if got := BuildEnv(in, "web", "/root"); !reflect.DeepEqual(got, in) {
		t.Errorf("BuildEnv kept = %q, want %q", got, in)
	}
}

func TestCheckVolumes(t *testing.T) {
	ok := testPod()
	if err := checkVolumes(ok); err != nil {
		t.Errorf("checkVolumes(testPod) = %v", err)
	}
	badType := testPod()
	badType.Volumes[0].Type = "nfs"
	if err := checkVolumes(badType); !errors.Is(err, ErrVolumeType) {
		t.Errorf("nfs volume: %v, want ErrVolumeType", err)
	}
	disk := testPod()
	disk.Volumes[0].Type = contract.VolumeDisk
	if err := checkVolumes(disk); err != nil {
		t.Errorf("disk volume: %v", err)
	}
	unknown := testPod()
	unknown.Containers[1].Mounts = []contract.Mount{{Volume: "nope", Path: "/x"}}
	if err := checkVolumes(unknown); !errors.Is(err, ErrNoVolume) {
		t.Errorf("unknown volume: %v, want ErrNoVolume", err)
	}
	relative := testPod()
	relative.Containers[0].Mounts[0].Path = "srv"
	if err := checkVolumes(relative); err == nil {
		t.Error("relative mount path accepted")
	}
}

func TestReadContract(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, p *contract.Pod) string {
		b, _ := json.Marshal(p)
		path := filepath.Join(dir, name)
		os.WriteFile(path, b, 0o644)
		return path
	}
	got, err := readContract(write("ok.json", testPod()))
	if err != nil || !reflect.DeepEqual(got, testPod()) {
		t.Errorf("readContract round trip = %+v, %v", got, err)
	}
	old := testPod()
	old.Version = 99
	if _, err := readContract(write("old.json", old)); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("version 99: %v", err)
	}
	if _, err := readContract(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}
