package imageref

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		in   string
		want Ref
		str  string
	}{
		{"busybox", Ref{Transport: Docker, Name: "index.docker.io/library/busybox:latest"}, "docker://index.docker.io/library/busybox:latest"},
		{"busybox:1.36", Ref{Transport: Docker, Name: "index.docker.io/library/busybox:1.36"}, "docker://index.docker.io/library/busybox:1.36"},
		{"docker://busybox:1.36", Ref{Transport: Docker, Name: "index.docker.io/library/busybox:1.36"}, "docker://index.docker.io/library/busybox:1.36"},
		{"docker.io/library/nginx:1.27", Ref{Transport: Docker, Name: "index.docker.io/library/nginx:1.27"}, "docker://index.docker.io/library/nginx:1.27"},
		{"localhost:5000/app:v1", Ref{Transport: Docker, Name: "localhost:5000/app:v1"}, "docker://localhost:5000/app:v1"},
		{"ghcr.io/org/app@" + digest, Ref{Transport: Docker, Name: "ghcr.io/org/app@" + digest}, "docker://ghcr.io/org/app@" + digest},
		{"docker:24-dind", Ref{Transport: Docker, Name: "index.docker.io/library/docker:24-dind"}, "docker://index.docker.io/library/docker:24-dind"},
		{"docker-daemon:busybox:1.36", Ref{Transport: DockerDaemon, Name: "index.docker.io/library/busybox:1.36"}, "docker-daemon:index.docker.io/library/busybox:1.36"},
		{"oci:./cache/busybox", Ref{Transport: OCI, Path: "./cache/busybox"}, "oci:./cache/busybox"},
		{"oci:/var/oci:latest", Ref{Transport: OCI, Path: "/var/oci", Tag: "latest"}, "oci:/var/oci:latest"},
		{"oci-archive:bb.tar:1.36", Ref{Transport: OCIArchive, Path: "bb.tar", Tag: "1.36"}, "oci-archive:bb.tar:1.36"},
		{"docker-archive:bb.tar", Ref{Transport: DockerArchive, Path: "bb.tar"}, "docker-archive:bb.tar"},
		{"docker-archive:bb.tar:busybox:1.36", Ref{Transport: DockerArchive, Path: "bb.tar", Tag: "busybox:1.36"}, "docker-archive:bb.tar:busybox:1.36"},
		{"docker-archive:bb.tar:@0", Ref{Transport: DockerArchive, Path: "bb.tar", Tag: "@0"}, "docker-archive:bb.tar:@0"},
		// A name:tag or host:port is not a transport, even when it is
		// close to one.
		{"registry:5000/x:tag", Ref{Transport: Docker, Name: "registry:5000/x:tag"}, "docker://registry:5000/x:tag"},
		{"localhost:5000/x", Ref{Transport: Docker, Name: "localhost:5000/x:latest"}, "docker://localhost:5000/x:latest"},
		{"dirt:1", Ref{Transport: Docker, Name: "index.docker.io/library/dirt:1"}, "docker://index.docker.io/library/dirt:1"},
		{"docker://dir:latest", Ref{Transport: Docker, Name: "index.docker.io/library/dir:latest"}, "docker://index.docker.io/library/dir:latest"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		tt.want.Original = tt.in
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, s, tt.str)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		is      error
		mention string // a piece of the message that tells the user what to do
	}{
		{"", ErrEmpty, "busybox:1.36"},
		{"  ", ErrEmpty, "busybox:1.36"},
		{" busybox", ErrBadReference, "space"},
		{"Busybox:1.36", ErrBadReference, "write e.g."},
		{"busybox:bad tag", ErrBadReference, "write e.g."},
		{"http://busybox", ErrUnknownTransport, "bare registry reference"},
		{"dokcer://busybox", ErrUnknownTransport, `did you mean "docker"`},
		{"oci-archiv:./bb.tar:x/y", ErrUnknownTransport, `did you mean "oci-archive"`},
		{"oci:", ErrBadReference, "oci:./busybox:latest"},
		{"oci::latest", ErrBadReference, "needs a path"},
		{"oci:./dir:", ErrBadReference, "empty tag"},
		{"oci-archive:", ErrBadReference, "FILE[:TAG]"},
		{"docker-archive:bb.tar:Not A Ref", ErrBadReference, "docker-archive:busybox.tar:busybox:1.36"},
		{"docker-daemon:", ErrBadReference, "docker-daemon:busybox:1.36"},
		{"docker://", ErrBadReference, "write e.g."},
		// skopeo's transports that hyper does not serve are refused by
		// name, never read as Docker Hub repositories.
		{"dir:/x", ErrUnsupportedTransport, `transport "dir:" is not supported; supported: docker://, oci:, oci-archive:, docker-archive:, docker-daemon:`},
		{"dir:x", ErrUnsupportedTransport, "write docker://dir:x"},
		{"dir://x", ErrUnsupportedTransport, `transport "dir:" is not supported`},
		{"containers-storage:busybox", ErrUnsupportedTransport, `"containers-storage:" is not supported`},
		{"containers-storage:docker.io/library/busybox:1.36", ErrUnsupportedTransport, `"containers-storage:"`},
		{"ostree:busybox@/ostree/repo", ErrUnsupportedTransport, `"ostree:"`},
		{"ostree:5000/x", ErrUnsupportedTransport, "write docker://ostree:5000/x"},
		{"sif:/images/app.sif", ErrUnsupportedTransport, `"sif:"`},
		{"tarball:/x.tar", ErrUnsupportedTransport, `"tarball:"`},
		{"atomic:registry/ns/app:1", ErrUnsupportedTransport, `"atomic:"`},
		// An unknown word followed by ":/" is no registry (a port is never
		// empty): it is taken for a transport hyper does not know.
		{"foo:/path", ErrUnknownTransport, `unknown transport "foo"`},
		{"docker:/busybox", ErrUnknownTransport, `did you mean "docker"`},
		{"oci-archiv:/x.tar", ErrUnknownTransport, `did you mean "oci-archive"`},
		{"docker://dir:/x", ErrBadReference, "empty port"},
		{"docker-daemon:foo:/x", ErrBadReference, "empty port"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if !errors.Is(err, tt.is) {
			t.Errorf("Parse(%q) error = %v, want %v", tt.in, err, tt.is)
			continue
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("Parse(%q) error = %q, want it to mention %q", tt.in, err, tt.mention)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct{ in, dir, want string }{
		{"oci:cache/bb:latest", "/pods", "oci:/pods/cache/bb:latest"},
		{"oci:../cache/bb", "/pods/x", "oci:/pods/cache/bb"},
		{"oci:/abs/bb", "/pods", "oci:/abs/bb"},
		{"docker-archive:bb.tar", "/pods", "docker-archive:/pods/bb.tar"},
		{"busybox", "/pods", "docker://index.docker.io/library/busybox:latest"},
	}
	for _, tt := range tests {
		r, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Resolve(tt.dir).String(); got != tt.want {
			t.Errorf("Parse(%q).Resolve(%q) = %q, want %q", tt.in, tt.dir, got, tt.want)
		}
	}
}

// FuzzParse checks that Parse never panics and that what it accepts
// round-trips through String.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"busybox", "busybox:1.36", "docker://a/b:c", "oci:d:t", "oci-archive:f",
		"docker-archive:f:busybox:1", "docker-daemon:x", "x://y", "localhost:5000/a@sha256:" + strings.Repeat("a", 64),
		"dir:/x", "containers-storage:a", "foo:/p", "registry:5000/x:tag", "docker://a:/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		if prefix, _, ok := strings.Cut(s, ":"); ok && isUnsupported(prefix) {
			t.Fatalf("Parse(%q) accepted skopeo's unsupported transport %q: %+v", s, prefix, r)
		}
		if host, _, _ := strings.Cut(r.Name, "/"); strings.HasSuffix(host, ":") {
			t.Fatalf("Parse(%q) = %+v: a registry host with an empty port", s, r)
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse(%q) = %v", s, r.String(), err)
		}
		again.Original, r.Original = "", ""
		if again != r {
			t.Fatalf("round trip of %q: %+v, then %+v", s, r, again)
		}
	})
}
