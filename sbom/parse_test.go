package sbom

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseDpkg(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Package
		err      error
	}{
		{
			name: "installed, continuation lines, source with version",
			in: "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u10\n" +
				"Source: glibc (2.36-9+deb12u10)\nMaintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\n" +
				"Depends: libgcc-s1\nDescription: GNU C Library: Shared libraries\n Contains the standard libraries.\n .\n More.\nHomepage: https://www.gnu.org/software/libc/libc.html\n\n" +
				"Package: adduser\nStatus: install ok installed\nVersion: 3.134\nArchitecture: all\nSource: adduser\n",
			want: []Package{
				{Type: TypeDeb, Name: "libc6", Version: "2.36-9+deb12u10", Arch: "amd64", Source: "glibc",
					Maintainer: "GNU Libc Maintainers <debian-glibc@lists.debian.org>", Homepage: "https://www.gnu.org/software/libc/libc.html",
					Summary: "GNU C Library: Shared libraries", Database: "status"},
				{Type: TypeDeb, Name: "adduser", Version: "3.134", Arch: "all", Database: "status"},
			},
		},
		{
			name: "source version differs; field names in any case; CRLF; comments",
			in:   "# made by hand\r\npackage: libssl3\r\nVERSION: 3.0.15-1~deb12u1\r\nSource: openssl (3.0.15-1)\r\n",
			want: []Package{{Type: TypeDeb, Name: "libssl3", Version: "3.0.15-1~deb12u1", Source: "openssl", SourceVersion: "3.0.15-1", Database: "status"}},
		},
		{
			name: "removed and purged packages are left out",
			in: "Package: a\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: b\nStatus: purge ok not-installed\n\n" +
				"Package: c\nStatus: install ok half-configured\nVersion: 2\n\n\n\t\n",
			want: []Package{{Type: TypeDeb, Name: "c", Version: "2", Database: "status"}},
		},
		{name: "empty", in: "", want: nil},
		{name: "no package field", in: "Version: 1\n", err: ErrMalformed},
		{name: "no version", in: "Package: a\nStatus: install ok installed\n", err: ErrMalformed},
		{name: "no colon", in: "Package: a\nVersion 1\n", err: ErrMalformed},
		{name: "continuation first", in: " Package: a\n", err: ErrMalformed},
		{name: "duplicate field", in: "Package: a\nPackage: b\nVersion: 1\n", err: ErrMalformed},
		{name: "bad status", in: "Package: a\nVersion: 1\nStatus: installed\n", err: ErrMalformed},
		{name: "bad source", in: "Package: a\nVersion: 1\nSource: b 2\n", err: ErrMalformed},
		{name: "bad field name", in: "Package: a\nVer sion: 1\n", err: ErrMalformed},
		{name: "line too long", in: "Package: a\nDescription: " + strings.Repeat("x", MaxLineBytes) + "\n", err: ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDpkg(strings.NewReader(tt.in), "status")
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "status:") {
					t.Errorf("error %q does not name the file and line", err)
				}
				return
			}
			if !equalPackages(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseDpkgLongLineFits(t *testing.T) {
	// A line longer than the read buffer but within MaxLineBytes is fine.
	in := "Package: a\nVersion: 1\nDepends: " + strings.Repeat("b, ", 100_000) + "c\n"
	got, err := ParseDpkg(strings.NewReader(in), "status")
	if err != nil || len(got) != 1 || got[0].Version != "1" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestParseDpkgTooMany(t *testing.T) {
	in := strings.Repeat("Package: a\nVersion: 1\n\n", MaxPackages+1)
	if _, err := ParseDpkg(strings.NewReader(in), "status"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestParseApk(t *testing.T) {
	f, err := os.Open("testdata/apk-installed")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseApk(f, "/lib/apk/db/installed")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d packages, want 5: %+v", len(got), got)
	}
	want := Package{Type: TypeApk, Name: "ssl_client", Version: "1.36.1-r29", Arch: "x86_64", Source: "busybox",
		License: "GPL-2.0-only", Maintainer: "Sören Tempel <soeren+alpine@soeren-tempel.net>", Homepage: "https://busybox.net/",
		Summary: "EXternal ssl_client for busybox wget", Database: "/lib/apk/db/installed"}
	if got[2] != want {
		t.Errorf("got %+v\nwant %+v", got[2], want)
	}
	if got[0].Source != "" {
		t.Errorf("musl is its own origin, Source = %q", got[0].Source)
	}

	bad := []struct{ name, in string }{
		{"no colon", "P:a\nV:1\nxyz\n"},
		{"long key", "P:a\nVV:1\n"},
		{"two packages without a blank line", "P:a\nV:1\nP:b\nV:2\n"},
		{"no name", "V:1\n"},
		{"no version", "P:a\nA:x86_64\n"},
		{"files only", "F:usr\nR:x\n"},
	}
	for _, tt := range bad {
		if _, err := ParseApk(strings.NewReader(tt.in), "installed"); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", tt.name, err)
		}
	}
}

func TestParseOSRelease(t *testing.T) {
	in := "# comment\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm) \\\"x\\\"\"\nnonsense\n=x\n"
	got, err := ParseOSRelease(strings.NewReader(in), "os-release")
	want := OS{ID: "debian", VersionID: "12", PrettyName: `Debian GNU/Linux 12 (bookworm) "x"`}
	if err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	got, _ = ParseOSRelease(strings.NewReader("ID='alpine'\nVERSION_ID=3.20.3\n"), "os-release")
	if got.ID != "alpine" || got.VersionID != "3.20.3" {
		t.Errorf("got %+v", got)
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"  plain ":            "plain",
		"a\x00b\x1bc\x7f":     "abc",
		"caf\xc3\xa9":         "café",
		"bad \xff utf8":       "bad \uFFFD utf8",
		"c1 \xc2\x9b control": "c1  control",
	} {
		if got := clean([]byte(in)); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func equalPackages(a, b []Package) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
