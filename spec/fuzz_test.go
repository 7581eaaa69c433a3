package spec

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// addSeeds adds every good and bad testdata file with extension ext.
func addSeeds(f *testing.F, ext string) {
	for _, dir := range []string{"good", "bad", "bad-vars"} {
		files, err := filepath.Glob(filepath.Join(specData, dir, "*"+ext))
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// fuzzLoad loads src as if it were a file in testdata/spec/good (so
// that file("index.html") finds something) and checks the invariants:
// a pod or errors, never both; a pod that marshals and validates;
// diagnostics whose ranges lie inside the source and that print.
func fuzzLoad(t *testing.T, name string, src []byte) {
	l := NewLoader()
	path := filepath.Join(specData, "good", name)
	pod, diags := l.load(path, src)
	if (pod == nil) != diags.HasErrors() {
		t.Fatalf("pod %v with diagnostics %v", pod != nil, diags)
	}
	if pod != nil {
		if err := pod.Validate(); err != nil {
			t.Fatalf("accepted an invalid pod: %v", err)
		}
		if _, err := json.Marshal(pod); err != nil {
			t.Fatalf("marshalling: %v", err)
		}
	}
	for _, d := range diags {
		for _, r := range []*hcl.Range{d.Subject, d.Context} {
			if r == nil || r.Filename != path {
				continue
			}
			if r.Start.Byte < 0 || r.Start.Byte > r.End.Byte || r.End.Byte > len(src) || r.Start.Line < 1 || r.Start.Column < 1 {
				t.Fatalf("diagnostic %q has range %#v outside the %d-byte source", d.Summary, r, len(src))
			}
		}
	}
	if err := l.WriteDiagnostics(io.Discard, diags, true); err != nil {
		t.Fatal(err)
	}
}

// FuzzHCL feeds the HCL front end arbitrary files: it must not panic.
func FuzzHCL(f *testing.F) {
	addSeeds(f, ".hcl")
	f.Fuzz(func(t *testing.T, src []byte) { fuzzLoad(t, "fuzz.hcl", src) })
}

// FuzzPodfile feeds the podfile front end arbitrary files: it must not
// panic, and its hand-computed positions must stay inside the source.
func FuzzPodfile(f *testing.F) {
	addSeeds(f, ".json")
	f.Fuzz(func(t *testing.T, src []byte) { fuzzLoad(t, "fuzz.json", src) })
}
