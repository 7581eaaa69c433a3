package daemon

import "testing"

func TestImageName(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                            "busybox",
		"busybox:1.36":                       "busybox",
		"docker.io/library/nginx:1.27":       "nginx",
		"ghcr.io/a/b/my_app@sha256:" + zeros: "my-app",
		"oci:/tmp/bb:1.36":                   "bb",
		"oci-archive:./x/web.tar":            "web-tar",
		"localhost:5000/tool":                "tool",
	} {
		if got := imageName(in); got != want {
			t.Errorf("imageName(%q) = %q; want %q", in, got, want)
		}
	}
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"
