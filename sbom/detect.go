package sbom

import (
	"encoding/json"
	"io"
	"os"
)

// IsDocument reports whether the file at path looks like an SBOM that a
// build may replace: a JSON object whose first key is SPDX's spdxVersion
// or CycloneDX's bomFormat, as Write puts them.
func IsDocument(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, 64<<10))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	t, err := dec.Token()
	return err == nil && (t == "spdxVersion" || t == "bomFormat")
}
