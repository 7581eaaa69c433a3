package layers

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// platform parses and checks the wanted platform: the guest is x86-64.
func (r *Resolver) platform() (v1.Platform, error) {
	p, err := v1.ParsePlatform(r.o.platform)
	if err != nil {
		return v1.Platform{}, fmt.Errorf("%w: platform %q: %v", ErrUnsupportedPlatform, r.o.platform, err)
	}
	if p.OS != "linux" || p.Architecture != "amd64" {
		return v1.Platform{}, fmt.Errorf("%w: platform %s (the guest runs linux/amd64 only)", ErrUnsupportedPlatform, r.o.platform)
	}
	return *p, nil
}

// pick chooses the manifest for want in an index (the first match, in the
// index's order), or says which platforms there are.
func pick(im *v1.IndexManifest, want v1.Platform) (v1.Descriptor, error) {
	var have []string
	for _, d := range im.Manifests {
		if d.Platform == nil {
			continue
		}
		if d.Platform.OS == want.OS && d.Platform.Architecture == want.Architecture &&
			(want.Variant == "" || d.Platform.Variant == want.Variant) {
			return d, nil
		}
		if d.Platform.OS != "unknown" {
			have = append(have, d.Platform.String())
		}
	}
	return v1.Descriptor{}, fmt.Errorf("%w: no %s image in the index (it has: %s)", ErrUnsupportedPlatform, want.String(), strings.Join(have, ", "))
}

// checkConfig refuses an image built for another platform.
func checkConfig(cf *v1.ConfigFile, want v1.Platform) error {
	if cf.OS != want.OS || cf.Architecture != want.Architecture {
		return fmt.Errorf("%w: the image is %s/%s", ErrUnsupportedPlatform, cf.OS, cf.Architecture)
	}
	return nil
}
