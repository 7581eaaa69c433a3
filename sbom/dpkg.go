package sbom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// dpkgFields are the control fields the inventory keeps, by their
// lower-case names (deb822 field names are case-insensitive).
var dpkgFields = map[string]bool{
	"package": true, "version": true, "architecture": true, "source": true,
	"status": true, "maintainer": true, "homepage": true, "description": true,
}

// ParseDpkg reads a dpkg database in deb822 form: the status file, or one
// file of status.d (which holds no Status field: every package there is
// installed). name is the path shown in errors and recorded in each
// Package. Packages whose status says their files are gone
// (not-installed, config-files) are left out.
func ParseDpkg(r io.Reader, name string) ([]Package, error) {
	var ps []Package
	err := readStanzas(newLineReader(r, name), dpkgFields, func(f map[string]string, line int) error {
		p, ok, err := dpkgPackage(f, name)
		if err != nil {
			return fmt.Errorf("%w: %s:%d: %v", ErrMalformed, name, line, err)
		}
		if !ok {
			return nil
		}
		if len(ps) == MaxPackages {
			return fmt.Errorf("%w: %s: more than %d packages", ErrTooLarge, name, MaxPackages)
		}
		ps = append(ps, p)
		return nil
	})
	return ps, err
}

// dpkgPackage makes a Package of one stanza; ok is false for a package
// that is not installed.
func dpkgPackage(f map[string]string, db string) (p Package, ok bool, err error) {
	if f["package"] == "" {
		return p, false, errors.New("a package entry with no Package field")
	}
	if st := f["status"]; st != "" {
		words := strings.Fields(st)
		if len(words) != 3 {
			return p, false, fmt.Errorf("package %s: Status %q: want three words (want flag, error flag, state)", f["package"], st)
		}
		switch words[2] {
		case "not-installed", "config-files":
			return p, false, nil
		}
	}
	if f["version"] == "" {
		return p, false, fmt.Errorf("package %s: no Version field", f["package"])
	}
	p = Package{
		Type:       TypeDeb,
		Name:       f["package"],
		Version:    f["version"],
		Arch:       f["architecture"],
		Maintainer: f["maintainer"],
		Homepage:   f["homepage"],
		Summary:    f["description"],
		Database:   db,
	}
	// Source: NAME, or NAME (VERSION) when the binary's version differs.
	if src := f["source"]; src != "" {
		name, ver, _ := strings.Cut(src, " ")
		p.Source = name
		ver = strings.TrimSpace(ver)
		if ver != "" {
			if !strings.HasPrefix(ver, "(") || !strings.HasSuffix(ver, ")") {
				return p, false, fmt.Errorf("package %s: Source %q: want NAME or NAME (VERSION)", p.Name, src)
			}
			p.SourceVersion = strings.TrimSpace(ver[1 : len(ver)-1])
		}
		if p.Source == p.Name {
			p.Source = ""
		}
		if p.SourceVersion == p.Version {
			p.SourceVersion = ""
		}
	}
	return p, true, nil
}

// readStanzas calls fn with each deb822 stanza's wanted fields (the first
// line of each value) and the line it starts at. Stanzas are separated by blank lines; a line that
// starts with a space or tab continues the field before it; a line that
// starts with # is a comment.
func readStanzas(l *lineReader, want map[string]bool, fn func(f map[string]string, line int) error) error {
	f := map[string]string{}
	inStanza, start := false, 0
	flush := func() error {
		if !inStanza {
			return nil
		}
		inStanza = false
		err := fn(f, start)
		clear(f)
		return err
	}
	for {
		line, err := l.next()
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return err
		}
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			if err := flush(); err != nil {
				return err
			}
			continue
		case line[0] == '#':
			continue
		case line[0] == ' ' || line[0] == '\t':
			if !inStanza {
				return l.malformed("a continuation line with no field before it")
			}
			continue
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return l.malformed("want FIELD: VALUE, got %q", truncate(line))
		}
		if !validFieldName(k) {
			return l.malformed("invalid field name %q", truncate(k))
		}
		if !inStanza {
			inStanza, start = true, l.n
		}
		key := strings.ToLower(string(k))
		if !want[key] {
			continue
		}
		if _, dup := f[key]; dup {
			return l.malformed("field %s given twice in one entry", k)
		}
		f[key] = clean(v)
	}
}

// validFieldName: deb822 field names are printable ASCII but for the
// colon and space, and do not start with - or #.
func validFieldName(k []byte) bool {
	if len(k) == 0 || k[0] == '-' || k[0] == '#' {
		return false
	}
	for _, c := range k {
		if c <= 0x20 || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// truncate shortens what an error quotes from a hostile file.
func truncate(b []byte) string {
	const max = 64
	if len(b) > max {
		return clean(b[:max]) + "…"
	}
	return clean(b)
}
