package sbom

import (
	"bytes"
	"io"
	"strings"
)

// ParseOSRelease reads os-release(5): KEY=VALUE lines, values perhaps
// quoted as in a shell. It is informational, so lines it cannot read are
// skipped rather than failing the inventory; only a line past
// MaxLineBytes is an error.
func ParseOSRelease(r io.Reader, name string) (OS, error) {
	l := newLineReader(r, name)
	var o OS
	for {
		line, err := l.next()
		if err == io.EOF {
			return o, nil
		}
		if err != nil {
			return OS{}, err
		}
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte("="))
		if !ok || len(k) == 0 || k[0] == '#' {
			continue
		}
		switch string(k) {
		case "ID":
			o.ID = unquote(v)
		case "VERSION_ID":
			o.VersionID = unquote(v)
		case "PRETTY_NAME":
			o.PrettyName = unquote(v)
		}
	}
}

// unquote undoes os-release's shell quoting: "..." with backslash
// escapes, or '...'.
func unquote(v []byte) string {
	s := string(v)
	switch {
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		s = s[1 : len(s)-1]
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"':
		var b strings.Builder
		in := s[1 : len(s)-1]
		for i := 0; i < len(in); i++ {
			if in[i] == '\\' && i+1 < len(in) && strings.IndexByte("\"\\$`", in[i+1]) >= 0 {
				i++
			}
			b.WriteByte(in[i])
		}
		s = b.String()
	}
	return clean([]byte(s))
}
