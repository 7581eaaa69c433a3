package builder

import (
	"errors"
	"fmt"
	"os"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/internal/units"
)

// dataDisk is one disk volume's data disk beside the artifact.
type dataDisk struct {
	vol  contract.Volume
	path string
	keep bool // it exists and fits the volume: the data stays
}

// planDataDisks decides, before anything is written, what becomes of each
// disk volume's data disk beside out (disk.DataDiskPath): one that exists
// is kept if it fits the volume (its size, ext4), else the build stops
// here, so that rebuilding an artifact never destroys or silently orphans
// its data; one that does not is made after the artifact. A raw image
// streamed to standard output gets none (hyperboot -v NAME=PATH makes one).
func (o *options) planDataDisks(pod *contract.Pod, out string) ([]dataDisk, error) {
	var plan []dataDisk
	for _, v := range pod.Volumes {
		if v.Type != contract.VolumeDisk {
			continue
		}
		if out == Stdout {
			o.warn(fmt.Sprintf("volume %q: no data disk is made for -o -; boot with hyperboot -v %s=PATH, which makes one", v.Name, v.Name))
			continue
		}
		d := dataDisk{vol: v, path: disk.DataDiskPath(out, v.Name)}
		f, err := os.Open(d.path)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("volume %q: %w", v.Name, err)
		default:
			err = disk.CheckDataDisk(f, d.path, v)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("%w: volume %q: %w", ErrOutput, v.Name, err)
			}
			d.keep = true
		}
		plan = append(plan, d)
	}
	return plan, nil
}

// makeDataDisks makes the planned data disks that do not exist yet and
// says what became of each on the progress writer.
func (o *options) makeDataDisks(plan []dataDisk) error {
	for _, d := range plan {
		if d.keep {
			fmt.Fprintf(o.progress, "data disk %s: kept (volume %q; remove it to start afresh)\n", d.path, d.vol.Name)
			continue
		}
		if err := disk.CreateDataDisk(d.path, d.vol, o.epoch); err != nil {
			return fmt.Errorf("volume %q: %w", d.vol.Name, err)
		}
		seeded := ""
		if d.vol.Seed != "" {
			seeded = ", seeded from " + d.vol.Seed
		}
		fmt.Fprintf(o.progress, "data disk %s: made (volume %q, %s%s)\n", d.path, d.vol.Name, units.Human(d.vol.SizeBytes), seeded)
	}
	return nil
}

// guestVolumes is the guest's copy of the volumes: without the seeds,
// host paths the guest has no use for.
func guestVolumes(vs []contract.Volume) []contract.Volume {
	if vs == nil {
		return nil
	}
	out := make([]contract.Volume, len(vs))
	for i, v := range vs {
		v.Seed = ""
		out[i] = v
	}
	return out
}
