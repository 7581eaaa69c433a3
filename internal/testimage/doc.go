// Package testimage builds small OCI images in Go, for tests that must run
// without the internet: layers from tar entries (whiteouts, hard links,
// devices, xattrs, and deliberately hostile entries), a busybox image from
// Debian's busybox-static (/bin/busybox with its applets as hard links,
// like the real busybox image), and images holding a small static Go
// program compiled during the test.
//
// The images can be written as OCI layouts, OCI archives and docker
// archives, or served by an in-process registry on 127.0.0.1:
//
//	img, err := testimage.Busybox()
//	if errors.Is(err, testimage.ErrNoBusybox) { t.Skip(err) }
//	host := testimage.Serve(t, map[string]v1.Image{"busybox:1": img})
//	// pull docker://HOST/busybox:1
package testimage
