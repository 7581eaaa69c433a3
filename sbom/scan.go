package sbom

import (
	"archive/tar"
	"fmt"
	"io"
	"path"
	"strings"
)

// Where the databases are, relative to the image's root.
const (
	dpkgStatus      = "var/lib/dpkg/status"
	dpkgStatusDir   = "var/lib/dpkg/status.d"
	apkInstalled    = "lib/apk/db/installed"
	apkInstalledUsr = "usr/lib/apk/db/installed" // merged /usr, lib -> usr/lib
	osRelease       = "etc/os-release"
	osReleaseUsr    = "usr/lib/os-release" // os-release(5)'s fallback
)

// Scan reads a flattened root filesystem tar to its end and returns the
// packages its dpkg and apk databases list and its os-release. An image
// with no database gives an empty Inventory. Scan always reads r to its
// end (unless reading fails), so that a writer teeing the stream to it is
// never left blocked; a database error is returned once the stream has
// been read.
func Scan(r io.Reader) (*Inventory, error) {
	s := &scanner{budget: MaxDatabaseBytes}
	tr := tar.NewReader(r)
	var dbErr error
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the root filesystem: %w", err)
		}
		if dbErr == nil {
			dbErr = s.entry(h, tr)
		}
	}
	// The tar writer's end is the stream's end; reading on to EOF also
	// returns the error the writer closed the stream with, if any.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, fmt.Errorf("reading the root filesystem: %w", err)
	}
	if dbErr != nil {
		return nil, dbErr
	}
	return s.inventory(), nil
}

type scanner struct {
	budget   int64 // database bytes left to read
	pkgs     []Package
	etcOS    *OS
	usrLibOS *OS
}

// entry reads h's data when h is one of the files Scan looks for.
func (s *scanner) entry(h *tar.Header, r io.Reader) error {
	name := path.Clean("/" + h.Name)[1:]
	var parse func(io.Reader, string) ([]Package, error)
	switch {
	case name == dpkgStatus:
		parse = ParseDpkg
	case path.Dir(name) == dpkgStatusDir && !strings.HasSuffix(name, ".md5sums") && h.Typeflag != tar.TypeDir:
		parse = ParseDpkg
	case name == apkInstalled || name == apkInstalledUsr:
		parse = ParseApk
	case name == osRelease || name == osReleaseUsr:
		return s.osRelease(h, name, r)
	default:
		return nil
	}
	switch h.Typeflag {
	case tar.TypeReg:
	case tar.TypeSymlink, tar.TypeLink:
		return fmt.Errorf("%w: /%s is a link to %s; the SBOM reads package databases that are regular files (build without --sbom to go on)", ErrUnsupported, name, h.Linkname)
	default:
		return fmt.Errorf("%w: /%s is not a regular file (tar type %q)", ErrUnsupported, name, h.Typeflag)
	}
	if h.Size > s.budget {
		return fmt.Errorf("%w: /%s: the image's package databases hold more than %d MiB", ErrTooLarge, name, MaxDatabaseBytes>>20)
	}
	s.budget -= h.Size
	ps, err := parse(io.LimitReader(r, h.Size), "/"+name)
	if err != nil {
		return err
	}
	if len(s.pkgs)+len(ps) > MaxPackages {
		return fmt.Errorf("%w: /%s: the image's databases list more than %d packages", ErrTooLarge, name, MaxPackages)
	}
	s.pkgs = append(s.pkgs, ps...)
	return nil
}

// osRelease keeps /etc/os-release, or /usr/lib/os-release when /etc's is
// missing or a link (usually to ../usr/lib/os-release).
func (s *scanner) osRelease(h *tar.Header, name string, r io.Reader) error {
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	if h.Size > MaxOSReleaseBytes {
		return fmt.Errorf("%w: /%s is larger than %d KiB", ErrTooLarge, name, MaxOSReleaseBytes>>10)
	}
	o, err := ParseOSRelease(io.LimitReader(r, h.Size), "/"+name)
	if err != nil {
		return err
	}
	if name == osRelease {
		s.etcOS = &o
	} else {
		s.usrLibOS = &o
	}
	return nil
}

// inventory sorts what was found and drops a package listed twice (by two
// databases: status and status.d, or apk's two places).
func (s *scanner) inventory() *Inventory {
	inv := &Inventory{}
	switch {
	case s.etcOS != nil:
		inv.OS = *s.etcOS
	case s.usrLibOS != nil:
		inv.OS = *s.usrLibOS
	}
	sortPackages(s.pkgs)
	for _, p := range s.pkgs {
		if n := len(inv.Packages); n > 0 {
			q := inv.Packages[n-1]
			if q.Type == p.Type && q.Name == p.Name && q.Arch == p.Arch && q.Version == p.Version {
				continue
			}
		}
		inv.Packages = append(inv.Packages, p)
	}
	return inv
}
