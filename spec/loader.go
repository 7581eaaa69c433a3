package spec

import (
	"bytes"
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
	json   map[string]*hcl.File // podfiles, which hclparse does not parse
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
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read pod file",
			Detail:   fmt.Sprintf("Reading %s: %v.", path, err),
		}}
	}
	return l.load(path, src)
}

// load is Load on bytes already read (the fuzz tests call it directly).
func (l *Loader) load(path string, src []byte) (*contract.Pod, hcl.Diagnostics) {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot locate pod file", Detail: err.Error()}}
	}
	var pod *contract.Pod
	var diags hcl.Diagnostics
	if isPodfile(path, src) {
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

// WriteDiagnostics prints diags with HCL's text writer (source snippet
// and detail), each one's first line made compiler-style,
// "FILE:LINE:COL: error: SUMMARY", so that editors and CI logs link it.
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
	for _, d := range diags {
		buf.Reset()
		if err := tw.WriteDiagnostic(d); err != nil {
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
