package spec

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// errorAt is an error diagnostic about the thing at rng.
func errorAt(rng hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: &r}
}

// orElse returns s, or alt when s is empty.
func orElse(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// article is "a" or "an" for a JSON kind or type name.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// sentence capitalises err's message and ends it with a period, as HCL's
// diagnostic details read.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	if last := s[len(s)-1]; last != '.' && last != '?' && last != '!' {
		s += "."
	}
	return s
}

// Above these sizes snippetOnly cuts a file down for HCL's diagnostic
// writer: the whole file, and the part of a line shown around a range.
const (
	snippetAbove = 64 << 10
	snippetWidth = 100
)

// snippetOnly returns f cut down to what d's snippet shows, and d with
// its ranges moved to match, when f is large or the snippet's lines are
// long. HCL's writer scans the file from its start for every diagnostic
// (a second or so for a megabyte) and prints whole lines (a minified
// podfile is one). The lines before the snippet become empty lines, so
// that line numbers stay right, and a long line keeps snippetWidth bytes
// either side of the range, marked with "…".
func snippetOnly(f *hcl.File, d *hcl.Diagnostic) (*hcl.File, *hcl.Diagnostic, bool) {
	if f == nil {
		return nil, nil, false
	}
	src := f.Bytes
	lo, hi := d.Subject.Start.Byte, d.Subject.End.Byte
	ctx := d.Context
	if ctx != nil && ctx.Filename == d.Subject.Filename {
		lo, hi = min(lo, ctx.Start.Byte), max(hi, ctx.End.Byte)
	} else {
		ctx = nil
	}
	if lo < 0 || lo > hi || hi > len(src) {
		return nil, nil, false
	}
	start := bytes.LastIndexByte(src[:lo], '\n') + 1
	end := len(src)
	if i := bytes.IndexByte(src[hi:], '\n'); i >= 0 {
		end = hi + i
	}
	from, to := max(start, lo-snippetWidth), min(end, hi+snippetWidth)
	if len(src) <= snippetAbove && from == start && to == end {
		return nil, nil, false
	}
	for from > start && !utf8.RuneStart(src[from]) {
		from++
	}
	for to < end && !utf8.RuneStart(src[to]) {
		to--
	}
	lines := bytes.Count(src[:start], []byte{'\n'})
	cut := make([]byte, 0, lines+to-from+2*len("…"))
	cut = append(cut, bytes.Repeat([]byte{'\n'}, lines)...)
	if from > start {
		cut = append(cut, "…"...)
	}
	shift := from - len(cut)
	cut = append(cut, src[from:to]...)
	if to < end {
		cut = append(cut, "…"...)
	}
	move := func(r *hcl.Range) *hcl.Range {
		m := *r
		m.Start.Byte -= shift
		m.End.Byte -= shift
		return &m
	}
	cd := *d
	cd.Subject, cd.Context = move(d.Subject), nil
	if ctx != nil {
		cd.Context = move(ctx)
	}
	return &hcl.File{Body: f.Body, Bytes: cut, Nav: shiftedNav{f.Nav, shift}}, &cd, true
}

// shiftedNav answers HCL's writer's "in pod ..." question for a file cut
// down by snippetOnly, at the offset the whole file had.
type shiftedNav struct {
	nav   any
	shift int
}

func (n shiftedNav) ContextString(offset int) string {
	if c, ok := n.nav.(interface{ ContextString(int) string }); ok {
		return c.ContextString(offset + n.shift)
	}
	return ""
}
