package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
)

// fake is a backend that records its Boot and plays a console script.
// With hold set, its VM runs until Shutdown or Kill.
type fake struct {
	name    string
	avail   error
	check   error
	console string
	status  int
	err     error
	hold    bool
	// agent, when not nil, is the guest's end of the agent port: the
	// machine's Agent returns the other end of a pipe to it.
	agent func(guest net.Conn)

	got      Boot
	kernel   []byte // the kernel file's content during Start
	initrd   []byte
	ran      bool
	checkFor *Boot
	machine  *fakeMachine
}

func (f *fake) Name() string       { return f.name }
func (f *fake) Available() error   { return f.avail }
func (f *fake) Check(b Boot) error { return f.check }
func (f *fake) Start(ctx context.Context, b Boot) (Machine, error) {
	f.ran, f.got = true, b
	f.kernel, _ = os.ReadFile(b.Kernel)
	f.initrd, _ = os.ReadFile(b.Initrd)
	b.Trace.Mark("fake: started")
	m := &fakeMachine{f: f, b: b, stop: make(chan string, 2)}
	f.machine = m
	if !f.hold {
		m.play()
	}
	return m, nil
}

// fakeMachine is a fake's VM.
type fakeMachine struct {
	f    *fake
	b    Boot
	stop chan string // "shutdown" or "kill"
}

// play writes the console script, split at an awkward place, as a serial
// port would.
func (m *fakeMachine) play() {
	c := []byte(m.f.console)
	m.b.Stdout.Write(c[:len(c)/2])
	m.b.Stdout.Write(c[len(c)/2:])
}

func (m *fakeMachine) Wait() (Result, error) {
	if m.f.hold {
		switch how := <-m.stop; how {
		case "shutdown":
			m.play()
		default:
			return Result{}, &NoStatusError{How: "was killed"}
		}
	}
	return Result{Status: m.f.status}, m.f.err
}

func (m *fakeMachine) Shutdown() error { return m.request("shutdown") }
func (m *fakeMachine) Kill() error     { return m.request("kill") }

func (m *fakeMachine) request(how string) error {
	select {
	case m.stop <- how:
	default:
	}
	return nil
}

func (m *fakeMachine) Agent(ctx context.Context) (io.ReadWriteCloser, error) {
	if m.f.agent == nil {
		return nil, fmt.Errorf("fake: %w", ErrUnsupported)
	}
	host, guest := net.Pipe()
	go m.f.agent(guest)
	return host, nil
}

// withBackends replaces the registry for one test.
func withBackends(t *testing.T, bs ...Backend) {
	t.Helper()
	backendsMu.Lock()
	saved := backends
	backends = map[string]Backend{}
	backendsMu.Unlock()
	for _, b := range bs {
		Register(b)
	}
	t.Cleanup(func() {
		backendsMu.Lock()
		backends = saved
		backendsMu.Unlock()
	})
}

func TestChoose(t *testing.T) {
	broken := errors.New("/dev/kvm: no such file")
	tests := []struct {
		name    string
		kvm     *fake
		qemu    *fake
		ask     string
		want    string
		wantErr error
		verbose string
	}{
		{name: "auto prefers kvm", kvm: &fake{name: "kvm"}, qemu: &fake{name: "qemu"}, ask: "auto", want: "kvm", verbose: "backend kvm (auto)"},
		{name: "auto falls back to qemu", kvm: &fake{name: "kvm", avail: broken}, qemu: &fake{name: "qemu"}, ask: "", want: "qemu", verbose: "backend qemu (auto; not kvm: /dev/kvm: no such file)"},
		{name: "auto skips a backend that cannot do the boot", kvm: &fake{name: "kvm", check: fmt.Errorf("publishing ports: %w", ErrUnsupported)}, qemu: &fake{name: "qemu"}, want: "qemu", verbose: "not kvm: publishing ports"},
		{name: "auto without kvm built in", qemu: &fake{name: "qemu"}, want: "qemu", verbose: "not kvm: not built in"},
		{name: "explicit kvm unavailable", kvm: &fake{name: "kvm", avail: broken}, qemu: &fake{name: "qemu"}, ask: "kvm", wantErr: broken},
		{name: "explicit kvm cannot do it", kvm: &fake{name: "kvm", check: errors.New("no ports")}, ask: "kvm", wantErr: ErrUnsupported},
		{name: "explicit qemu", kvm: &fake{name: "kvm"}, qemu: &fake{name: "qemu"}, ask: "qemu", want: "qemu"},
		{name: "unknown", qemu: &fake{name: "qemu"}, ask: "firecracker", wantErr: ErrUnknownBackend},
		{name: "none usable", kvm: &fake{name: "kvm", avail: broken}, qemu: &fake{name: "qemu", avail: errors.New("qemu-system-x86_64 not found")}, wantErr: ErrNoBackend},
	}
	for _, tt := range tests {
		var bs []Backend
		if tt.kvm != nil {
			bs = append(bs, tt.kvm)
		}
		if tt.qemu != nil {
			bs = append(bs, tt.qemu)
		}
		withBackends(t, bs...)
		var v bytes.Buffer
		got, err := Choose(tt.ask, Boot{}, &v)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: Choose = %v, %v; want error %v", tt.name, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Name() != tt.want {
			t.Errorf("%s: Choose = %v, %v; want %s", tt.name, got, err, tt.want)
		}
		if !strings.Contains(v.String(), tt.verbose) {
			t.Errorf("%s: verbose %q, want %q", tt.name, v.String(), tt.verbose)
		}
	}
}

