package spec

import (
	"path/filepath"
	"testing"
)

// BenchmarkLoad measures a full load (parse, evaluate, check, resolve)
// of the largest good files of each format.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"full.hcl", "podfile-full.json"} {
		path := filepath.Join(specData, "good", name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, diags := NewLoader().Load(path); diags.HasErrors() {
					b.Fatal(diags.Error())
				}
			}
		})
	}
}
