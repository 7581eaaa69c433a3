package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/hyperbuild/hyper/contract"
)

// Option configures a Loader.
type Option func(*options)

type options struct {
	vars     map[string]string
	varFiles []string
}

// WithVars sets variables as -var NAME=VALUE does. Values are text,
// converted to the variable's declared type (a number, a bool, or an HCL
// expression for lists and maps); they override -var-file and defaults.
func WithVars(vars map[string]string) Option {
	return func(o *options) {
		for k, v := range vars {
			o.vars[k] = v
		}
	}
}

// WithVarFiles reads variable values from HCL files of NAME = VALUE
// lines, as -var-file does; later files override earlier ones.
func WithVarFiles(paths ...string) Option {
	return func(o *options) { o.varFiles = append(o.varFiles, paths...) }
}

func makeOptions(opts []Option) options {
	o := options{vars: map[string]string{}}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Loader reads pod files. It remembers every file it read so that
// WriteDiagnostics can show source snippets.
type Loader struct {
	opts   options
	parser *hclparse.Parser
	json   map[string]*hcl.File // podfiles, and files refused before parsing: hclparse has neither
}

// NewLoader returns a Loader with the given options.
func NewLoader(opts ...Option) *Loader {
	return &Loader{opts: makeOptions(opts), parser: hclparse.NewParser(), json: map[string]*hcl.File{}}
}

// Load reads the pod file at path: HCL for .hcl, Hyper's podfile for
// .json, else whichever the content looks like. It returns the
// normalised pod, or nil and error diagnostics; warnings may come with
// either.
func (l *Loader) Load(path string) (*contract.Pod, hcl.Diagnostics) {
	src, d := readPodFile(path, "pod file")
	if d != nil {
		return nil, hcl.Diagnostics{d}
	}
	return l.load(path, src)
}

// readPodFile reads a pod file or -var-file (what it is, for messages)
// of at most MaxSourceSize bytes. A pipe will do (<(cat pod.hcl)).
func readPodFile(path, what string) ([]byte, *hcl.Diagnostic) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read " + what, Detail: fmt.Sprintf("Reading %s: %v.", path, err)}
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxSourceSize+1))
	if err != nil {
		return nil, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read " + what, Detail: fmt.Sprintf("Reading %s: %v.", path, err)}
	}
	return src, nil
}

// sourceDiag checks, before any parser runs, that src is small enough,
// text, and nested shallowly enough for the parser (JSON's rules when
// json); it returns a located diagnostic when not.
func sourceDiag(path string, src []byte, json bool) *hcl.Diagnostic {
	off, err := checkSource(path, src)
	if err == nil {
		off, err = checkNesting(path, src, json)
	}
	if err == nil {
		return nil
	}
	summary := "Pod file too large"
	switch {
	case errors.Is(err, ErrNotText):
		summary = "Not a text file"
	case errors.Is(err, ErrTooDeep):
		summary = "Nested too deeply"
	case errors.Is(err, ErrTooLong):
		summary = "Expression too long"
	}
	rng := hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos}
	if off >= 0 {
		line, col := lineCol(src, off)
		rng.Start = hcl.Pos{Line: line, Column: col, Byte: off}
		rng.End = hcl.Pos{Line: line, Column: col + 1, Byte: min(off+1, len(src))}
	}
	detail := err.Error() + "."
	if where := fmt.Sprintf("%s:%d:%d: ", path, rng.Start.Line, rng.Start.Column); strings.HasPrefix(detail, where) {
		// The heading says where and what.
		rest := strings.TrimPrefix(strings.TrimPrefix(detail[len(where):], ErrTooDeep.Error()+": "), ErrTooLong.Error()+": ")
		detail = sentence(errors.New(rest))
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &rng}
}

