package sbom

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Format is an SBOM format.
type Format string

// The formats Write knows.
const (
	SPDX      Format = "spdx"      // SPDX 2.3 JSON
	CycloneDX Format = "cyclonedx" // CycloneDX 1.5 JSON
)

// Formats lists the formats, the default first.
var Formats = []Format{SPDX, CycloneDX}

// ParseFormat reads a format's name: spdx (or spdx-json), cyclonedx (or
// cyclonedx-json).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "spdx", "spdx-json":
		return SPDX, nil
	case "cyclonedx", "cyclonedx-json":
		return CycloneDX, nil
	}
	return "", fmt.Errorf("unknown SBOM format %q: want spdx or cyclonedx", s)
}

// Document is what an SBOM says about one pod.
type Document struct {
	// Pod is the pod's name.
	Pod string
	// Created is the build's time (SOURCE_DATE_EPOCH).
	Created time.Time
	// ToolVersion is hyperbuild's version.
	ToolVersion string
	// Images are the pod's distinct images, in the order of the
	// containers that first use them.
	Images []Image
}

// Image is one image of the pod and what it holds.
type Image struct {
	// Ref is the reference the pod file gives; Name a short name
	// (busybox, the layout's directory); Repository the registry
	// repository (index.docker.io/library/busybox), empty for a local
	// image; Digest the manifest's digest, which pins it.
	Ref, Name, Repository, Digest string
	// Containers are the pod's containers that run it.
	Containers []string
	Inventory  Inventory
}

// Write renders d in format f.
func (d *Document) Write(w io.Writer, f Format) error {
	var v any
	switch f {
	case SPDX:
		v = d.spdx()
	case CycloneDX:
		v = d.cycloneDX()
	default:
		return fmt.Errorf("writing the SBOM: unknown format %q", f)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing the SBOM: %w", err)
	}
	return nil
}

// digest is a hash of everything the document says, from which the SPDX
// namespace and the CycloneDX serial number are made: the same build gives
// the same document, another build another identifier.
func (d *Document) digest(f Format) [sha256.Size]byte {
	b, _ := json.Marshal(struct {
		F Format
		D *Document
	}{f, d}) // plain structs of strings: Marshal cannot fail
	return sha256.Sum256(b)
}

// uuid formats a content hash as a version 8 (custom) RFC 9562 UUID.
func uuid(h [sha256.Size]byte) string {
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// timestamp is the form both formats want: 2023-11-14T22:13:20Z.
func (d *Document) timestamp() string {
	return d.Created.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// hexDigest is the hex part of "sha256:HEX", or "" for another algorithm.
func hexDigest(digest string) string {
	h, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(h) != 64 {
		return ""
	}
	return h
}
