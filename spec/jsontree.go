package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// jkind is the kind of a JSON value.
type jkind int

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

func (k jkind) String() string {
	return [...]string{"null", "bool", "number", "string", "array", "object"}[k]
}

// jnode is a JSON value that remembers where it is in the source, so the
// podfile front end can report problems at file:line:col.
type jnode struct {
	kind   jkind
	rng    hcl.Range
	b      bool
	num    json.Number
	str    string
	elems  []*jnode
	fields []*jfield
}

// jfield is one key of an object, with the key's own range.
type jfield struct {
	key    string
	keyRng hcl.Range
	val    *jnode
}

// jsonParser turns a token stream into jnodes; positions come from the
// decoder's byte offsets mapped to lines and columns.
type jsonParser struct {
	dec   *json.Decoder
	src   []byte
	name  string
	lines []int   // byte offset of each line's start
	last  hcl.Pos // the last position pos computed
}

// parseJSON reads src as one JSON value.
func parseJSON(name string, src []byte) (*jnode, hcl.Diagnostics) {
	p := &jsonParser{dec: json.NewDecoder(bytes.NewReader(src)), src: src, name: name, lines: []int{0}}
	p.dec.UseNumber()
	for i, c := range src {
		if c == '\n' {
			p.lines = append(p.lines, i+1)
		}
	}
	n, err := p.value()
	if err == nil {
		start := p.offset()
		if _, terr := p.dec.Token(); terr != io.EOF {
			return nil, hcl.Diagnostics{errorAt(p.rangeAt(p.skip(start), p.skip(start)+1), "Invalid JSON", "Extra data after the podfile's top-level object.")}
		}
	}
	if err != nil {
		return nil, hcl.Diagnostics{p.syntaxError(err)}
	}
	return n, nil
}

func (p *jsonParser) offset() int { return int(p.dec.InputOffset()) }

// skip moves past white space and the separators the decoder consumes
// silently, to where the next token really starts.
func (p *jsonParser) skip(off int) int {
	for off < len(p.src) {
		switch p.src[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// token reads the next token and its range.
func (p *jsonParser) token() (json.Token, hcl.Range, error) {
	before := p.offset()
	t, err := p.dec.Token()
	if err != nil {
		return nil, hcl.Range{}, err
	}
	return t, p.rangeAt(p.skip(before), p.offset()), nil
}

func (p *jsonParser) value() (*jnode, error) {
	t, rng, err := p.token()
	if err != nil {
		return nil, err
	}
	n := &jnode{rng: rng}
	switch v := t.(type) {
	case nil:
		n.kind = jNull
	case bool:
		n.kind, n.b = jBool, v
	case json.Number:
		n.kind, n.num = jNumber, v
	case string:
		n.kind, n.str = jString, v
	case json.Delim:
		switch v {
		case '[':
			n.kind = jArray
			for p.dec.More() {
				e, err := p.value()
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, e)
			}
		case '{':
			n.kind = jObject
			seen := map[string]hcl.Range{}
			for p.dec.More() {
				kt, krng, err := p.token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				if prev, dup := seen[key]; dup {
					return nil, &dupKeyError{key: key, rng: krng, prev: prev}
				}
				seen[key] = krng
				val, err := p.value()
				if err != nil {
					return nil, err
				}
				n.fields = append(n.fields, &jfield{key: key, keyRng: krng, val: val})
			}
		}
		if _, _, err := p.token(); err != nil { // the closing ] or }
			return nil, err
		}
		n.rng.End = p.pos(p.offset())
	}
	return n, nil
}

type dupKeyError struct {
	key       string
	rng, prev hcl.Range
}

func (e *dupKeyError) Error() string { return fmt.Sprintf("duplicate key %q", e.key) }

// syntaxError locates a decoder error.
func (p *jsonParser) syntaxError(err error) *hcl.Diagnostic {
	var dup *dupKeyError
	if errors.As(err, &dup) {
		return errorAt(dup.rng, "Duplicate key", "Key %q appears twice in this object; the first is at %s.", dup.key, dup.prev)
	}
	off := p.offset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset) - 1
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		off = len(p.src)
		err = errors.New("unexpected end of file")
	}
	off = max(0, min(off, len(p.src)))
	return errorAt(p.rangeAt(off, min(off+1, len(p.src))), "Invalid JSON", "%s", sentence(errors.New(trimJSONPrefix(err.Error()))))
}

func trimJSONPrefix(s string) string {
	if len(s) > 6 && s[:6] == "json: " {
		return s[6:]
	}
	return s
}

func (p *jsonParser) rangeAt(start, end int) hcl.Range {
	return hcl.Range{Filename: p.name, Start: p.pos(start), End: p.pos(max(start, end))}
}

// pos maps a byte offset to a position; columns count characters.
// Offsets mostly come in order, so the column is counted on from the last
// position on the same line: a minified podfile is one long line, and
// counting from its start each time would be quadratic.
func (p *jsonParser) pos(off int) hcl.Pos {
	off = max(0, min(off, len(p.src)))
	line := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off }) - 1
	from, col := p.lines[line], 1
	if last := p.last; last.Line == line+1 && last.Byte <= off {
		from, col = last.Byte, last.Column
	}
	col += utf8.RuneCount(p.src[from:off])
	p.last = hcl.Pos{Line: line + 1, Column: col, Byte: off}
	return p.last
}

// head is where a diagnostic about n points: its opening bracket for an
// object or array (HCL would print every line of the whole value),
// else the whole token.
func (n *jnode) head() hcl.Range {
	if n.kind != jObject && n.kind != jArray {
		return n.rng
	}
	r := n.rng
	r.End = hcl.Pos{Line: r.Start.Line, Column: r.Start.Column + 1, Byte: r.Start.Byte + 1}
	return r
}
