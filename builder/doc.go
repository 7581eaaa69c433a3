// Package builder orchestrates hyperbuild: it loads a pod file (package
// spec), resolves and flattens each container's image (layers), writes the
// pod's ext4 filesystem (disk/ext4), the initramfs holding hyperstart and
// the guest contract (initrd), picks or builds the kernel (kernelcfg), and
// assembles the artifact (disk). It owns no format of its own: each stage
// lives in its package and speaks io.Reader/io.Writer; the builder wires
// them together, streams between them, and guarantees that a failed or
// cancelled build leaves no output behind.
//
//	b := builder.New(builder.WithFormat(builder.FormatRaw))
//	res, err := b.Build(ctx, "pod.hcl", "web.img")
package builder
