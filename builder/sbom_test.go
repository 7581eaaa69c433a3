package builder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/sbom"
)

// alpineLayout is busybox with an Alpine package database on top (the
// sbom package's synthetic one, or db), as an OCI layout; it returns the
// layout's oci: reference.
func alpineLayout(t *testing.T, db string) string {
	t.Helper()
	base, err := testimage.Busybox()
	if err != nil {
		t.Skipf("busybox image: %v", err)
	}
	if db == "" {
		b, err := os.ReadFile("../sbom/testdata/apk-installed")
		if err != nil {
			t.Fatal(err)
		}
		db = string(b)
	}
	osRelease, err := os.ReadFile("../sbom/testdata/alpine-os-release")
	if err != nil {
		t.Fatal(err)
	}
	l, err := testimage.Layer(
		testimage.Dir("lib/apk/db/", 0o755),
		testimage.File("lib/apk/db/installed", 0o644, db),
		testimage.Dir("usr/lib/", 0o755),
		testimage.File("usr/lib/os-release", 0o644, string(osRelease)),
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, l)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "alpine-oci")
	if err := testimage.WriteLayout(dir, img, "3.20"); err != nil {
		t.Fatal(err)
	}
	return "oci:" + dir + ":3.20"
}

// sbomPod writes a pod of three containers, two of image and one of
// other, and loads it.
func sbomPod(t *testing.T, image, other string) (pod string, dir string) {
	t.Helper()
	dir = t.TempDir()
	src := `variable "image" { default = "" }
pod "web" {
  container "server" {
    image   = "` + image + `"
    command = ["httpd", "-f"]
  }
  container "sidecar" {
    image   = "` + image + `"
    command = ["sleep", "1000"]
  }
  container "tools" {
    image   = "` + other + `"
    command = ["sh"]
  }
}
`
	pod = filepath.Join(dir, "web.hcl")
	if err := os.WriteFile(pod, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return pod, dir
}

type spdxDoc struct {
	DocumentNamespace string `json:"documentNamespace"`
	Packages          []struct {
		SPDXID, Name, VersionInfo, Comment string
		PrimaryPackagePurpose              string `json:"primaryPackagePurpose"`
	} `json:"packages"`
	Relationships []struct {
		From string `json:"spdxElementId"`
		Type string `json:"relationshipType"`
		To   string `json:"relatedSpdxElement"`
	} `json:"relationships"`
}

func TestBuildSBOM(t *testing.T) {
	podFile, _ := sbomPod(t, alpineLayout(t, ""), busyboxLayout(t))
	pod, dir := loadPod(t, podFile, "")
	out := filepath.Join(t.TempDir(), "web.img")
	bomPath := filepath.Join(t.TempDir(), "web.spdx.json")
	res, err := Build(context.Background(), pod, dir, out, append(buildOpts(t), WithSBOM(bomPath, sbom.SPDX))...)
	if err != nil {
		t.Fatal(err)
	}
	if res.SBOM != bomPath {
		t.Errorf("Result.SBOM = %q, want %q", res.SBOM, bomPath)
	}
	b, err := os.ReadFile(bomPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc spdxDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// The pod, the Alpine image with its os and 5 packages, busybox with
	// none: the image two containers share is listed once.
	var images, pkgs []string
	for _, p := range doc.Packages {
		switch {
		case p.PrimaryPackagePurpose == "CONTAINER":
			images = append(images, p.Name+" ("+p.Comment+")")
			if !strings.HasPrefix(p.VersionInfo, "sha256:") {
				t.Errorf("image %s: version %q is not its digest", p.Name, p.VersionInfo)
			}
		case strings.Contains(p.SPDXID, "-apk-"):
			pkgs = append(pkgs, p.Name+"@"+p.VersionInfo)
		}
	}
	if len(images) != 2 || !strings.Contains(images[0], "server, sidecar") || !strings.Contains(images[1], "tools") {
		t.Errorf("images = %q", images)
	}
	if got, want := strings.Join(pkgs, " "), "busybox@1.36.1-r29 ca-certificates-bundle@20240705-r0 musl@1.2.5-r0 ssl_client@1.36.1-r29 zlib@1.3.1-r1"; got != want {
		t.Errorf("packages = %s, want %s", got, want)
	}
	if fi, err := os.Stat(bomPath); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("sbom file: %v, %v", fi, err)
	}

	// The same build writes the same SBOM, which it may replace; and the
	// CycloneDX one.
	pod, dir = loadPod(t, podFile, "")
	if _, err := Build(context.Background(), pod, dir, out, append(buildOpts(t), WithSBOM(bomPath, sbom.SPDX))...); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(bomPath)
	if !bytes.Equal(b, again) {
		t.Error("a rebuild wrote another SBOM")
	}
	cdxPath := filepath.Join(t.TempDir(), "web.cdx.json")
	pod, dir = loadPod(t, podFile, "")
	if _, err := Build(context.Background(), pod, dir, out, append(buildOpts(t), WithSBOM(cdxPath, sbom.CycloneDX))...); err != nil {
		t.Fatal(err)
	}
	if c, _ := os.ReadFile(cdxPath); !bytes.Contains(c, []byte(`"bomFormat": "CycloneDX"`)) || !bytes.Contains(c, []byte(`"purl": "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3"`)) {
		t.Errorf("CycloneDX SBOM:\n%s", c)
	}
}

// A database that does not parse fails the build: no artifact, no SBOM,
// no work directory left.
func TestBuildSBOMBadDatabase(t *testing.T) {
	podFile, _ := sbomPod(t, alpineLayout(t, "P:musl\nV:1.2.5-r0\nP:again\n"), busyboxLayout(t))
	pod, dir := loadPod(t, podFile, "")
	outDir := t.TempDir()
	_, err := Build(context.Background(), pod, dir, filepath.Join(outDir, "web.img"), append(buildOpts(t), WithSBOM(filepath.Join(outDir, "web.spdx.json"), sbom.SPDX))...)
	if !errors.Is(err, sbom.ErrMalformed) || !strings.Contains(err.Error(), `container "server"`) || !strings.Contains(err.Error(), "/lib/apk/db/installed:3") {
		t.Fatalf("err = %v, want ErrMalformed naming the container and the line", err)
	}
	ents, _ := os.ReadDir(outDir)
	for _, e := range ents {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestBuildSBOMRefused(t *testing.T) {
	image := busyboxLayout(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "hello.img")
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, why string
	}{
		{"stdout", "-", "name a file"},
		{"the artifact", out, "is the artifact"},
		{"a directory", dir, "is a directory"},
		{"a file of the user's", other, "not an SBOM"},
		{"the pod file", filepath.Join("..", "examples", "hello.hcl"), "an input of this build"},
		{"no directory", filepath.Join(dir, "nope", "x.json"), "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, podDir := loadExample(t, "hello.hcl", image)
			opts := append(buildOpts(t), WithSBOM(tt.path, sbom.SPDX), WithInputs(Input{"the pod file", filepath.Join("..", "examples", "hello.hcl")}))
			_, err := Build(context.Background(), pod, podDir, out, opts...)
			if err == nil || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("err = %v, want one saying %q", err, tt.why)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("the artifact was written")
			}
			if b, _ := os.ReadFile(other); string(b) != "mine" {
				t.Error("the user's file was replaced")
			}
		})
	}
}

// TestBuildSBOMDebian builds the real bookworm image (nginx-light and
// redis) and finds its 113 packages in the SBOM.
func TestBuildSBOMDebian(t *testing.T) {
	ref := testimage.DebianLayout(t)
	podFile, _ := sbomPod(t, ref, ref)
	pod, dir := loadPod(t, podFile, "")
	outDir := t.TempDir()
	bomPath := filepath.Join(outDir, "deb.spdx.json")
	if _, err := Build(context.Background(), pod, dir, filepath.Join(outDir, "deb.img"), append(buildOpts(t), WithSBOM(bomPath, sbom.SPDX))...); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bomPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc spdxDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	n := 0
	for _, p := range doc.Packages {
		if strings.Contains(p.SPDXID, "-deb-") {
			found[p.Name] = p.VersionInfo
			n++
		}
	}
	if n != 113 || found["nginx-light"] == "" || found["redis-server"] == "" {
		t.Errorf("%d packages (want 113); nginx-light %q, redis-server %q", n, found["nginx-light"], found["redis-server"])
	}
	if !bytes.Contains(b, []byte(`"name": "debian",`)) || !bytes.Contains(b, []byte("pkg:deb/debian/nginx-light@")) {
		t.Error("no debian os package or purls")
	}
}