func TestBootWith(t *testing.T) {
	tests := []struct {
		name    string
		be      *fake
		want    int
		wantErr error
		out     string
	}{
		{name: "exit line wins over the port", be: &fake{console: "hi\r\nHYPER-POD-EXIT status=137\r\n", status: 9}, want: 137, out: "hi\n"},
		{name: "exit line wins over a backend error", be: &fake{console: "HYPER-POD-EXIT status=3\n", err: &NoStatusError{How: "powered off"}}, want: 3},
		{name: "port without exit line", be: &fake{console: "hi\n", status: 5}, want: 5, out: "hi\n"},
		{name: "no status at all", be: &fake{console: "hi\n", err: &NoStatusError{How: "reset"}}, wantErr: ErrNoStatus, out: "hi\n"},
	}
	for _, tt := range tests {
		tt.be.name = "fake"
		var out bytes.Buffer
		got, err := BootWith(context.Background(), tt.be, Boot{Stdout: &out})
		if (tt.wantErr == nil && (err != nil || got != tt.want)) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
			t.Errorf("%s: BootWith = %d, %v; want %d, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if out.String() != tt.out {
			t.Errorf("%s: console %q, want %q", tt.name, out.String(), tt.out)
		}
	}
	var out bytes.Buffer
	_, err := BootWith(context.Background(), &fake{name: "fake", err: &NoStatusError{How: "reset"}}, Boot{Stdout: &out})
	if err == nil || err.Error() != "running the pod with the fake backend: guest reset without reporting a status" {
		t.Errorf("reset error = %v", err)
	}
}

func TestMergePorts(t *testing.T) {
	user := []contract.Port{{Host: 8080, Guest: 80, Protocol: "tcp"}, {Host: 53, Guest: 53, Protocol: "UDP", Address: "0.0.0.0"}}
	spec := []contract.Port{{Host: 8080, Guest: 8080, Protocol: "tcp", Address: "0.0.0.0"}, {Guest: 443}, {Host: 53, Guest: 53, Protocol: "tcp"}, {Host: 53, Guest: 5353, Protocol: "udp", Address: "10.1.2.3"}}
	got := mergePorts(user, spec)
	// Loopback unless a port names its address; the user's -p wins for
	// the same host port and protocol, whatever the addresses.
	want := []contract.Port{
		{Host: 8080, Guest: 80, Protocol: "tcp", Address: "127.0.0.1"}, {Host: 53, Guest: 53, Protocol: "udp", Address: "0.0.0.0"},
		{Host: 443, Guest: 443, Protocol: "tcp", Address: "127.0.0.1"}, {Host: 53, Guest: 53, Protocol: "tcp", Address: "127.0.0.1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mergePorts = %#v, want %#v", got, want)
	}
}

