package spec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// loadFile writes src to dir/name and loads it with opts.
func loadFile(t *testing.T, name, src string, opts ...Option) (*Loader, hcl.Diagnostics) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	l := NewLoader(opts...)
	pod, diags := l.Load(path)
	if pod != nil && diags.HasErrors() {
		t.Fatalf("a pod and errors: %s", diags.Error())
	}
	return l, diags
}

// podWith is a valid pod file with expr as its hostname.
func podWith(expr string) string {
	return "pod \"p\" {\n  hostname = " + expr + "\n  container \"c\" {\n    image = \"busybox\"\n  }\n}\n"
}

// TestHostileSource feeds what crashed or stalled the loader before it
// checked its input: each is refused at once, with one located
// diagnostic.
func TestHostileSource(t *testing.T) {
	tests := []struct {
		name, src    string
		summary      string
		line, column int
	}{
		{"paren.hcl", podWith(strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)), "Nested too deeply", 2, 14 + MaxNesting - 1},
		{"brackets.hcl", podWith(strings.Repeat("[", 300000)), "Nested too deeply", 2, 14 + MaxNesting - 1},
		{"blocks.hcl", strings.Repeat("a {\n", 100) + strings.Repeat("}\n", 100), "Nested too deeply", MaxNesting + 1, 3},
		{"templates.hcl", podWith(strings.Repeat(`"${`, 1000)), "Nested too deeply", 2, 14 + 3*(MaxNesting/2-1) + 1},
		{"not.hcl", podWith(strings.Repeat("!", 500000) + "true"), "Expression too long", 2, 14 + MaxOperators - 1}, // "=" counts too
		{"minus.hcl", podWith(strings.Repeat("- ", 200000) + "1"), "Expression too long", 2, 14 + 2*(MaxOperators-1)},
		{"plus.hcl", podWith(strings.Repeat("1+", 300000) + "1"), "Expression too long", 2, 14 + 2*MaxOperators - 1},
		{"ternary.hcl", podWith(strings.Repeat("true?1:", 100000) + "1"), "Expression too long", 2, 14 + 7*(MaxOperators/2-1) + 6},
		{"index.hcl", podWith("x" + strings.Repeat("[0]", 100000)), "Expression too long", 2, 14 + 1 + 3*(MaxOperators-1)},
		{"directives.hcl", podWith(`"` + strings.Repeat("%{if true}", 100000) + `"`), "Expression too long", 2, 15 + 10*MaxOperators},
		{"deep.json", strings.Repeat("[", 500000), "Nested too deeply", 1, MaxNesting + 1},
		{"deep-object.json", strings.Repeat(`{"a":`, 100000), "Nested too deeply", 1, 5*MaxNesting + 1},
		{"nul.hcl", "pod \"p\" {\n  hostname = \"a\x00b\"\n}\n", "Not a text file", 2, 16},
		{"latin1.hcl", "# caf\xe9\npod \"p\" {}\n", "Not a text file", 1, 6},
		{"utf16.json", "\xff\xfe{\x00}\x00", "Not a text file", 1, 1},
		{"huge.hcl", strings.Repeat("# comment\n", MaxSourceSize/10+1), "Pod file too large", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, diags := loadFile(t, tt.name, tt.src)
			if len(diags) != 1 || diags[0].Summary != tt.summary || diags[0].Subject == nil {
				t.Fatalf("diagnostics %v, want one %q", diags, tt.summary)
			}
			if s := diags[0].Subject.Start; s.Line != tt.line || s.Column != tt.column {
				t.Errorf("at %d:%d, want %d:%d (%s)", s.Line, s.Column, tt.line, tt.column, diags[0].Detail)
			}
			var out bytes.Buffer
			if err := l.WriteDiagnostics(&out, diags, false); err != nil {
				t.Fatal(err)
			}
			if head, _, _ := strings.Cut(out.String(), "\n"); !strings.Contains(head, fmt.Sprintf(":%d:%d: error: %s", tt.line, tt.column, tt.summary)) {
				t.Errorf("heading %q", head)
			}
			t.Logf("%s", diags[0].Detail)
		})
	}
}

