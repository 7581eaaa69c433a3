package sbom

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/layers"
)

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustTar(t testing.TB, entries ...testimage.Entry) []byte {
	t.Helper()
	b, err := testimage.Tar(entries...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// alpineRoot is a flattened root as an Alpine image has it: the apk
// database, and os-release where Alpine puts it.
func alpineRoot(t testing.TB) []byte {
	return mustTar(t,
		testimage.Dir("etc/", 0o755),
		testimage.Dir("lib/apk/db/", 0o755),
		testimage.Dir("usr/lib/", 0o755),
		testimage.Symlink("etc/os-release", "../usr/lib/os-release"),
		testimage.File("bin/busybox", 0o755, "\x7fELF"),
		testimage.File("lib/apk/db/installed", 0o644, readFile(t, "testdata/apk-installed")),
		testimage.File("usr/lib/os-release", 0o644, readFile(t, "testdata/alpine-os-release")),
	)
}

func TestScanAlpine(t *testing.T) {
	inv, err := Scan(bytes.NewReader(alpineRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	if want := (OS{ID: "alpine", VersionID: "3.20.3", PrettyName: "Alpine Linux v3.20"}); inv.OS != want {
		t.Errorf("OS = %+v, want %+v", inv.OS, want)
	}
	var names []string
	for _, p := range inv.Packages {
		names = append(names, p.Name+"@"+p.Version)
		if p.Database != "/lib/apk/db/installed" {
			t.Errorf("%s: database %q", p.Name, p.Database)
		}
	}
	got, want := strings.Join(names, " "), "busybox@1.36.1-r29 ca-certificates-bundle@20240705-r0 musl@1.2.5-r0 ssl_client@1.36.1-r29 zlib@1.3.1-r1"
	if got != want {
		t.Errorf("packages = %s\nwant %s", got, want)
	}
}

func TestScanDpkgStatusD(t *testing.T) {
	// Distroless: one file per package in status.d, md5sums beside them;
	// a package in both status and status.d is listed once.
	root := mustTar(t,
		testimage.Dir("var/lib/dpkg/status.d/", 0o755),
		testimage.File("var/lib/dpkg/status.d/base-files", 0o644, "Package: base-files\nVersion: 12.4+deb12u7\nArchitecture: amd64\n"),
		testimage.File("var/lib/dpkg/status.d/base-files.md5sums", 0o644, "d41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n"),
		testimage.File("var/lib/dpkg/status.d/tzdata", 0o644, "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n"),
		testimage.File("var/lib/dpkg/status", 0o644, "Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\nArchitecture: all\n"),
		testimage.File("var/lib/dpkg/status-old", 0o644, "not read"),
		testimage.File("etc/os-release", 0o644, "ID=debian\nVERSION_ID=\"12\"\n"),
		testimage.File("usr/lib/os-release", 0o644, "ID=other\n"),
	)
	inv, err := Scan(bytes.NewReader(root))
	if err != nil {
		t.Fatal(err)
	}
	if inv.OS.ID != "debian" || len(inv.Packages) != 2 || inv.Packages[0].Name != "base-files" || inv.Packages[1].Name != "tzdata" {
		t.Errorf("got %+v", inv)
	}
}

func TestScanNoDatabase(t *testing.T) {
	inv, err := Scan(bytes.NewReader(mustTar(t, testimage.File("bin/busybox", 0o755, "x"))))
	if err != nil || len(inv.Packages) != 0 || inv.OS != (OS{}) {
		t.Errorf("got %+v, %v", inv, err)
	}
}

func TestScanRefuses(t *testing.T) {
	tests := []struct {
		name  string
		entry testimage.Entry
		err   error
	}{
		{"symlinked status", testimage.Symlink("var/lib/dpkg/status", "/tmp/status"), ErrUnsupported},
		{"hard-linked database", testimage.Hardlink("lib/apk/db/installed", "x"), ErrUnsupported},
		{"malformed database", testimage.File("var/lib/dpkg/status", 0o644, "Package: a\n"), ErrMalformed},
		{"huge os-release", testimage.File("etc/os-release", 0o644, strings.Repeat("#\n", MaxOSReleaseBytes)), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The refusal comes after the whole stream is read: the
			// file after the database is consumed too.
			r := &countingReader{r: bytes.NewReader(mustTar(t, tt.entry, testimage.File("z", 0o644, strings.Repeat("z", 10_000))))}
			_, err := Scan(r)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if r.left() != 0 {
				t.Errorf("Scan left %d bytes unread", r.left())
			}
		})
	}
}

func TestScanBudget(t *testing.T) {
	// Databases past MaxDatabaseBytes together are refused before their
	// data is parsed; the stream is still read to its end.
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		for _, name := range []string{"var/lib/dpkg/status.d/a", "var/lib/dpkg/status.d/b"} {
			size := int64(MaxDatabaseBytes/2 + 1)
			if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
				pw.CloseWithError(err)
				return
			}
			pkg := "Package: " + name[len(name)-1:] + "\nVersion: 1\n"
			if _, err := io.WriteString(tw, pkg); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.CopyN(tw, hashes{}, size-int64(len(pkg))); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(tw.Close())
	}()
	_, err := Scan(pr)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "status.d/b: the image's package databases hold more than") {
		t.Fatalf("err = %v, want ErrTooLarge for status.d/b", err)
	}
}

func TestScanWriterError(t *testing.T) {
	// The writer's error after the tar's end (flatten's digest check) is
	// the scan's too: no inventory of an image that failed to verify.
	pr, pw := io.Pipe()
	bad := errors.New("layer digest mismatch")
	go func() {
		pw.Write(alpineRoot(t))
		pw.CloseWithError(bad)
	}()
	if _, err := Scan(pr); !errors.Is(err, bad) {
		t.Fatalf("err = %v, want %v", err, bad)
	}
}

// TestScanDebian scans the real Debian bookworm image (nginx-light and
// redis on debian:bookworm) through the builder's own path: pulled into a
// cache and flattened.
func TestScanDebian(t *testing.T) {
	ref := testimage.DebianLayout(t)
	ctx := context.Background()
	img, err := layers.NewResolver(layers.WithCacheDir(t.TempDir())).Resolve(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(img.Flatten(ctx, pw, nil)) }()
	inv, err := Scan(pr)
	if err != nil {
		t.Fatal(err)
	}
	if inv.OS.ID != "debian" || inv.OS.VersionID != "12" {
		t.Errorf("OS = %+v", inv.OS)
	}
	// dpkg-query -W in the image lists 113 packages.
	if len(inv.Packages) != 113 {
		t.Errorf("%d packages, want 113", len(inv.Packages))
	}
	found := map[string]Package{}
	for _, p := range inv.Packages {
		found[p.Name] = p
	}
	for _, name := range []string{"nginx-light", "redis-server", "libc6", "base-files"} {
		p, ok := found[name]
		if !ok || p.Version == "" || p.Arch == "" || p.Database != "/var/lib/dpkg/status" {
			t.Errorf("%s: %+v", name, p)
		}
	}
	if p := found["libc6"]; p.Source != "glibc" {
		t.Errorf("libc6's source = %q, want glibc", p.Source)
	}
	t.Logf("nginx-light %s, redis-server %s; purl %s", found["nginx-light"].Version, found["redis-server"].Version, packageURL(found["libc6"], inv.OS))
}

type countingReader struct {
	r *bytes.Reader
}

func (c *countingReader) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *countingReader) left() int                  { return c.r.Len() }

// hashes is an endless stream of "#\n", dpkg comment lines.
type hashes struct{}

func (hashes) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "#\n"[i%2]
	}
	return len(p), nil
}
