package spec

import (
	"bytes"
	"fmt"
)

// HCL's parser and evaluator recurse once per nesting level and once per
// operator of a chain, so a megabyte of "(((" or "!!!" or "1+1+" would
// overflow the Go stack and crash the process. CheckNesting refuses such
// source first, with these limits, far above what a pod file needs.
const (
	// MaxNesting bounds how deeply brackets, braces, parentheses and
	// string templates nest.
	MaxNesting = 64
	// MaxOperators bounds the operators (and index steps) of one
	// expression at one level of nesting: a chain of them makes as deep
	// a tree as that many parentheses.
	MaxOperators = 256
)

// CheckNesting refuses src when it nests deeper than MaxNesting or chains
// more than MaxOperators operators, as HCL (or, with json, as JSON,
// brackets and braces only). It takes one pass and memory bounded by
// MaxNesting.
func CheckNesting(name string, src []byte, json bool) error {
	_, err := checkNesting(name, src, json)
	return err
}

// checkNesting is CheckNesting that also returns the offending byte's
// offset.
func checkNesting(name string, src []byte, json bool) (int, error) {
	var off int
	var tooMany bool
	if json {
		off = scanJSON(src)
	} else {
		off, tooMany = scanHCL(src)
	}
	if off < 0 {
		return -1, nil
	}
	line, col := lineCol(src, off)
	if tooMany {
		return off, fmt.Errorf("%s:%d:%d: %w: more than %d operators in a row at one level of parentheses; split the expression", name, line, col, ErrTooLong, MaxOperators)
	}
	return off, fmt.Errorf("%s:%d:%d: %w: brackets, braces, parentheses and string templates nest at most %d levels deep", name, line, col, ErrTooDeep, MaxNesting)
}

// scanJSON returns the offset of the bracket that opens level
// MaxNesting+1, or -1.
func scanJSON(src []byte) int {
	depth, inString := 0, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inString && c == '\\':
			i++
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > MaxNesting {
				return i
			}
		case (c == ']' || c == '}') && depth > 0:
			depth--
		}
	}
	return -1
}

// scanFrame is one level of nesting in scanHCL.
type scanFrame struct {
	kind byte   // 0 top level; '(' '[' '{' code; 'i' an interpolation or directive; 'q' a quoted template; 'h' a heredoc
	ops  int    // operators seen directly in this frame since its last separator
	id   []byte // a heredoc's closing marker
}

func (f *scanFrame) code() bool { return f.kind != 'q' && f.kind != 'h' }

// scanHCL returns the offset of the first byte that opens level
// MaxNesting+1 (tooMany false) or is operator MaxOperators+1 of one
// expression at one level (tooMany true), or -1. It is a sketch of HCL's
// lexer: it skips comments, quoted strings and heredocs (but enters their
// ${...} and %{...}), so brackets in text do not count. It errs on the
// side of counting: '-' in an identifier, and "==", count as operators.
// Malformed input needs no care here: the parser reports it.
func scanHCL(src []byte) (off int, tooMany bool) {
	stack := make([]scanFrame, 1, MaxNesting+1)
	push := func(kind byte, id []byte) bool {
		if len(stack) > MaxNesting {
			return false
		}
		stack = append(stack, scanFrame{kind: kind, id: id})
		return true
	}
	pop := func() {
		if len(stack) > 1 {
			stack = stack[:len(stack)-1]
		}
	}
	prev := byte('\n') // the last non-blank code byte, for index chains
	for i := 0; i < len(src); {
		top := &stack[len(stack)-1]
		c := src[i]
		if !top.code() {
			if top.kind == 'h' && (i == 0 || src[i-1] == '\n') {
				end := bytes.IndexByte(src[i:], '\n')
				if end < 0 {
					end = len(src) - i
				}
				if bytes.Equal(bytes.Trim(src[i:i+end], " \t\r"), top.id) {
					pop()
					i += end
					continue
				}
			}
			switch {
			case top.kind == 'q' && c == '\\':
				i += 2
			case top.kind == 'q' && (c == '"' || c == '\n'):
				pop() // an unterminated string ends at the line's end
				i++
			case (c == '$' || c == '%') && bytes.HasPrefix(src[i+1:], []byte{c, '{'}):
				i += 3 // $${ and %%{ are literal text
			case (c == '$' || c == '%') && bytes.HasPrefix(src[i+1:], []byte{'{'}):
				if c == '%' {
					// Directives (if, for) nest in the template's tree.
					if top.ops++; top.ops > MaxOperators {
						return i, true
					}
				}
				if !push('i', nil) {
					return i, false
				}
				i += 2
			default:
				i++
			}
			continue
		}
		op := false
		switch c {
		case '"':
			if !push('q', nil) {
				return i, false
			}
		case '#':
			i = skipLine(src, i)
			continue
		case '/':
			switch {
			case bytes.HasPrefix(src[i+1:], []byte{'/'}):
				i = skipLine(src, i)
				continue
			case bytes.HasPrefix(src[i+1:], []byte{'*'}):
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					return -1, false
				}
				i += 2 + end + 2
				continue
			}
			op = true
		case '<':
			if id, next, ok := heredocStart(src, i); ok {
				if !push('h', id) {
					return i, false
				}
				i = next
				continue
			}
			op = true
		case '(', '{', '[':
			// x[0][0]... and f(x)[0]... nest like operators do.
			if c == '[' && (isIdentByte(prev) || prev == ']' || prev == ')' || prev == '}' || prev == '"') {
				op = true
			}
			if !push(c, nil) {
				return i, false
			}
		case ')', ']', '}':
			if top.kind != 0 {
				pop()
			}
		case ',':
			top.ops = 0
		case '\n':
			if top.kind == 0 || top.kind == '{' {
				top.ops = 0 // a new attribute or object item
			}
		case '+', '-', '*', '%', '!', '?', ':', '&', '|', '=', '>':
			op = true
		}
		if op {
			if top.ops++; top.ops > MaxOperators {
				return i, true
			}
		}
		if c != ' ' && c != '\t' && c != '\r' {
			prev = c
		}
		i++
	}
	return -1, false
}

// skipLine returns the offset of the newline that ends the line at i
// (which is not skipped: it separates attributes).
func skipLine(src []byte, i int) int {
	if end := bytes.IndexByte(src[i:], '\n'); end >= 0 {
		return i + end
	}
	return len(src)
}

// heredocStart reads "<<ID\n" or "<<-ID\n" at i, returning ID and the
// offset after the newline.
func heredocStart(src []byte, i int) (id []byte, next int, ok bool) {
	j := i + 2
	if !bytes.HasPrefix(src[i:], []byte("<<")) {
		return nil, 0, false
	}
	if j < len(src) && src[j] == '-' {
		j++
	}
	start := j
	for j < len(src) && isIdentByte(src[j]) {
		j++
	}
	if j == start || src[start] == '-' || (src[start] >= '0' && src[start] <= '9') {
		return nil, 0, false
	}
	id = src[start:j]
	if j < len(src) && src[j] == '\r' {
		j++
	}
	if j >= len(src) || src[j] != '\n' {
		return nil, 0, false
	}
	return id, j + 1, true
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
