// Package scratch makes work directories that a crash cannot strand for
// long: each is locked by its owner (an flock the kernel drops when the
// process dies, kill -9 too), and the next run of any hyper tool in the
// same place sweeps those whose lock it can take.
//
//	scratch.Sweep(parent, ".hyperbuild-")
//	d, err := scratch.New(parent, ".hyperbuild-")
//	defer d.Close()
//	fs := d.Join("pod.ext4")
//
// hyperbuild keeps its scratch beside the output (the artifact is renamed,
// not copied, into place); hyperboot keeps its in $TMPDIR.
package scratch
