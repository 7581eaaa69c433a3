package sbom

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/internal/testimage"
)

// checkPackages holds what every parsed package must be, whatever the
// database: named, versioned, and free of control characters.
func checkPackages(t *testing.T, ps []Package) {
	t.Helper()
	for _, p := range ps {
		if p.Name == "" || p.Version == "" {
			t.Fatalf("package without name or version: %+v", p)
		}
		for _, s := range []string{p.Name, p.Version, p.Arch, p.Source, p.SourceVersion, p.Maintainer, p.License, p.Homepage, p.Summary} {
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("control character in %q", s)
			}
		}
	}
}

// checkWrite renders the packages in both formats; the SPDX output must
// keep its invariants, both must be JSON.
func checkWrite(t *testing.T, inv Inventory) {
	t.Helper()
	d := &Document{Pod: "fuzz", Created: time.Unix(0, 0), ToolVersion: "test",
		Images: []Image{{Ref: "oci:x", Name: "x", Digest: "sha256:00", Containers: []string{"c"}, Inventory: inv}}}
	for _, f := range Formats {
		var b bytes.Buffer
		if err := d.Write(&b, f); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b.Bytes()) {
			t.Fatalf("%s: invalid JSON", f)
		}
		if f == SPDX {
			checkSPDX(t, b.Bytes())
		}
	}
}

func FuzzParseDpkg(f *testing.F) {
	f.Add([]byte("Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nSource: glibc (2.36-9)\nDescription: x\n more\n\nPackage: b\nVersion: 1\n"))
	f.Add([]byte("Package: a\r\nVERSION: 1\r\nStatus: deinstall ok config-files\r\n\r\n# c\n"))
	f.Add([]byte("Package: a\nVersion: 1\nHomepage: https://x/\nMaintainer: A <a@b>\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := ParseDpkg(bytes.NewReader(b), "status")
		if err != nil {
			return
		}
		checkPackages(t, ps)
		checkWrite(t, Inventory{Packages: ps})
	})
}

func FuzzParseApk(f *testing.F) {
	f.Add([]byte(readFile(f, "testdata/apk-installed")))
	f.Add([]byte("P:a\nV:1\nL:MIT OR (GPL-2.0 AND BSD)\no:b\n\nP:c\nV:2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := ParseApk(bytes.NewReader(b), "installed")
		if err != nil {
			return
		}
		checkPackages(t, ps)
		checkWrite(t, Inventory{Packages: ps, OS: OS{ID: "alpine", VersionID: "3"}})
	})
}

// FuzzScan builds root filesystems from its inputs, a database at one of
// the paths Scan reads as one of several entry types, and an os-release
// beside it, so that the fuzzer's mutations reach the parsers instead of
// breaking tar checksums; FuzzScanTar feeds raw archives.
func FuzzScan(f *testing.F) {
	f.Add(uint8(0), uint8(0), []byte("Package: a\nVersion: 1\n"), []byte("ID=debian\nVERSION_ID=12\n"))
	f.Add(uint8(2), uint8(0), []byte(readFile(f, "testdata/apk-installed")), []byte(readFile(f, "testdata/alpine-os-release")))
	f.Add(uint8(1), uint8(1), []byte("x"), []byte(""))
	f.Fuzz(func(t *testing.T, where, typ uint8, db, release []byte) {
		paths := []string{dpkgStatus, dpkgStatusDir + "/b", apkInstalled, apkInstalledUsr, dpkgStatusDir + "/b.md5sums", osRelease, "etc/x"}
		types := []byte{tar.TypeReg, tar.TypeSymlink, tar.TypeLink, tar.TypeDir, tar.TypeFifo}
		e := testimage.File(paths[int(where)%len(paths)], 0o644, string(db))
		e.Header.Typeflag = types[int(typ)%len(types)]
		if e.Header.Typeflag != tar.TypeReg {
			e.Header.Linkname, e.Data = "target", nil
		}
		root, err := testimage.Tar(e, testimage.File(osReleaseUsr, 0o644, string(release)))
		if err != nil {
			return
		}
		inv, err := Scan(bytes.NewReader(root))
		if err != nil {
			return
		}
		checkPackages(t, inv.Packages)
		checkWrite(t, *inv)
	})
}

func FuzzScanTar(f *testing.F) {
	f.Add(alpineRoot(f))
	f.Add(mustTar(f, testimage.Symlink("var/lib/dpkg/status", "x")))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		inv, err := Scan(r)
		if err != nil {
			return
		}
		if r.Len() != 0 {
			t.Fatalf("Scan succeeded with %d bytes unread", r.Len())
		}
		checkPackages(t, inv.Packages)
		checkWrite(t, *inv)
	})
}

func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte(readFile(f, "testdata/alpine-os-release")))
	f.Add([]byte("ID='x'\nVERSION_ID=\"a\\\"b\\\\\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseOSRelease(bytes.NewReader(b), "os-release")
		if err != nil {
			if len(b) <= MaxLineBytes {
				t.Fatalf("error on a small input: %v", err)
			}
			return
		}
		checkWrite(t, Inventory{OS: o, Packages: []Package{{Type: TypeDeb, Name: "a", Version: "1"}}})
	})
}

var _ io.Reader = (*countingReader)(nil)
