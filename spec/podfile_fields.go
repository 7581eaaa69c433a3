package spec

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/hashicorp/hcl/v2"

	"github.com/hyperbuild/hyper/internal/suggest"
)

// pfDecoder reads Hyper's podfile.json from a jnode tree.
type pfDecoder struct {
	dir   string
	diags hcl.Diagnostics
}

func (d *pfDecoder) add(diag ...*hcl.Diagnostic) { d.diags = append(d.diags, diag...) }

// objectSchema lists the keys of one podfile object: those hyper reads,
// and those Hyper had but hyper does not support yet, each with a hint.
type objectSchema struct {
	what        string // "container", for messages
	supported   []string
	unsupported map[string]string
}

// fields checks n is an object of the schema and returns its supported
// keys. Unsupported keys are errors unless their value is the zero value
// (false, "", 0, [], {}, null), which asks for nothing; unknown keys are
// errors with a suggestion.
func (d *pfDecoder) fields(n *jnode, s objectSchema) map[string]*jfield {
	if !d.kind(n, s.what, jObject) {
		return nil
	}
	out := map[string]*jfield{}
	known := append([]string{}, s.supported...)
	for k := range s.unsupported {
		known = append(known, k)
	}
	sort.Strings(known)
	for _, f := range n.fields {
		if contains(s.supported, f.key) {
			out[f.key] = f
			continue
		}
		if hint, ok := s.unsupported[f.key]; ok {
			if !isZero(f.val) {
				d.add(errorAt(f.keyRng, "Unsupported podfile field", "Field %q of a %s is not supported by hyper yet: %s.", f.key, s.what, hint))
			}
			continue
		}
		mean := ""
		if m := suggest.Closest(f.key, known, 4); m != "" {
			mean = fmt.Sprintf(" (did you mean %q?)", m)
		}
		d.add(errorAt(f.keyRng, "Unknown podfile field", "A %s has no field %q%s; it has %s.", s.what, f.key, mean, quoteList(s.supported)))
	}
	return out
}

func (d *pfDecoder) kind(n *jnode, what string, want jkind) bool {
	if n.kind != want {
		d.add(errorAt(n.head(), "Wrong type", "The %s must be %s, not %s.", what, article("JSON "+want.String()), article(n.kind.String())))
		return false
	}
	return true
}

// str reads a string field; false when absent, null or not a string.
func (d *pfDecoder) str(f *jfield) (string, bool) {
	if f == nil || f.val.kind == jNull {
		return "", false
	}
	if !d.kind(f.val, fmt.Sprintf("value of %q", f.key), jString) {
		return "", false
	}
	return f.val.str, true
}

// boolean reads a bool field.
func (d *pfDecoder) boolean(f *jfield) bool {
	if f == nil || f.val.kind == jNull || !d.kind(f.val, fmt.Sprintf("value of %q", f.key), jBool) {
		return false
	}
	return f.val.b
}

// integer reads a whole number; Hyper wrote some (ports) as strings too.
func (d *pfDecoder) integer(f *jfield) (int, bool) {
	if f == nil || f.val.kind == jNull {
		return 0, false
	}
	text := string(f.val.num)
	switch f.val.kind {
	case jString:
		text = f.val.str
	case jNumber:
	default:
		d.kind(f.val, fmt.Sprintf("value of %q", f.key), jNumber)
		return 0, false
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n > math.MaxInt32 || n < math.MinInt32 {
		d.add(errorAt(f.val.rng, "Wrong type", "The value of %q must be a whole number, not %s.", f.key, strconv.Quote(text)))
		return 0, false
	}
	return int(n), true
}

// either returns the field under one of keys, which are one key spelled
// differently; both present is an error.
func (d *pfDecoder) either(f map[string]*jfield, keys ...string) *jfield {
	var got *jfield
	for _, k := range keys {
		if x := f[k]; x != nil && x.val.kind != jNull {
			if got != nil {
				d.add(errorAt(x.keyRng, "Duplicate key", "%q and %q are the same field; keep one.", got.key, x.key))
				continue
			}
			got = x
		}
	}
	return got
}

// limit reads a ulimit's limit: a whole number (Hyper's uint64) or the
// string "unlimited" (or a number in a string).
func (d *pfDecoder) limit(f *jfield) (uint64, bool) {
	var text string
	switch f.val.kind {
	case jNumber:
		text = string(f.val.num)
	case jString:
		text = f.val.str
	default:
		d.kind(f.val, fmt.Sprintf("value of %q", f.key), jNumber)
		return 0, false
	}
	n, err := parseLimit(text)
	return n, d.check(f.val, "Invalid ulimit", err)
}

// strList reads an array of strings, keeping [] distinct from absent.
func (d *pfDecoder) strList(f *jfield) ([]string, bool) {
	if f == nil || f.val.kind == jNull {
		return nil, false
	}
	if !d.kind(f.val, fmt.Sprintf("value of %q", f.key), jArray) {
		return nil, false
	}
	out := []string{}
	for _, e := range f.val.elems {
		if !d.kind(e, fmt.Sprintf("element of %q", f.key), jString) {
			return nil, false
		}
		out = append(out, e.str)
	}
	return out, true
}

// array reads an array field's elements.
func (d *pfDecoder) array(f *jfield) []*jnode {
	if f == nil || f.val.kind == jNull || !d.kind(f.val, fmt.Sprintf("value of %q", f.key), jArray) {
		return nil
	}
	return f.val.elems
}

func (d *pfDecoder) check(n *jnode, summary string, err error) bool {
	if err != nil {
		d.add(errorAt(n.head(), summary, "%s", sentence(err)))
		return false
	}
	return true
}

func isZero(n *jnode) bool {
	switch n.kind {
	case jNull:
		return true
	case jBool:
		return !n.b
	case jNumber:
		f, err := n.num.Float64()
		return err == nil && f == 0
	case jString:
		return n.str == ""
	case jArray:
		return len(n.elems) == 0
	}
	return len(n.fields) == 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteList(list []string) string {
	s := ""
	for i, x := range list {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(x)
	}
	return s
}
