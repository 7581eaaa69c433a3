package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// Every bad pod file in testdata/spec/bad is rejected by validate and by
// a build with a located diagnostic and status 2, and a build leaves no
// output behind.
func TestBadFilesExit2(t *testing.T) {
	files, err := filepath.Glob("../../testdata/spec/bad/*")
	if err != nil {
		t.Fatal(err)
	}
	located := regexp.MustCompile(`(?m)^\S+:\d+:\d+: error: `)
	n := 0
	for _, f := range files {
		if ext := filepath.Ext(f); ext != ".hcl" && ext != ".json" {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run([]string{"validate", f}, nil, &stdout, &stderr); got != 2 {
				t.Errorf("validate: status %d, want 2\n%s", got, stderr.String())
			}
			if !located.Match(stderr.Bytes()) {
				t.Errorf("validate: no FILE:LINE:COL diagnostic:\n%s", stderr.String())
			}
			dir := t.TempDir()
			out := filepath.Join(dir, "out.img")
			stderr.Reset()
			if got := run([]string{f, "-o", out}, nil, &stdout, &stderr); got != 2 {
				t.Errorf("build: status %d, want 2\n%s", got, stderr.String())
			}
			if ents, _ := os.ReadDir(dir); len(ents) > 0 {
				t.Errorf("build left %s behind", ents[0].Name())
			}
		})
	}
	if n < 40 {
		t.Errorf("only %d bad files: the fixtures moved?", n)
	}
}
