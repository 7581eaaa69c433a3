package artifact

import (
	"bytes"
	"strconv"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// FuzzManifest feeds hostile manifests to what a pull decides from one:
// the kind check and the disk layer's bounds. Nothing may panic, and a
// disk that passes is within the limits.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.hyper.artifact.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.hyper.disk.raw.v1+zstd","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":5,"annotations":{"org.hyper.disk.sha256":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","org.hyper.disk.size":"1048576"}}]}`))
	f.Add([]byte(`{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json"},"layers":[]}`))
	f.Add([]byte(`{"artifactType":"application/vnd.hyper.kernel.v1","layers":[{"mediaType":"application/vnd.hyper.disk.raw.v1+zstd","annotations":{"org.hyper.disk.size":"-1"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := v1.ParseManifest(bytes.NewReader(b))
		if err != nil {
			return
		}
		_ = checkKind("fuzz", m, KernelArtifactType)
		p, err := podParts("fuzz", m)
		if err != nil {
			return
		}
		if p.size <= 0 || p.size > maxDisk || p.desc.Size <= 0 || p.desc.Size > maxDisk || p.sum.Algorithm != "sha256" {
			t.Fatalf("accepted disk %+v", p)
		}
		if _, err := strconv.ParseInt(p.desc.Annotations[AnnotationDiskSize], 10, 64); err != nil {
			t.Fatalf("accepted size %q", p.desc.Annotations[AnnotationDiskSize])
		}
	})
}
