package testimage

import (
	"archive/tar"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BusyboxPath is Debian busybox-static's binary.
var BusyboxPath = "/bin/busybox"

// ErrNoBusybox says busybox-static is not installed; tests skip on it.
var ErrNoBusybox = errors.New("no static busybox (apt-get install busybox-static)")

// Busybox builds a one-layer image shaped like docker.io/library/busybox:
// /bin/busybox and every applet as a hard link to it in /bin, a few
// directories and /etc/passwd and /etc/group; Cmd is ["sh"].
func Busybox() (v1.Image, error) {
	bin, err := os.ReadFile(BusyboxPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s missing", ErrNoBusybox, BusyboxPath)
	}
	if err != nil {
		return nil, fmt.Errorf("reading busybox: %w", err)
	}
	out, err := exec.Command(BusyboxPath, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%w: %s --list: %v", ErrNoBusybox, BusyboxPath, err)
	}
	entries := []Entry{
		Dir("bin", 0o755), Dir("dev", 0o755), Dir("etc", 0o755),
		Dir("home", 0o755), Dir("proc", 0o755), Dir("root", 0o700),
		Dir("sys", 0o755), Dir("tmp", 0o1777), Dir("usr", 0o755),
		Dir("usr/sbin", 0o755), Dir("var", 0o755),
		File("etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"),
		File("etc/group", 0o644, "root:x:0:\nnobody:x:65534:\n"),
		{Header: tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, ModTime: Epoch, Format: tar.FormatPAX}, Data: bin},
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		entries = append(entries, Hardlink("bin/"+applet, "bin/busybox").With(func(h *tar.Header) { h.Mode = 0o755 }))
	}
	layer, err := Layer(entries...)
	if err != nil {
		return nil, fmt.Errorf("busybox layer: %w", err)
	}
	return Image(v1.Config{
		Cmd: []string{"sh"},
		Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
	}, layer)
}

// BusyboxLayout replaces dir with an OCI layout holding Busybox() tagged
// tag, and returns its reference, "oci:DIR:TAG".
func BusyboxLayout(dir, tag string) (string, error) {
	img, err := Busybox()
	if err != nil {
		return "", err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := WriteLayout(dir, img, tag); err != nil {
		return "", err
	}
	return "oci:" + dir + ":" + tag, nil
}
