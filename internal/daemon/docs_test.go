package daemon

import (
	"os"
	"strings"
	"testing"
)

// Every endpoint has its section in docs/api.md and its path in
// docs/openapi.yaml, and neither documents one that does not exist.
func TestAPIDocumented(t *testing.T) {
	md, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, rt := range routes {
		h := "## " + rt.method + " /v1" + rt.path
		want[h] = true
		if !strings.Contains(string(md), h+"\n") {
			t.Errorf("docs/api.md has no section %q", h)
		}
		if !strings.Contains(string(spec), "\n  "+rt.path+":\n") {
			t.Errorf("docs/openapi.yaml has no path %s", rt.path)
		}
		if !strings.Contains(string(spec), "\n    "+strings.ToLower(rt.method)+":\n") {
			t.Errorf("docs/openapi.yaml has no %s", rt.method)
		}
	}
	for _, l := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(l, "## ") && strings.Contains(l, " /v1") && !want[l] {
			t.Errorf("docs/api.md documents %q, which hyperd does not serve", l)
		}
	}
}