func TestBootForNet(t *testing.T) {
	m := disk.Manifest{Ports: []contract.Port{{Host: 8080, Guest: 80, Protocol: "tcp", Address: "127.0.0.1"}}}
	user := []contract.Port{{Host: 9090, Guest: 90, Protocol: "tcp", Address: "127.0.0.1"}}
	tests := []struct {
		net   string
		ports []contract.Port
		want  []contract.Port
	}{
		{"", nil, m.Ports},
		{"none", nil, nil},
		{"tap:tap0", nil, nil},
		{"tap:tap0", user, user},
	}
	for _, tt := range tests {
		b := bootFor(m, "", Config{Net: tt.net, Ports: tt.ports})
		if !reflect.DeepEqual(b.Ports, tt.want) {
			t.Errorf("net %q, -p %v: Ports = %#v, want %#v", tt.net, tt.ports, b.Ports, tt.want)
		}
	}
}

func TestParseNet(t *testing.T) {
	tests := []struct{ in, mode, tap string }{
		{"", NetUser, ""}, {"user", NetUser, ""}, {"none", NetNone, ""}, {"tap:tap0", NetTap, "tap0"},
	}
	for _, tt := range tests {
		mode, tap, err := ParseNet(tt.in)
		if err != nil || mode != tt.mode || tap != tt.tap {
			t.Errorf("ParseNet(%q) = %q, %q, %v; want %q, %q", tt.in, mode, tap, err, tt.mode, tt.tap)
		}
	}
	for _, bad := range []string{"tap:", "tap", "bridge", "User"} {
		if _, _, err := ParseNet(bad); !errors.Is(err, ErrBadNet) {
			t.Errorf("ParseNet(%q) error %v, want ErrBadNet", bad, err)
		}
	}
}

// artifact writes a small artifact (format "raw" or "dir") whose kernel
// and initrd are placeholder bytes: enough for everything but a boot.
func artifact(t *testing.T, format string) (path string, kernel, initrd []byte) {
	t.Helper()
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		t.Skipf("needs mkfs.ext4 (e2fsprogs): %v", err)
	}
	dir := t.TempDir()
	kernel, initrd = []byte("placeholder bzImage"), []byte("placeholder initrd")
	kp, ip, pp := filepath.Join(dir, "k"), filepath.Join(dir, "i"), filepath.Join(dir, "pod.ext4")
	os.WriteFile(kp, kernel, 0o644)
	os.WriteFile(ip, initrd, 0o644)
	if out, err := exec.Command(mkfs, "-q", "-F", "-L", contract.PodLabel, pp, "4M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v: %s", err, out)
	}
	a := disk.Artifact{
		Kernel: kp, Initrd: ip, PodFS: pp, Cmdline: "console=ttyS0 quiet",
		Manifest: disk.Manifest{
			// A free port: Run checks that it can listen there.
			Pod: "web", Ports: []contract.Port{{Host: freePort(t), Guest: 80, Protocol: "tcp"}},
			Containers: []disk.ManifestContainer{{Name: "web"}},
			Resources:  contract.Resources{CPUs: 2, MemoryMiB: 384},
		},
	}
	if format == "dir" {
		path = filepath.Join(dir, "web")
		if err := disk.WriteDir(context.Background(), path, a); err != nil {
			t.Fatal(err)
		}
		return path, kernel, initrd
	}
	path = filepath.Join(dir, "web.img")
	if _, err := disk.WriteImage(context.Background(), path, a); err != nil {
		t.Fatal(err)
	}
	return path, kernel, initrd
}

