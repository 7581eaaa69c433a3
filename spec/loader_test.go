package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSniff checks that a file with neither .hcl nor .json is read by
// the front end its content calls for.
func TestSniff(t *testing.T) {
	tests := []struct{ name, content string }{
		{"pod", "pod \"p\" {\n  container \"c\" { image = \"busybox\" }\n}\n"},
		{"pod.conf", "\n  {\"id\": \"p\", \"containers\": [{\"name\": \"c\", \"image\": \"busybox\"}]}"},
	}
	for _, tt := range tests {
		pod, diags := NewLoader().Load(writeFile(t, tt.name, tt.content))
		if diags.HasErrors() {
			t.Errorf("%s: %s", tt.name, diags.Error())
			continue
		}
		if pod.Name != "p" || len(pod.Containers) != 1 {
			t.Errorf("%s: got pod %q with %d containers", tt.name, pod.Name, len(pod.Containers))
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	pod, diags := NewLoader().Load(filepath.Join(t.TempDir(), "nope.hcl"))
	if pod != nil || !diags.HasErrors() || !strings.Contains(diags.Error(), "nope.hcl") {
		t.Fatalf("Load(missing) = %v, %v", pod, diags)
	}
}

// TestArgvNilVersusEmpty: absent keeps the image's, [] clears it, and
// null means absent; both front ends agree.
func TestArgvNilVersusEmpty(t *testing.T) {
	hclPod, diags := NewLoader().Load(writeFile(t, "p.hcl", `pod "p" {
  container "a" { image = "busybox" }
  container "b" {
    image = "busybox"
    entrypoint = []
    command = null
  }
}`))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	jsonPod, diags := NewLoader().Load(writeFile(t, "p.json", `{"id": "p", "containers": [
  {"name": "a", "image": "busybox"},
  {"name": "b", "image": "busybox", "entrypoint": [], "command": null}]}`))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, pod := range [2]string{"hcl", "json"} {
		p := hclPod
		if pod == "json" {
			p = jsonPod
		}
		a, b := p.Containers[0], p.Containers[1]
		if a.Entrypoint != nil || a.Command != nil {
			t.Errorf("%s: absent entrypoint/command = %#v, %#v; want nil", pod, a.Entrypoint, a.Command)
		}
		if b.Entrypoint == nil || len(b.Entrypoint) != 0 {
			t.Errorf("%s: entrypoint = [] gave %#v; want an empty, non-nil slice", pod, b.Entrypoint)
		}
		if b.Command != nil {
			t.Errorf("%s: command = null gave %#v; want nil", pod, b.Command)
		}
	}
}

// TestPodfilePositions checks line and column of a podfile diagnostic
// after multi-byte characters and on a later line.
func TestPodfilePositions(t *testing.T) {
	src := "{\"id\": \"p\", \"hostname\": \"h\",\n \"x\": \"ééé\", \"containers\": [], \"bad\": 1}"
	_, diags := NewLoader().Load(writeFile(t, "p.json", src))
	var got []hcl.Pos
	for _, d := range diags {
		if d.Subject != nil && d.Summary == "Unknown podfile field" {
			got = append(got, d.Subject.Start)
		}
	}
	// "x" starts at line 2, column 2; "bad" at column 32, its byte
	// offset 3 more for the three 2-byte é before it.
	want := []hcl.Pos{
		{Line: 2, Column: 2, Byte: strings.Index(src, `"x"`)},
		{Line: 2, Column: 32, Byte: strings.Index(src, `"bad"`)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d unknown-field diagnostics, want %d: %s", len(got), len(want), diags.Error())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("diagnostic %d at %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestPodfileRejectsVars(t *testing.T) {
	l := NewLoader(WithVars(map[string]string{"a": "b"}))
	if _, diags := l.Load(writeFile(t, "p.json", `{"id": "p"}`)); !diags.HasErrors() || !strings.Contains(diags.Error(), "no variables") {
		t.Fatalf("diags = %v", diags)
	}
}

// TestVarPrecedence: -var beats -var-file, later var files beat earlier
// ones, and a var file beats the default.
func TestVarPrecedence(t *testing.T) {
	pod := writeFile(t, "p.hcl", `variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
pod "p" {
  container "c" {
    image = "busybox"
    env = { A = var.a, B = var.b, C = var.c }
  }
}`)
	f1 := writeFile(t, "1.hclvars", "a = \"file1\"\nb = \"file1\"\n")
	f2 := writeFile(t, "2.hclvars", "b = \"file2\"\n")
	l := NewLoader(WithVarFiles(f1), WithVarFiles(f2), WithVars(map[string]string{"a": "flag"}))
	p, diags := l.Load(pod)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := map[string]string{"A": "flag", "B": "file2", "C": "default"}
	for k, v := range want {
		if got := p.Containers[0].Env[k]; got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestWriteDiagnosticsColor(t *testing.T) {
	l := NewLoader()
	_, diags := l.Load(writeFile(t, "p.hcl", `pod "p" { cpus = 0 }`))
	var plain, color bytes.Buffer
	if err := l.WriteDiagnostics(&plain, diags, false); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteDiagnostics(&color, diags, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(color.String(), "\x1b[") {
		t.Errorf("plain has escapes or color lacks them:\n%q\n%q", plain.String(), color.String())
	}
	if !strings.Contains(plain.String(), `pod "p" { cpus = 0 }`) {
		t.Errorf("no source snippet in:\n%s", plain.String())
	}
}