// load is Load on bytes already read (the fuzz tests call it directly).
func (l *Loader) load(path string, src []byte) (*contract.Pod, hcl.Diagnostics) {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot locate pod file", Detail: err.Error()}}
	}
	podfile := isPodfile(path, src)
	if d := sourceDiag(path, src, podfile); d != nil {
		if d.Summary == "Nested too deeply" || d.Summary == "Expression too long" {
			l.json[path] = &hcl.File{Bytes: src} // text: worth a snippet
		}
		return nil, hcl.Diagnostics{d}
	}
	var pod *contract.Pod
	var diags hcl.Diagnostics
	if podfile {
		pod, diags = l.loadPodfile(path, dir, src)
	} else {
		pod, diags = l.loadHCL(path, dir, src)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if err := pod.Validate(); err != nil {
		// The checks above are stricter than the guest's; this is a bug.
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Internal error: invalid contract", Detail: err.Error()})
	}
	return pod, diags
}

// isPodfile picks the front end: by extension, else by a leading '{'.
func isPodfile(path string, src []byte) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return true
	case ".hcl":
		return false
	}
	return bytes.HasPrefix(bytes.TrimLeft(src, " \t\r\n\ufeff"), []byte("{"))
}

// MaxDiagnostics is how many diagnostics WriteDiagnostics prints before
// it sums up the rest.
const MaxDiagnostics = 20

// WriteDiagnostics prints diags with HCL's text writer (source snippet
// and detail), each one's first line made compiler-style,
// "FILE:LINE:COL: error: SUMMARY", so that editors and CI logs link it.
// It prints the first MaxDiagnostics and then only how many more there
// are: the first errors are the ones to fix, and each snippet costs a
// scan of its file.
// With color (a terminal) it adds escapes and wraps at 100 columns;
// without, it does not wrap, so that output is stable for tests and logs.
func (l *Loader) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, color bool) error {
	files := map[string]*hcl.File{}
	for k, v := range l.parser.Files() {
		files[k] = v
	}
	for k, v := range l.json {
		files[k] = v
	}
	width := uint(0)
	if color {
		width = 100
	}
	var buf bytes.Buffer
	tw := hcl.NewDiagnosticTextWriter(&buf, files, width, color)
	for i, d := range diags {
		if i == MaxDiagnostics {
			if _, err := io.WriteString(w, moreDiagnostics(diags[i:])); err != nil {
				return fmt.Errorf("writing diagnostics: %w", err)
			}
			break
		}
		buf.Reset()
		dw, dd := tw, d
		if d.Subject != nil {
			if f, cd, ok := snippetOnly(files[d.Subject.Filename], d); ok {
				dw, dd = hcl.NewDiagnosticTextWriter(&buf, map[string]*hcl.File{d.Subject.Filename: f}, width, color), cd
			}
		}
		if err := dw.WriteDiagnostic(dd); err != nil {
			return fmt.Errorf("writing diagnostics: %w", err)
		}
		text := buf.String()
		if _, rest, ok := strings.Cut(text, "\n"); ok {
			text = diagHeading(d) + "\n" + rest
		}
		if _, err := io.WriteString(w, text); err != nil {
			return fmt.Errorf("writing diagnostics: %w", err)
		}
	}
	return nil
}

// moreDiagnostics sums up the diagnostics WriteDiagnostics leaves out:
// "… and 12 more errors" (and warnings).
func moreDiagnostics(rest hcl.Diagnostics) string {
	errs := 0
	for _, d := range rest {
		if d.Severity == hcl.DiagError {
			errs++
		}
	}
	plural := func(n int, what string) string {
		if n == 1 {
			return fmt.Sprintf("%d more %s", n, what)
		}
		return fmt.Sprintf("%d more %ss", n, what)
	}
	switch warns := len(rest) - errs; {
	case warns == 0:
		return "… and " + plural(errs, "error") + "\n"
	case errs == 0:
		return "… and " + plural(warns, "warning") + "\n"
	default:
		return "… and " + plural(errs, "error") + " and " + plural(warns, "warning") + "\n"
	}
}

// diagHeading is "FILE:LINE:COL: error: SUMMARY" ("hyperbuild" stands for
// the file when a diagnostic has none, e.g. a bad -var).
func diagHeading(d *hcl.Diagnostic) string {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	where := "hyperbuild"
	if d.Subject != nil {
		where = fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
	}
	return fmt.Sprintf("%s: %s: %s", where, sev, d.Summary)
}
