package hyperstart

import (
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/contract"
)

func stepStrings(steps []Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.String()
	}
	return out
}

func TestBootPlan(t *testing.T) {
	got := strings.Join(stepStrings(BootPlan()), "\n")
	want := `mount proc on /proc (proc) nosuid,nodev,noexec
mount sysfs on /sys (sysfs) nosuid,nodev,noexec
mount devtmpfs on /dev (devtmpfs) nosuid,mode=0755
mount devpts on /dev/pts (devpts) nosuid,noexec,gid=5,mode=0620,ptmxmode=0666
mount shm on /dev/shm (tmpfs) nosuid,nodev,mode=1777
mount tmpfs on /run (tmpfs) nosuid,nodev,mode=0755
mount cgroup2 on /sys/fs/cgroup (cgroup2) nosuid,nodev,noexec
symlink /dev/fd -> /proc/self/fd`
	if got != want {
		t.Errorf("BootPlan:\n%s\nwant:\n%s", got, want)
	}
	if _, ok := BootPlan()[6].(Optional); !ok {
		t.Error("the cgroup2 mount must be optional")
	}
}

func testPod() *contract.Pod {
	return &contract.Pod{
		Version: contract.Version, Name: "web",
		Volumes: []contract.Volume{{Name: "data", Type: contract.VolumeTmpfs, SizeBytes: 1 << 20}, {Name: "cache", Type: contract.VolumeTmpfs}},
		Containers: []contract.Container{
			{Name: "server", Restart: contract.RestartAlways, Mounts: []contract.Mount{{Volume: "data", Path: "/srv/data"}, {Volume: "cache", Path: "/cache", ReadOnly: true}},
				Process: &contract.Process{Args: []string{"httpd", "-f"}}},
			{Name: "sidecar", Restart: contract.RestartNever, Process: &contract.Process{Args: []string{"sh"}}},
		},
	}
}

func TestPodPlan(t *testing.T) {
	got := strings.Join(stepStrings(PodPlan(testPod(), "/dev/vda")), "\n")
	want := `mount /dev/vda on /pod (ext4) ro
mount volume-data on /run/hyper/volumes/data (tmpfs) nosuid,nodev,mode=0777,size=1048576
mount volume-cache on /run/hyper/volumes/cache (tmpfs) nosuid,nodev,mode=0777
mkdir /run/hyper/containers/server/upper (0755)
mkdir /run/hyper/containers/server/work (0700)
mkdir /run/hyper/containers/server/root (0755)
mkdir /run/hyper/containers/sidecar/upper (0755)
mkdir /run/hyper/containers/sidecar/work (0700)
mkdir /run/hyper/containers/sidecar/root (0755)`
	if got != want {
		t.Errorf("PodPlan:\n%s\nwant:\n%s", got, want)
	}
}

func TestContainerPlan(t *testing.T) {
	p := testPod()
	got := stepStrings(ContainerPlan(p, &p.Containers[0]))
	// The order matters: the overlay and pivot_root come first, bind
	// mounts from the old root before it is detached, detach last.
	want := []string{
		"make / private (rec)",
		"bind / on /.hyperstart-root, move it to / and chroot (root off the initramfs)",
		"mount overlay on /run/hyper/containers/server/root (overlay) nodev,lowerdir=/pod/containers/server/rootfs,upperdir=/run/hyper/containers/server/upper,workdir=/run/hyper/containers/server/work",
		"pivot_root to /run/hyper/containers/server/root, old root at /.hyperstart",
		"mount proc on /proc (proc) nosuid,nodev,noexec",
		"mount sysfs on /sys (sysfs) ro,nosuid,nodev,noexec",
		"mount tmpfs on /dev (tmpfs) nosuid,mode=0755,size=65536k",
		"mknod /dev/null c 1:3 (0666)",
	}
	for i, w := range want {
		if i >= len(got) || got[i] != w {
			t.Fatalf("ContainerPlan step %d = %q, want %q\nall:\n%s", i, got[min(i, len(got)-1)], w, strings.Join(got, "\n"))
		}
	}
	tail := []string{
		"mount devpts on /dev/pts (devpts) nosuid,noexec,newinstance,gid=5,mode=0620,ptmxmode=0666",
		"mount bind /.hyperstart/dev/shm on /dev/shm",
		"mount mqueue on /dev/mqueue (mqueue) nosuid,nodev,noexec",
		"mount bind /.hyperstart/run/hyper/etc/hosts on /etc/hosts",
		"mount bind /.hyperstart/run/hyper/etc/hostname on /etc/hostname",
		"mount bind /.hyperstart/run/hyper/etc/resolv.conf on /etc/resolv.conf",
		"mount bind /.hyperstart/run/hyper/volumes/data on /srv/data rec",
		"mount bind /.hyperstart/run/hyper/volumes/cache on /cache ro,rec",
		"detach /.hyperstart",
	}
	gotTail := got[len(got)-len(tail):]
	if strings.Join(gotTail, "\n") != strings.Join(tail, "\n") {
		t.Errorf("ContainerPlan ends:\n%s\nwant:\n%s", strings.Join(gotTail, "\n"), strings.Join(tail, "\n"))
	}
	// The etc files are single files: their mount points must be files.
	for _, s := range ContainerPlan(p, &p.Containers[0]) {
		if m, ok := s.(Mount); ok && strings.HasPrefix(m.Target, "/etc/") && !m.File {
			t.Errorf("%s: mount point is not a file", m)
		}
	}
}

func TestEtcPlan(t *testing.T) {
	steps := EtcPlan("web", "10.0.2.15", []string{"10.0.2.3", "1.1.1.1"})
	files := map[string]string{}
	for _, s := range steps {
		if f, ok := s.(File); ok {
			files[f.Path] = f.Content
		}
	}
	if got := steps[0].String(); got != "hostname web" {
		t.Errorf("first step = %q, want hostname", got)
	}
	if got, want := files[EtcDir+"/resolv.conf"], "nameserver 10.0.2.3\nnameserver 1.1.1.1\n"; got != want {
		t.Errorf("resolv.conf = %q, want %q", got, want)
	}
	if got := files[EtcDir+"/hosts"]; !strings.Contains(got, "10.0.2.15\tweb\n") || !strings.HasPrefix(got, "127.0.0.1\tlocalhost\n") {
		t.Errorf("hosts = %q", got)
	}
	if got := files[EtcDir+"/hostname"]; got != "web\n" {
		t.Errorf("hostname = %q", got)
	}
	noAddr := EtcPlan("web", "", nil)
	if got := noAddr[2].(File).Content; !strings.Contains(got, "127.0.1.1\tweb\n") {
		t.Errorf("hosts without address = %q", got)
	}
}

func TestNetPlan(t *testing.T) {
	steps, err := NetPlan("eth0", "10.0.2.15/24", "10.0.2.2")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(stepStrings(steps), "\n")
	want := "link eth0 up\naddr 10.0.2.15/24 on eth0\nroute default via 10.0.2.2 dev eth0"
	if got != want {
		t.Errorf("NetPlan:\n%s\nwant:\n%s", got, want)
	}
	if steps, err := NetPlan("eth0", "", ""); err != nil || steps != nil {
		t.Errorf("NetPlan without address = %v, %v", steps, err)
	}
	for _, bad := range [][2]string{{"10.0.2.15", ""}, {"10.0.2.15/24", "gw"}} {
		if _, err := NetPlan("eth0", bad[0], bad[1]); err == nil {
			t.Errorf("NetPlan(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
