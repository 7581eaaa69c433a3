package disk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/initrd"
)

var built = time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)

func testPod() *contract.Pod {
	return &contract.Pod{
		Version: contract.Version, Name: "web", Hostname: "web",
		Resources: contract.Resources{CPUs: 1, MemoryMiB: 256},
		Ports:     []contract.Port{{Host: 8080, Guest: 80, Protocol: "tcp"}},
		Containers: []contract.Container{{
			Name: "nginx", Image: "nginx:1.27", Restart: contract.RestartAlways,
			Digest:  "sha256:" + string(bytes.Repeat([]byte("ab"), 32)),
			Process: &contract.Process{Args: []string{"nginx", "-g", "daemon off;"}},
		}},
	}
}

func testManifest() Manifest {
	m := ManifestFor(testPod())
	m.Built = built
	m.HyperVersion = "v0.0.0-test"
	m.Kernel = KernelInfo{Version: "6.1.0-test", ConfigHash: "sha256:1234"}
	return m
}

// pseudoRandom is deterministic filler, so that two test runs (and two
// builds in one test) see the same inputs.
func pseudoRandom(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func writeFile(t testing.TB, p string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// inputs makes a fake kernel, a real initramfs, a fake bootloader and a
// pod ext4 (mke2fs -d when installed, else a blob with an ext4 superblock
// that is enough for Open's checks).
func inputs(t testing.TB) (Artifact, Option) {
	t.Helper()
	d := t.TempDir()
	a := Artifact{
		Kernel:   writeFile(t, filepath.Join(d, "bzImage"), pseudoRandom(1<<20+123, 1)),
		Initrd:   filepath.Join(d, "initrd.img"),
		Cmdline:  "console=ttyS0 quiet",
		PodFS:    podFS(t, d),
		Manifest: testManifest(),
	}
	f, err := os.Create(a.Initrd)
	if err != nil {
		t.Fatal(err)
	}
	initBin := writeFile(t, filepath.Join(d, "hyperstart"), pseudoRandom(200<<10, 2))
	if err := initrd.Write(f, initBin, testPod()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	loader := writeFile(t, filepath.Join(d, "systemd-bootx64.efi"), pseudoRandom(100<<10, 3))
	return a, WithBootloader(loader)
}

func podFS(t testing.TB, d string) string {
	t.Helper()
	p := filepath.Join(d, "pod.ext4")
	if _, err := exec.LookPath("mke2fs"); err == nil {
		root := filepath.Join(d, "podroot")
		rootfs := filepath.Join(root, contract.RootfsDir("nginx"))
		os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755)
		writeFile(t, filepath.Join(rootfs, "etc", "hostname"), []byte("web\n"))
		writeFile(t, filepath.Join(rootfs, "big"), pseudoRandom(300<<10, 4))
		cmd := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", "-L", contract.PodLabel,
			"-U", "6b1b2f7e-7d3c-4c4e-9f55-0d6f7d1f0c11", "-E", "hash_seed=6b1b2f7e-7d3c-4c4e-9f55-0d6f7d1f0c11",
			"-d", root, p, "16M")
		cmd.Env = append(os.Environ(), "E2FSPROGS_FAKE_TIME=1700000000")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mke2fs: %v\n%s", err, out)
		}
		return p
	}
	b := make([]byte, 4<<20)
	binary.LittleEndian.PutUint16(b[1024+56:], 0xef53)
	copy(b[1024+120:], contract.PodLabel)
	copy(b[2<<20:], "some data in the middle")
	return writeFile(t, p, b)
}

func sha(t *testing.T, p string) [32]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

func readAll(t *testing.T, open func() (io.ReadCloser, error)) []byte {
	t.Helper()
	r, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func buildImage(t testing.TB, a Artifact, opts ...Option) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "web.img")
	if _, err := WriteImage(context.Background(), out, a, opts...); err != nil {
		t.Fatal(err)
	}
	return out
}

// leftovers lists the files in dir other than want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		keep := false
		for _, w := range want {
			keep = keep || e.Name() == w
		}
		if !keep {
			out = append(out, e.Name())
		}
	}
	return out
}
