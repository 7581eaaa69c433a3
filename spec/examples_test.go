package spec

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hyperbuild/hyper/contract"
)

// TestExamples loads every file in examples/: they are what a newcomer
// runs first, so none of them may be rejected.
func TestExamples(t *testing.T) {
	var files []string
	for _, pat := range []string{"*.hcl", "*.json"} {
		m, err := filepath.Glob(filepath.Join("..", "examples", pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 5 {
		t.Fatalf("found %d examples, want hello.hcl, pod.hcl, web.hcl, nginx.hcl, podfile.json at least", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			l := NewLoader()
			if _, diags := l.Load(path); diags.HasErrors() {
				t.Errorf("rejected: %s", diags.Error())
			}
		})
	}
}

// TestExampleImageVariable checks what the demo relies on: the examples
// that boot offline take -var image=oci:PATH.
func TestExampleImageVariable(t *testing.T) {
	for _, name := range []string{"hello.hcl", "pod.hcl", "web.hcl"} {
		l := NewLoader(WithVars(map[string]string{"image": "oci:/cache/busybox-oci:latest"}))
		pod, diags := l.Load(filepath.Join("..", "examples", name))
		if diags.HasErrors() {
			t.Fatalf("%s: %s", name, diags.Error())
		}
		for _, c := range pod.Containers {
			if got, want := c.Image, "oci:/cache/busybox-oci:latest"; got != want {
				t.Errorf("%s: container %s image = %q, want %q", name, c.Name, got, want)
			}
		}
	}
}

// TestPodfileMatchesHello checks the two front ends agree: Hyper's
// podfile.json example is hello.hcl in the other format.
func TestPodfileMatchesHello(t *testing.T) {
	load := func(name string) *contract.Pod {
		pod, diags := NewLoader().Load(filepath.Join("..", "examples", name))
		if diags.HasErrors() {
			t.Fatalf("%s: %s", name, diags.Error())
		}
		return pod
	}
	got, want := load("podfile.json"), load("hello.hcl")
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("podfile.json gives\n%s\nhello.hcl gives\n%s", g, w)
	}
}
