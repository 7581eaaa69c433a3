package sbom

import (
	"errors"
	"fmt"
	"io"
)

// apkFields are the keys of Alpine's installed database the inventory
// keeps (apk-tools' doc/apk-package(5)): name, version, architecture,
// license, origin (the source package), maintainer, URL, description.
var apkFields = map[byte]bool{'P': true, 'V': true, 'A': true, 'L': true, 'o': true, 'm': true, 'U': true, 'T': true}

// ParseApk reads Alpine's lib/apk/db/installed: one K:VALUE line per
// field, packages separated by blank lines. name is the path shown in
// errors and recorded in each Package.
func ParseApk(r io.Reader, name string) ([]Package, error) {
	l := newLineReader(r, name)
	var ps []Package
	f := map[byte]string{}
	start := 0
	flush := func() error {
		if len(f) == 0 && start == 0 {
			return nil
		}
		p, err := apkPackage(f, name)
		if err != nil {
			return fmt.Errorf("%w: %s:%d: %v", ErrMalformed, name, start, err)
		}
		if len(ps) == MaxPackages {
			return fmt.Errorf("%w: %s: more than %d packages", ErrTooLarge, name, MaxPackages)
		}
		ps = append(ps, p)
		clear(f)
		start = 0
		return nil
	}
	for {
		line, err := l.next()
		if err == io.EOF {
			return ps, flush()
		}
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			return nil, l.malformed("want K:VALUE, got %q", truncate(line))
		}
		if start == 0 {
			start = l.n
		}
		k := line[0]
		if !apkFields[k] {
			continue
		}
		if _, dup := f[k]; dup {
			return nil, l.malformed("field %c: given twice in one package (a blank line must separate packages)", k)
		}
		f[k] = clean(line[2:])
	}
}

func apkPackage(f map[byte]string, db string) (Package, error) {
	p := Package{
		Type:       TypeApk,
		Name:       f['P'],
		Version:    f['V'],
		Arch:       f['A'],
		Source:     f['o'],
		License:    f['L'],
		Maintainer: f['m'],
		Homepage:   f['U'],
		Summary:    f['T'],
		Database:   db,
	}
	switch {
	case p.Name == "":
		return p, errors.New("a package with no name (P:)")
	case p.Version == "":
		return p, fmt.Errorf("package %s: no version (V:)", p.Name)
	}
	if p.Source == p.Name {
		p.Source = ""
	}
	return p, nil
}
