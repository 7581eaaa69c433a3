package sbom

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden SBOMs in testdata")

// alpineDocument is a pod of two containers running one Alpine image.
func alpineDocument(t testing.TB) *Document {
	t.Helper()
	inv, err := Scan(bytes.NewReader(alpineRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	return &Document{
		Pod:         "web",
		Created:     time.Unix(1700000000, 0),
		ToolVersion: "v0.1.0",
		Images: []Image{{
			Ref:        "alpine:3.20",
			Name:       "alpine",
			Repository: "index.docker.io/library/alpine",
			Digest:     "sha256:" + strings.Repeat("ab", 32),
			Containers: []string{"server", "sidecar"},
			Inventory:  *inv,
		}},
	}
}

func TestWriteGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var b bytes.Buffer
			if err := alpineDocument(t).Write(&b, f); err != nil {
				t.Fatal(err)
			}
			golden := "testdata/alpine." + string(f) + ".json"
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from what Write gives (go test ./sbom -run Golden -update to see how):\n%s", golden, b.String())
			}
		})
	}
}

var spdxID = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)

// checkSPDX checks what the SPDX 2.3 schema and spec require of the parts
// Write uses: identifiers well formed and unique, every relationship
// between elements that exist, the required package fields present.
func checkSPDX(t testing.TB, b []byte) *spdxDocument {
	t.Helper()
	var doc spdxDocument
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not our SPDX JSON: %v", err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.SPDXID != "SPDXRef-DOCUMENT" ||
		!strings.HasPrefix(doc.DocumentNamespace, spdxNamespaceBase) || strings.ContainsAny(doc.DocumentNamespace, "# ") {
		t.Errorf("document header: %+v", doc)
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", doc.CreationInfo.Created); err != nil {
		t.Errorf("created %q: %v", doc.CreationInfo.Created, err)
	}
	ids := map[string]bool{doc.SPDXID: true}
	for _, p := range doc.Packages {
		if !spdxID.MatchString(p.SPDXID) || ids[p.SPDXID] {
			t.Errorf("package id %q: malformed or repeated", p.SPDXID)
		}
		ids[p.SPDXID] = true
		if p.Name == "" || p.DownloadLocation == "" || p.LicenseConcluded == "" || p.LicenseDeclared == "" || p.CopyrightText == "" {
			t.Errorf("package %s lacks a required field: %+v", p.SPDXID, p)
		}
		if p.Supplier != "" && p.Supplier != noAssertion && !strings.HasPrefix(p.Supplier, "Person: ") {
			t.Errorf("package %s: supplier %q", p.SPDXID, p.Supplier)
		}
		for _, r := range p.ExternalRefs {
			if r.ReferenceType == "purl" && !strings.HasPrefix(r.ReferenceLocator, "pkg:") || strings.ContainsAny(r.ReferenceLocator, " \n") {
				t.Errorf("package %s: external ref %+v", p.SPDXID, r)
			}
		}
	}
	for _, r := range doc.Relationships {
		if !ids[r.SPDXElementID] || !ids[r.RelatedSPDXElement] {
			t.Errorf("relationship %+v names an element that does not exist", r)
		}
	}
	return &doc
}

func TestWriteSPDX(t *testing.T) {
	d := alpineDocument(t)
	var a, b bytes.Buffer
	if err := d.Write(&a, SPDX); err != nil {
		t.Fatal(err)
	}
	doc := checkSPDX(t, a.Bytes())
	// pod, image, os, 5 packages; the pod describes, contains the image,
	// which contains the rest.
	if len(doc.Packages) != 8 || len(doc.Relationships) != 8 {
		t.Errorf("%d packages, %d relationships", len(doc.Packages), len(doc.Relationships))
	}
	if got := doc.Packages[0].Comment; !strings.Contains(got, "hyper pod") {
		t.Errorf("first package is not the pod: %+v", doc.Packages[0])
	}

	// The same document gives the same bytes; another one another namespace.
	if err := d.Write(&b, SPDX); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes of one document differ")
	}
	d.Images[0].Inventory.Packages = d.Images[0].Inventory.Packages[1:]
	b.Reset()
	if err := d.Write(&b, SPDX); err != nil {
		t.Fatal(err)
	}
	if other := checkSPDX(t, b.Bytes()); other.DocumentNamespace == doc.DocumentNamespace {
		t.Error("two different documents share a namespace")
	}
}