func TestRun(t *testing.T) {
	for _, format := range []string{"raw", "dir"} {
		t.Run(format, func(t *testing.T) {
			path, kernel, initrd := artifact(t, format)
			be := &fake{name: "fake", console: "web | hello\r\nweb ! warning\r\nHYPER-POD-EXIT status=42\r\n"}
			withBackends(t, be)
			img, err := disk.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			artifactPort := img.Manifest().Ports[0].Host
			img.Close()
			var out, errs, trace, verbose bytes.Buffer
			user, spec := freePort(t), freePort(t)
			got, err := Run(context.Background(), path, Config{
				Backend: "fake", MemoryMiB: 1024, Ports: []contract.Port{{Host: user, Guest: 90}, {Host: spec, Guest: 8080, Address: "0.0.0.0"}},
				Cmdline: "extra=1", Stdout: &out, Stderr: &errs, Trace: &trace, Verbose: &verbose,
			})
			if err != nil || got != 42 {
				t.Fatalf("Run = %d, %v; want 42", got, err)
			}
			if out.String() != "hello\n" {
				t.Errorf("console %q, want hello", out.String())
			}
			b := be.got
			if !bytes.Equal(be.kernel, kernel) || !bytes.Equal(be.initrd, initrd) {
				t.Errorf("kernel %q, initrd %q: not the artifact's", be.kernel, be.initrd)
			}
			wantDisk := path
			if format == "dir" {
				wantDisk = filepath.Join(path, disk.DirPodFS)
			}
			if b.Disk != wantDisk {
				t.Errorf("Disk = %q, want %q", b.Disk, wantDisk)
			}
			if want := "console=ttyS0 quiet hyper.debug extra=1"; b.Cmdline != want {
				t.Errorf("Cmdline = %q, want %q", b.Cmdline, want)
			}
			if b.CPUs != 2 || b.MemoryMiB != 1024 {
				t.Errorf("CPUs, MemoryMiB = %d, %d; want 2 (artifact), 1024 (option)", b.CPUs, b.MemoryMiB)
			}
			wantPorts := []contract.Port{{Host: user, Guest: 90, Protocol: "tcp", Address: "127.0.0.1"}, {Host: spec, Guest: 8080, Protocol: "tcp", Address: "0.0.0.0"}, {Host: artifactPort, Guest: 80, Protocol: "tcp", Address: "127.0.0.1"}}
			if !reflect.DeepEqual(b.Ports, wantPorts) {
				t.Errorf("Ports = %#v, want %#v", b.Ports, wantPorts)
			}
			wantErrs := fmt.Sprintf("hyperboot: port 127.0.0.1:%d -> 90/tcp\nhyperboot: port 0.0.0.0:%d -> 8080/tcp\nhyperboot: port 127.0.0.1:%d -> 80/tcp\nwarning\n", user, spec, artifactPort)
			if errs.String() != wantErrs {
				t.Errorf("stderr %q, want %q", errs.String(), wantErrs)
			}
			if !reflect.DeepEqual(b.Containers, []string{"web"}) {
				t.Errorf("Containers = %q, want the manifest's [web]", b.Containers)
			}
			if b.StopTimeout != DefaultStopTimeout {
				t.Errorf("StopTimeout = %v, want %v", b.StopTimeout, DefaultStopTimeout)
			}
			if format == "raw" {
				if _, err := os.Stat(b.Kernel); !os.IsNotExist(err) {
					t.Errorf("extracted kernel %s left behind (%v)", b.Kernel, err)
				}
			}
			for _, w := range []string{"runner: artifact opened", "fake: started", "console: first output", "pod exited with status 42"} {
				if !strings.Contains(trace.String(), w) {
					t.Errorf("trace lacks %q:\n%s", w, trace.String())
				}
			}
			if !strings.Contains(verbose.String(), "backend fake") {
				t.Errorf("verbose does not say which backend: %q", verbose.String())
			}
		})
	}
}

func TestRunBadArtifact(t *testing.T) {
	withBackends(t, &fake{name: "fake"})
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.img")
	os.WriteFile(junk, bytes.Repeat([]byte("x"), 1<<20), 0o644)
	tests := []struct {
		path string
		want error
	}{
		{filepath.Join(dir, "missing.img"), os.ErrNotExist},
		{junk, disk.ErrNotArtifact},
		{dir, disk.ErrNotArtifact},
	}
	if _, err := Run(context.Background(), junk, Config{Backend: "fake", Net: "bridge"}); !errors.Is(err, ErrBadNet) {
		t.Errorf("Run with --net bridge = %v, want ErrBadNet", err)
	}
	for _, tt := range tests {
		_, err := Run(context.Background(), tt.path, Config{Backend: "fake"})
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.path) {
			t.Errorf("Run(%s) = %v; want %v naming the file", tt.path, err, tt.want)
		}
	}
}

