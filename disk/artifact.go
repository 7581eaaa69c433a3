package disk

import (
	"fmt"
	"os"
	"strings"
)

// Artifact is what goes into an artifact: host paths of the parts, the
// kernel command line, and the manifest (whose Cmdline, Sizes and
// Bootloader the writers fill in).
type Artifact struct {
	Kernel  string // bzImage
	Initrd  string // compressed cpio
	Cmdline string
	// PodFS is the pod's ext4 image; PodFSSize the bytes of it to use
	// (0: the whole file), e.g. ext4.Stats.Size when the file is longer.
	PodFS     string
	PodFSSize int64
	Manifest  Manifest
}

// maxCmdline is x86's COMMAND_LINE_SIZE less the terminating NUL.
const maxCmdline = 2047

// sizes checks the inputs and returns the part sizes.
func (a Artifact) sizes() (Sizes, error) {
	var s Sizes
	var err error
	if s.Kernel, err = regularSize("kernel", a.Kernel); err != nil {
		return s, err
	}
	if s.Initrd, err = regularSize("initrd", a.Initrd); err != nil {
		return s, err
	}
	if s.PodFS, err = regularSize("pod filesystem", a.PodFS); err != nil {
		return s, err
	}
	switch {
	case a.PodFSSize < 0 || a.PodFSSize > s.PodFS:
		return s, fmt.Errorf("%w: pod filesystem %s has %d bytes, asked to use %d", ErrBadInput, a.PodFS, s.PodFS, a.PodFSSize)
	case a.PodFSSize > 0:
		s.PodFS = a.PodFSSize
	}
	if err := checkPodFS(a.PodFS); err != nil {
		return s, err
	}
	if strings.ContainsAny(a.Cmdline, "\n\x00") || len(a.Cmdline) > maxCmdline {
		return s, fmt.Errorf("%w: kernel command line must be one line of at most %d bytes (%d given)", ErrBadInput, maxCmdline, len(a.Cmdline))
	}
	return s, nil
}

func regularSize(what, p string) (int64, error) {
	if p == "" {
		return 0, fmt.Errorf("%w: no %s file given", ErrBadInput, what)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%w: %s %s is not a regular file", ErrBadInput, what, p)
	}
	if fi.Size() == 0 {
		return 0, fmt.Errorf("%w: %s %s is empty", ErrBadInput, what, p)
	}
	return fi.Size(), nil
}

// checkPodFS refuses a pod filesystem that Open would reject: not ext4, or
// not labelled contract.PodLabel (the guest finds its partition by label).
func checkPodFS(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("pod filesystem: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("pod filesystem: %w", err)
	}
	if err := checkExt4(f, 0, fi.Size()); err != nil {
		return fmt.Errorf("%w: pod filesystem %s %w", ErrBadInput, p, err)
	}
	return nil
}