func TestWriteCycloneDX(t *testing.T) {
	var b bytes.Buffer
	if err := alpineDocument(t).Write(&b, CycloneDX); err != nil {
		t.Fatal(err)
	}
	var bom cdxBOM
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(bom.SerialNumber) {
		t.Errorf("serial number %q", bom.SerialNumber)
	}
	refs := map[string]bool{bom.Metadata.Component.BOMRef: true}
	var walk func([]cdxComponent)
	walk = func(cs []cdxComponent) {
		for _, c := range cs {
			if c.BOMRef == "" || refs[c.BOMRef] {
				t.Errorf("bom-ref %q: empty or repeated", c.BOMRef)
			}
			refs[c.BOMRef] = true
			walk(c.Components)
		}
	}
	walk(bom.Components)
	if len(refs) != 8 {
		t.Errorf("%d components, want pod, image, os and 5 packages", len(refs))
	}
	for _, d := range bom.Dependencies {
		for _, r := range append([]string{d.Ref}, d.DependsOn...) {
			if !refs[r] {
				t.Errorf("dependency on %q, which is no component", r)
			}
		}
	}
	lic := bom.Components[0].Components[2].Licenses // ca-certificates-bundle
	if len(lic) != 1 || lic[0].Expression != "MPL-2.0 AND MIT" {
		t.Errorf("licenses = %+v", lic)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"spdx": SPDX, "SPDX-JSON": SPDX, "cyclonedx": CycloneDX, "cyclonedx-json": CycloneDX} {
		if got, err := ParseFormat(in); got != want || err != nil {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("swid"); err == nil || !strings.Contains(err.Error(), "want spdx or cyclonedx") {
		t.Errorf("ParseFormat(swid): %v", err)
	}
}

func TestPurl(t *testing.T) {
	os := OS{ID: "debian", VersionID: "12"}
	tests := []struct {
		p    Package
		want string
	}{
		{Package{Type: TypeDeb, Name: "libc6", Version: "2.36-9+deb12u4", Arch: "amd64", Source: "glibc"},
			"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"},
		{Package{Type: TypeDeb, Name: "redis-server", Version: "5:7.0.15-1~deb12u7", Arch: "amd64", Source: "redis", SourceVersion: "5:7.0.15-1"},
			"pkg:deb/debian/redis-server@5%3A7.0.15-1~deb12u7?arch=amd64&distro=debian-12&upstream=redis%405%3A7.0.15-1"},
		{Package{Type: TypeDeb, Name: "a b/c", Version: "1"}, "pkg:deb/debian/a%20b%2Fc@1?distro=debian-12"},
	}
	for _, tt := range tests {
		if got := packageURL(tt.p, os); got != tt.want {
			t.Errorf("packageURL(%s) = %s, want %s", tt.p.Name, got, tt.want)
		}
	}
	if got, want := packageURL(Package{Type: TypeApk, Name: "musl", Version: "1.2.5-r0"}, OS{}), "pkg:apk/alpine/musl@1.2.5-r0"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	img := Image{Name: "Busybox", Repository: "index.docker.io/library/busybox", Digest: "sha256:00"}
	if got, want := imageURL(img), "pkg:oci/busybox@sha256%3A00?repository_url=index.docker.io/library/busybox"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestLicenseExpression(t *testing.T) {
	for s, want := range map[string]bool{
		"MIT": true, "MPL-2.0 AND MIT": true, "(MIT OR Apache-2.0) AND BSD-3-Clause": true,
		"GPL-2.0-or-later WITH Classpath-exception-2.0": true, "LicenseRef-custom": true,
		"": false, "MIT and GPL": false, "(MIT": false, "MIT)": false, "AND": false, "MIT AND": false,
		"GPL-2.0 with exceptions": false, "public domain": false, "() MIT": false,
	} {
		if got := isLicenseExpression(s); got != want {
			t.Errorf("isLicenseExpression(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsDocument(t *testing.T) {
	dir := t.TempDir()
	for name, tt := range map[string]struct {
		data string
		want bool
	}{
		"spdx":  {readFile(t, "testdata/alpine.spdx.json"), true},
		"cdx":   {readFile(t, "testdata/alpine.cyclonedx.json"), true},
		"json":  {`{"name": "x", "spdxVersion": "SPDX-2.3"}`, false},
		"array": {`["spdxVersion"]`, false},
		"text":  {"spdxVersion", false},
	} {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(tt.data), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := IsDocument(p); got != tt.want {
			t.Errorf("IsDocument(%s) = %v, want %v", name, got, tt.want)
		}
	}
	if IsDocument(dir + "/missing") {
		t.Error("a missing file is a document")
	}
}