// TestNestingInText: brackets and operators inside strings, heredocs
// and comments are text, and a pod file nested up to the limit loads.
func TestNestingInText(t *testing.T) {
	many := strings.Repeat("((([[[{{{!!!---+++", 100)
	src := "# " + many + "\n/* " + many + " */\n" + `pod "p" {` + "\n" +
		"  hostname = " + strings.Repeat("(", MaxNesting-2) + `"h"` + strings.Repeat(")", MaxNesting-2) + "\n" +
		`  container "c" {` + "\n" +
		`    image   = "busybox"` + "\n" +
		`    command = ["sh", "-c", "echo '` + many + `' $${x} %%{y} \"${upper("a(")}\""]` + "\n" +
		`    env     = { A = <<-EOT` + "\n" + many + "\n  ${lower(\"B\")}\n" + `    EOT` + "\n    }\n" +
		"  }\n}\n"
	_, diags := loadFile(t, "text.hcl", src)
	if diags.HasErrors() {
		t.Fatalf("rejected: %s", diags.Error())
	}
}

func TestMaxDiagnostics(t *testing.T) {
	var b strings.Builder
	b.WriteString("pod \"p\" {\n  container \"c\" {\n    image = \"busybox\"\n")
	for i := range MaxDiagnostics + 5 {
		fmt.Fprintf(&b, "    unknown%d = 1\n", i)
	}
	b.WriteString("  }\n}\n")
	l, diags := loadFile(t, "many.hcl", b.String())
	if len(diags) != MaxDiagnostics+5 {
		t.Fatalf("%d diagnostics, want %d", len(diags), MaxDiagnostics+5)
	}
	var out bytes.Buffer
	if err := l.WriteDiagnostics(&out, diags, false); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), ": error: "); got != MaxDiagnostics {
		t.Errorf("printed %d diagnostics, want %d", got, MaxDiagnostics)
	}
	if !strings.HasSuffix(out.String(), "\n… and 5 more errors\n") {
		t.Errorf("output ends %q", out.String()[max(0, out.Len()-80):])
	}
	if got := moreDiagnostics(hcl.Diagnostics{{Severity: hcl.DiagError}, {Severity: hcl.DiagWarning}}); got != "… and 1 more error and 1 more warning\n" {
		t.Errorf("moreDiagnostics = %q", got)
	}
}

// TestSnippetOnly: a diagnostic at the end of a large file, or on a long
// line, prints as HCL's writer prints it from the whole file, but for
// the long line's ends.
func TestSnippetOnly(t *testing.T) {
	pad := strings.Repeat("# padding\n", snippetAbove/10)
	for _, tt := range []struct{ name, src, want string }{
		{"large.hcl", pad + podWith(`"not a hostname"`), ""},
		{"long.json", `{"id": "p", "dns": ["1.1.1.1"` + strings.Repeat(`, "1.1.1.1"`, 200) + `, "dns.example"], "containers": [{"name": "c", "image": "busybox"}]}`, "…"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, diags := loadFile(t, tt.name, tt.src)
			if len(diags) != 1 {
				t.Fatalf("diagnostics: %v", diags)
			}
			var got, whole bytes.Buffer
			if err := l.WriteDiagnostics(&got, diags, false); err != nil {
				t.Fatal(err)
			}
			files := map[string]*hcl.File{}
			for k, v := range l.parser.Files() {
				files[k] = v
			}
			for k, v := range l.json {
				files[k] = v
			}
			if err := hcl.NewDiagnosticTextWriter(&whole, files, 0, false).WriteDiagnostic(diags[0]); err != nil {
				t.Fatal(err)
			}
			_, gotBody, _ := strings.Cut(got.String(), "\n")
			_, wholeBody, _ := strings.Cut(whole.String(), "\n")
			if tt.want == "" && gotBody != wholeBody {
				t.Errorf("cut down:\n%s\nwhole:\n%s", gotBody, wholeBody)
			}
			if tt.want != "" {
				for _, line := range strings.Split(gotBody, "\n") {
					if len(line) > 2*snippetWidth+40 {
						t.Errorf("a %d-byte line: %s", len(line), line)
					}
				}
				if !strings.Contains(gotBody, `"dns.example"]`) || !strings.Contains(gotBody, tt.want) {
					t.Errorf("snippet lacks the range or the %q marks:\n%s", tt.want, gotBody)
				}
			}
		})
	}
}

func TestVarFileLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pod := "variable \"h\" {\n  default = \"h\"\n  type = any\n}\n" + podWith("var.h")
	tests := []struct {
		name    string
		opt     Option
		summary string
	}{
		{"binary var-file", WithVarFiles(write("bin.hclvars", "h = \"\x00\"\n")), "Not a text file"},
		{"deep var-file", WithVarFiles(write("deep.hclvars", "h = "+strings.Repeat("[", 1000)+"\n")), "Nested too deeply"},
		{"huge var-file", WithVarFiles(write("huge.hclvars", strings.Repeat("#\n", MaxSourceSize))), "Pod file too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := loadFile(t, "pod.hcl", pod, tt.opt)
			if !diags.HasErrors() {
				t.Fatal("accepted")
			}
			if d := diags[0]; d.Summary != tt.summary {
				t.Errorf("%s: %s, want %q", d.Summary, d.Detail, tt.summary)
			}
		})
	}
	// A typed variable parses its -var text: the nesting check comes first.
	typed := "variable \"n\" {\n  type = number\n}\n" + podWith(`"h${var.n}"`)
	_, diags := loadFile(t, "typed.hcl", typed, WithVars(map[string]string{"n": strings.Repeat("(", 100000)}))
	if !diags.HasErrors() || !strings.Contains(diags[0].Detail, "nested too deeply") {
		t.Errorf("deep -var for a number: %v", diags)
	}
}

func TestFileFuncLimits(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"a.txt": strings.Repeat("a", 600), "b.txt": strings.Repeat("b", 600), "nul.txt": "a\x00b"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := fileFuncBudget
	fileFuncBudget = 1000
	t.Cleanup(func() { fileFuncBudget = old })
	load := func(expr string) hcl.Diagnostics {
		src := "pod \"p\" {\n  container \"c\" {\n    image = \"busybox\"\n  }\n  file \"/f\" {\n    content = " + expr + "\n  }\n}\n"
		path := filepath.Join(dir, "pod.hcl")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, diags := NewLoader().Load(path)
		return diags
	}
	// The same file twice is read once.
	if diags := load(`"${file("a.txt")}${file("a.txt")}"`); diags.HasErrors() {
		t.Errorf("a.txt twice: %s", diags.Error())
	}
	for expr, want := range map[string]string{
		`"${file("a.txt")}${file("b.txt")}"`:             "reads at most",
		`file("nul.txt")`:                                "not a text file",
		`jsondecode("` + strings.Repeat("[", 100) + `")`: "nested too deeply",
	} {
		if diags := load(expr); !diags.HasErrors() || !strings.Contains(diags.Error(), want) {
			t.Errorf("%.40s: %v, want an error with %q", expr, diags, want)
		}
	}
}

func TestCheckNesting(t *testing.T) {
	for _, tt := range []struct {
		src  string
		json bool
		want error
	}{
		{strings.Repeat("(", MaxNesting) + strings.Repeat(")", MaxNesting), false, nil},
		{strings.Repeat("(", MaxNesting+1), false, ErrTooDeep},
		{strings.Repeat("[", MaxNesting+1), true, ErrTooDeep},
		{`"` + strings.Repeat("[", MaxNesting+1) + `"`, true, nil},
		{`"\"` + strings.Repeat("[", MaxNesting+1) + `"`, true, nil},
		{"x = " + strings.Repeat("!", MaxOperators) + "y", false, ErrTooLong},
		{"x = <<EOT\n" + strings.Repeat("(", MaxNesting+1) + "\nEOT\n", false, nil},
		{"x = <<EOT\n${" + strings.Repeat("(", MaxNesting) + "\nEOT\n", false, ErrTooDeep},
		{"x = \"$${" + strings.Repeat("(", MaxNesting+1) + "\"", false, nil},
		{"a-b-c = 1\n" + strings.Repeat("x = 1 + 1\n", 1000), false, nil},
	} {
		err := CheckNesting("f", []byte(tt.src), tt.json)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("CheckNesting(%.30q, json=%v) = %v, want %v", tt.src, tt.json, err, tt.want)
		}
	}
}
