package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
)

// boundVolumes are the run's data disks and shares, with the data disks
// held open and locked until Close.
type boundVolumes struct {
	disks  []DataDisk
	shares []Share
	files  []*os.File
}

// Close releases the data disks' locks.
func (v *boundVolumes) Close() {
	if v == nil {
		return
	}
	for _, f := range v.files {
		f.Close()
	}
	v.files = nil
}

// bindVolumes binds the artifact's disk and host volumes to host paths:
// the -v bindings first; a disk volume without one gets the data disk the
// builder made beside the artifact (disk.DataDiskPath); a host volume
// without one is an error. Each data disk is opened, locked (exclusively,
// or shared when read-only) for as long as the run holds it, and checked
// (a regular file of the volume's size holding ext4); a bound path that
// does not exist yet gets a new, empty disk, said on msgs. Errors come
// before boot and leave nothing locked.
func bindVolumes(m disk.Manifest, artifact string, bindings []VolumeBinding, msgs io.Writer) (_ *boundVolumes, err error) {
	vols := map[string]contract.Volume{}
	for _, v := range m.Volumes {
		vols[v.Name] = v
	}
	bound := map[string]VolumeBinding{}
	for _, b := range bindings {
		name, err := bindingTarget(m, vols, b)
		if err != nil {
			return nil, err
		}
		if prev, dup := bound[name]; dup {
			return nil, fmt.Errorf("-v %s and -v %s both bind volume %q: %w", prev, b, name, ErrBadVolume)
		}
		bound[name] = b
	}
	out := &boundVolumes{}
	defer func() {
		if err != nil {
			out.Close()
		}
	}()
	for _, v := range m.Volumes {
		b, ok := bound[v.Name]
		switch v.Type {
		case contract.VolumeDisk:
			d := DataDisk{Name: v.Name, Path: disk.DataDiskPath(artifact, v.Name), ReadOnly: b.ReadOnly}
			if ok {
				d.Path = b.Path
			}
			f, err := openDataDisk(v, &d, ok, msgs)
			if err != nil {
				return nil, err
			}
			out.files = append(out.files, f)
			out.disks = append(out.disks, d)
		case contract.VolumeHost:
			if !ok {
				return nil, fmt.Errorf("volume %q is a host directory: bind one with -v DIR:%s%s: %w", v.Name, v.Name, mountHint(m, v.Name), ErrBadVolume)
			}
			s, err := shareFor(v, b)
			if err != nil {
				return nil, err
			}
			out.shares = append(out.shares, s)
		}
	}
	return out, nil
}

// bindingTarget is the name of the volume b binds: its Target, or the
// one volume mounted at Target when that is a container path.
func bindingTarget(m disk.Manifest, vols map[string]contract.Volume, b VolumeBinding) (string, error) {
	name := b.Target
	if strings.HasPrefix(b.Target, "/") {
		seen := map[string]bool{}
		for _, c := range m.Containers {
			for _, mt := range c.Mounts {
				if mt.Path == b.Target {
					seen[mt.Volume] = true
				}
			}
		}
		switch len(seen) {
		case 0:
			return "", fmt.Errorf("-v %s: no container mounts a volume at %s (%s): %w", b, b.Target, mountList(m), ErrBadVolume)
		case 1:
			for n := range seen {
				name = n
			}
		default:
			return "", fmt.Errorf("-v %s: several volumes are mounted at %s (%s); name the volume instead: %w", b, b.Target, strings.Join(sortedNames(seen), ", "), ErrBadVolume)
		}
	}
	v, ok := vols[name]
	switch {
	case !ok:
		return "", fmt.Errorf("-v %s: the pod has no volume %q (%s): %w", b, name, volumeList(m), ErrBadVolume)
	case v.Type != contract.VolumeDisk && v.Type != contract.VolumeHost:
		return "", fmt.Errorf("-v %s: volume %q is %s, which lives in the VM's memory and binds to nothing; only disk and host volumes do: %w", b, name, v.Type, ErrBadVolume)
	}
	return name, nil
}

