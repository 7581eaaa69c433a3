package spec

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/hyperbuild/hyper/contract"
)

// volumes decodes the volume blocks and returns where each name is
// defined, for mounts to refer to.
func (p *podDecoder) volumes(bs hcl.Blocks, pod *contract.Pod) map[string]hcl.Range {
	seen := map[string]hcl.Range{}
	for _, b := range bs {
		name := b.Labels[0]
		if err := checkName(name); err != nil {
			p.add(errorAt(b.LabelRanges[0], "Invalid volume name", "%s", sentence(err)))
		}
		if prev, ok := seen[name]; ok {
			p.add(errorAt(b.LabelRanges[0], "Duplicate volume name", "Volume %q is already defined at %s.", name, prev))
			continue
		}
		seen[name] = b.LabelRanges[0]
		if v, ok := p.volume(b); ok {
			pod.Volumes = append(pod.Volumes, v)
		}
	}
	return seen
}

// volume decodes one volume block's body.
func (p *podDecoder) volume(b *hcl.Block) (contract.Volume, bool) {
	v := contract.Volume{Name: b.Labels[0], Type: DefaultVolumeType}
	c := p.content(b.Body, volumeSchema)
	if c == nil {
		return v, false
	}
	before := len(p.diags)
	if a := c.Attributes["type"]; a != nil {
		if s, ok := p.str(a); ok {
			if sum, det := volumeTypeError(s); sum != "" {
				p.add(errorAt(a.Expr.Range(), sum, "%s", det))
				return v, false
			}
			v.Type = contract.VolumeType(s)
		}
	}
	if sum, det := volumeNameError(v.Type, v.Name); sum != "" {
		p.add(errorAt(b.LabelRanges[0], sum, "%s", det))
	}
	if a := c.Attributes["size"]; a != nil {
		if n, ok := p.size(a); ok {
			if sum, det := volumeSizeError(v.Type, n); sum != "" {
				p.add(errorAt(a.Expr.Range(), sum, "%s", det))
			}
			v.SizeBytes = n
		}
	} else if v.Type == contract.VolumeDisk {
		p.add(errorAt(b.DefRange, "Missing disk size", "%s", diskSizeMissing))
	}
	if a := c.Attributes["seed"]; a != nil {
		if s, ok := p.str(a); ok {
			seed, sum, det := volumeSeed(v.Type, s, p.dir)
			if sum != "" {
				p.add(errorAt(a.Expr.Range(), sum, "%s", det))
			}
			v.Seed = seed
		}
	}
	if a := c.Attributes["read_only"]; a != nil {
		if p.decode(a, &v.ReadOnly) && v.ReadOnly {
			if sum, det := volumeReadOnlyError(v.Type, "read_only"); sum != "" {
				p.add(errorAt(a.Expr.Range(), sum, "%s", det))
			}
		}
	}
	return v, !p.diags[before:].HasErrors()
}
