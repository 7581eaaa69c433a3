package spec

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/hyperbuild/hyper/contract"
)

// volumes decodes the podfile's volumes: Hyper's {"name", "source",
// "driver"}, where driver is the type ("tmpfs" when absent; Hyper's
// "vfs" and "rbd" have no equivalent), source a disk volume's seed, and
// hyper's own "size" and "readOnly".
func (d *pfDecoder) volumes(ns []*jnode, pod *contract.Pod) map[string]hcl.Range {
	seen := map[string]hcl.Range{}
	for _, n := range ns {
		f := d.fields(n, pfVolume)
		if f == nil {
			continue
		}
		name, ok := d.str(f["name"])
		if !ok {
			d.add(errorAt(n.head(), "Missing volume name", `A volume entry needs "name".`))
			continue
		}
		rng := f["name"].val.rng
		if !d.check(f["name"].val, "Invalid volume name", checkName(name)) {
			continue
		}
		if prev, dup := seen[name]; dup {
			d.add(errorAt(rng, "Duplicate volume name", "Volume %q is already defined at %s.", name, prev))
			continue
		}
		seen[name] = rng
		if v, ok := d.volume(n, f, name); ok {
			pod.Volumes = append(pod.Volumes, v)
		}
	}
	return seen
}

// volume decodes one volume entry's fields.
func (d *pfDecoder) volume(n *jnode, f map[string]*jfield, name string) (contract.Volume, bool) {
	v := contract.Volume{Name: name, Type: contract.VolumeTmpfs}
	before := len(d.diags)
	if s, ok := d.str(f["driver"]); ok && s != "" {
		if sum, det := volumeTypeError(s); sum != "" {
			d.add(errorAt(f["driver"].val.rng, sum, "%s", det))
			return v, false
		}
		v.Type = contract.VolumeType(s)
	}
	if sum, det := volumeNameError(v.Type, name); sum != "" {
		d.add(errorAt(f["name"].val.rng, sum, "%s", det))
	}
	if sf := f["size"]; sf != nil && sf.val.kind != jNull {
		if size, ok := d.size(sf); ok {
			if sum, det := volumeSizeError(v.Type, size); sum != "" {
				d.add(errorAt(sf.val.rng, sum, "%s", det))
			}
			v.SizeBytes = size
		}
	} else if v.Type == contract.VolumeDisk {
		d.add(errorAt(n.head(), "Missing disk size", "%s", `A disk volume needs "size", such as "1GiB": its ext4 image is made that size.`))
	}
	if s, ok := d.str(f["source"]); ok && s != "" {
		seed, sum, det := volumeSeed(v.Type, s, d.dir)
		if sum != "" {
			d.add(errorAt(f["source"].val.rng, sum, "%s", det))
		}
		v.Seed = seed
	}
	if d.boolean(f["readOnly"]) {
		v.ReadOnly = true
		if sum, det := volumeReadOnlyError(v.Type, "readOnly"); sum != "" {
			d.add(errorAt(f["readOnly"].val.rng, sum, "%s", det))
		}
	}
	return v, len(d.diags) == before || !d.diags[before:].HasErrors()
}

// size reads a size: a string such as "1GiB" or a number of bytes.
func (d *pfDecoder) size(f *jfield) (int64, bool) {
	switch f.val.kind {
	case jString:
		n, err := parseSize(f.val.str)
		return n, d.check(f.val, "Invalid size", err)
	case jNumber:
		n, err := parseSize(string(f.val.num))
		return n, d.check(f.val, "Invalid size", err)
	}
	d.kind(f.val, `value of "size"`, jString)
	return 0, false
}