// openDataDisk opens, locks and checks d's file; when the path was bound
// (-v) and nothing is there, it makes an empty disk first.
func openDataDisk(v contract.Volume, d *DataDisk, bound bool, msgs io.Writer) (*os.File, error) {
	abs, err := filepath.Abs(d.Path)
	if err != nil {
		return nil, fmt.Errorf("volume %q: %w", v.Name, err)
	}
	d.Path = abs
	if _, err := os.Lstat(abs); errors.Is(err, os.ErrNotExist) {
		if !bound {
			return nil, fmt.Errorf("volume %q: no data disk at %s (hyperbuild makes it beside the image); rebuild, or pass -v %s=PATH, made there when absent: %w", v.Name, abs, v.Name, ErrBadVolume)
		}
		if err := disk.CreateDataDisk(abs, v, time.Now()); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("volume %q: %w", v.Name, err)
		} else if err == nil {
			fmt.Fprintf(msgs, "hyperboot: volume %q: made an empty data disk at %s (%d MiB)\n", v.Name, abs, v.SizeBytes>>20)
		}
	}
	flag, how := os.O_RDWR, unix.LOCK_EX
	if d.ReadOnly {
		flag, how = os.O_RDONLY, unix.LOCK_SH
	}
	// O_NONBLOCK: a fifo is reported by CheckDataDisk, not waited on.
	f, err := os.OpenFile(abs, flag|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("volume %q: opening its data disk: %w: %w", v.Name, err, ErrBadVolume)
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("volume %q: %s is in use by another running pod; stop it, or pass another disk with -v %s=PATH: %w", v.Name, abs, v.Name, ErrVolumeBusy)
		}
		return nil, fmt.Errorf("volume %q: locking %s: %w", v.Name, abs, err)
	}
	if err := disk.CheckDataDisk(f, abs, v); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", ErrBadVolume, err)
	}
	return f, nil
}

// shareFor checks a host volume's directory.
func shareFor(v contract.Volume, b VolumeBinding) (Share, error) {
	p, err := filepath.Abs(b.Path)
	if err == nil {
		p, err = filepath.EvalSymlinks(p)
	}
	if err != nil {
		return Share{}, fmt.Errorf("volume %q: the host directory %s: %w (%w)", v.Name, b.Path, ErrBadVolume, err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return Share{}, fmt.Errorf("volume %q: the host directory %s: %w (%w)", v.Name, b.Path, ErrBadVolume, err)
	}
	if !fi.IsDir() {
		return Share{}, fmt.Errorf("volume %q: %s is not a directory; a host volume shares a directory: %w", v.Name, b.Path, ErrBadVolume)
	}
	return Share{Name: v.Name, Path: p, ReadOnly: b.ReadOnly || v.ReadOnly}, nil
}

func volumeList(m disk.Manifest) string {
	if len(m.Volumes) == 0 {
		return "it has none"
	}
	var s []string
	for _, v := range m.Volumes {
		s = append(s, fmt.Sprintf("%s (%s)", v.Name, v.Type))
	}
	return "it has " + strings.Join(s, ", ")
}

func mountList(m disk.Manifest) string {
	var s []string
	for _, c := range m.Containers {
		for _, mt := range c.Mounts {
			s = append(s, fmt.Sprintf("%s at %s in %s", mt.Volume, mt.Path, c.Name))
		}
	}
	if len(s) == 0 {
		return "the pod mounts no volumes"
	}
	return "the pod mounts " + strings.Join(s, ", ")
}

// mountHint suggests the container path form when the volume is mounted
// at one place.
func mountHint(m disk.Manifest, name string) string {
	for _, c := range m.Containers {
		for _, mt := range c.Mounts {
			if mt.Volume == name {
				return " or -v DIR:" + mt.Path
			}
		}
	}
	return ""
}

func sortedNames(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
