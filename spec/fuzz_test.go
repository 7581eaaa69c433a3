package spec

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// addHostileSeeds adds what once crashed or stalled the loader, cut to a
// size the fuzzer mutates quickly: nesting and operator chains just past
// the limits, and binary data.
func addHostileSeeds(f *testing.F, json bool) {
	deep := strings.Repeat("(", MaxNesting+1)
	seeds := []string{
		"pod \"p\" {\n  hostname = " + deep + "\n}\n",
		"pod \"p\" {\n  cpus = " + strings.Repeat("!", MaxOperators+1) + "true\n}\n",
		"pod \"p\" {\n  cpus = " + strings.Repeat("1+", MaxOperators) + "1\n}\n",
		"pod \"p\" {\n  hostname = \"" + strings.Repeat("${\"", MaxNesting/2+1) + "\n}\n",
		"pod \"p\" {\n  hostname = <<EOT\n${" + deep + "}\nEOT\n}\n",
		"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00",
		"\xff\xfep\x00o\x00d\x00",
		"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
	}
	if json {
		seeds = append(seeds, strings.Repeat("[", MaxNesting+1), `{"id": "p", "containers": `+strings.Repeat(`[{"a":`, MaxNesting/2+1))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
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
	addHostileSeeds(f, false)
	f.Fuzz(func(t *testing.T, src []byte) { fuzzLoad(t, "fuzz.hcl", src) })
}

// FuzzPodfile feeds the podfile front end arbitrary files: it must not
// panic, and its hand-computed positions must stay inside the source.
func FuzzPodfile(f *testing.F) {
	addSeeds(f, ".json")
	addHostileSeeds(f, true)
	f.Fuzz(func(t *testing.T, src []byte) { fuzzLoad(t, "fuzz.json", src) })
}