func TestRunBadResources(t *testing.T) {
	be := &fake{name: "fake"}
	withBackends(t, be)
	for _, o := range []Config{{CPUs: 99}, {CPUs: -1}, {MemoryMiB: 63}, {MemoryMiB: contract.MaxMemoryMiB + 1}} {
		o.Backend = "fake"
		// The check comes before the artifact is opened: this one is missing.
		if _, err := Run(context.Background(), "missing.img", o); !errors.Is(err, ErrBadResources) {
			t.Errorf("Run with CPUs %d, MemoryMiB %d = %v, want ErrBadResources", o.CPUs, o.MemoryMiB, err)
		}
	}
	// Each value within its limits, but together too little: the
	// artifact's 384 MiB for 64 vCPUs would do, --memory 64MiB does not.
	path, _, _ := artifact(t, "raw")
	if _, err := Run(context.Background(), path, Config{Backend: "fake", CPUs: 64, MemoryMiB: contract.MinMemoryMiB}); !errors.Is(err, ErrBadResources) {
		t.Errorf("Run with 64 vCPUs in %d MiB = %v, want ErrBadResources", contract.MinMemoryMiB, err)
	}
	if be.ran {
		t.Error("the backend ran despite bad resources")
	}
}

// TestStart: the VM runs until asked to stop; Shutdown is graceful (the
// pod reports its status), Kill is not; both do nothing once the VM has
// stopped; Run turns a cancelled context into Shutdown; what the run
// extracted is gone once Done is closed.
func TestStart(t *testing.T) {
	path, _, _ := artifact(t, "raw")
	script := "web | bye\r\nHYPER-POD-EXIT status=7\r\n"
	t.Run("shutdown", func(t *testing.T) {
		be := &fake{name: "fake", console: script, hold: true}
		withBackends(t, be)
		var out bytes.Buffer
		v, err := Start(context.Background(), path, Config{Backend: "fake", Stdout: &out, Net: "none"})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-v.Done():
			t.Fatal("Done before the VM stopped")
		default:
		}
		if _, err := os.Stat(be.got.Kernel); err != nil {
			t.Errorf("the kernel is gone while the VM runs: %v", err)
		}
		if err := v.Shutdown(); err != nil {
			t.Fatal(err)
		}
		st, err := v.Wait()
		if err != nil || st != 7 || out.String() != "bye\n" {
			t.Errorf("Wait = %d, %v (stdout %q); want 7, bye", st, err, out.String())
		}
		<-v.Done()
		if _, err := os.Stat(be.got.Kernel); !os.IsNotExist(err) {
			t.Errorf("extracted kernel left behind after the VM stopped (%v)", err)
		}
		if err := v.Shutdown(); err != nil || v.Kill() != nil || len(be.machine.stop) != 0 {
			t.Errorf("Shutdown or Kill after the stop reached the machine (%v)", err)
		}
	})
	t.Run("kill", func(t *testing.T) {
		be := &fake{name: "fake", console: script, hold: true}
		withBackends(t, be)
		v, err := Start(context.Background(), path, Config{Backend: "fake", Net: "none"})
		if err != nil {
			t.Fatal(err)
		}
		v.Kill()
		if _, err := v.Wait(); !errors.Is(err, ErrNoStatus) || !strings.Contains(err.Error(), "guest was killed") {
			t.Errorf("Wait after Kill = %v; want the guest killed without a status", err)
		}
	})
	t.Run("run cancelled", func(t *testing.T) {
		be := &fake{name: "fake", console: script, hold: true}
		withBackends(t, be)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		st, err := Run(ctx, path, Config{Backend: "fake", Net: "none"})
		if err != nil || st != 7 {
			t.Errorf("Run with a cancelled context = %d, %v; want the graceful stop's 7", st, err)
		}
	})
}

// Names shows "NAME | " on a pod of one container, for hyperd, which
// tells its container's stderr from hyperstart's messages by it.
func TestBootWithNames(t *testing.T) {
	console := "hello | out\nhello ! err\nhyperstart: starting\nHYPER-POD-EXIT status=0\n"
	for _, names := range []bool{false, true} {
		var out, errb bytes.Buffer
		be := &fake{name: "fake", console: console}
		if _, err := BootWith(context.Background(), be, Boot{Stdout: &out, Stderr: &errb, Containers: []string{"hello"}, Names: names}); err != nil {
			t.Fatal(err)
		}
		wantOut, wantErr := "out\n", "err\nhyperstart: starting\n"
		if names {
			wantOut, wantErr = "hello | out\n", "hello | err\nhyperstart: starting\n"
		}
		if out.String() != wantOut || errb.String() != wantErr {
			t.Errorf("Names=%v: stdout %q, stderr %q; want %q, %q", names, out.String(), errb.String(), wantOut, wantErr)
		}
	}
}
