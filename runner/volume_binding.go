package runner

import (
	"fmt"
	"path"
	"strings"
)

// VolumeBinding binds one of the pod's disk or host volumes to a host
// path for one run (hyperboot -v).
type VolumeBinding struct {
	// Target is the volume's name, or an absolute container path at
	// which the pod mounts exactly one volume (Docker's -v HOST:/path).
	Target string
	// Path is the host path: a data disk's ext4 image for a disk volume,
	// a directory for a host volume; relative to the working directory.
	Path string
	// ReadOnly (":ro") attaches the disk, or shares the directory,
	// read-only.
	ReadOnly bool
}

// String is b as -v takes it: NAME=PATH[:ro] for a volume's name,
// PATH:TARGET[:ro] for a container path.
func (b VolumeBinding) String() string {
	s := b.Target + "=" + b.Path
	if strings.HasPrefix(b.Target, "/") {
		s = b.Path + ":" + b.Target
	}
	if b.ReadOnly {
		s += ":ro"
	}
	return s
}

// ParseVolumeBinding reads a -v value in either form:
//
//	NAME=PATH[:ro]             the volume NAME (hyper's form)
//	HOSTPATH:TARGET[:ro|:rw]   Docker's form; TARGET is a volume's name or
//	                           the container path it is mounted at
//
// NAME=PATH is recognised by a volume name before the first '='; anything
// else is Docker's form, split from the right, so that HOSTPATH may hold
// ':' and '=' (but a HOSTPATH that starts with a volume name and '=' reads
// as NAME=PATH: write ./ before it).
func ParseVolumeBinding(s string) (VolumeBinding, error) {
	bad := func(why string) (VolumeBinding, error) {
		return VolumeBinding{}, fmt.Errorf("-v %q: %s; write NAME=PATH or HOSTPATH:TARGET[:ro]: %w", s, why, ErrBadVolume)
	}
	if s == "" {
		return bad("empty")
	}
	if strings.ContainsRune(s, 0) {
		return bad("contains a NUL byte")
	}
	var b VolumeBinding
	rest := s
	if name, p, ok := strings.Cut(s, "="); ok && isVolumeName(name) {
		b.Target = name
		rest = p
		if p, ok := strings.CutSuffix(rest, ":ro"); ok {
			rest, b.ReadOnly = p, true
		}
		b.Path = rest
	} else {
		i := strings.LastIndexByte(rest, ':')
		if i < 0 {
			return bad("no volume named")
		}
		if mode := rest[i+1:]; mode == "ro" || mode == "rw" {
			b.ReadOnly = mode == "ro"
			rest = rest[:i]
			if i = strings.LastIndexByte(rest, ':'); i < 0 {
				return bad("no volume named")
			}
		}
		b.Path, b.Target = rest[:i], rest[i+1:]
		switch {
		case b.Target == "":
			return bad("no volume named after the last ':'")
		case strings.HasPrefix(b.Target, "/"):
			if path.Clean(b.Target) != b.Target || b.Target == "/" {
				return bad(fmt.Sprintf("container path %q is not clean, or is /", b.Target))
			}
		case !isVolumeName(b.Target):
			return bad(fmt.Sprintf("%q is neither a volume's name nor an absolute container path", b.Target))
		}
	}
	if b.Path == "" {
		return bad("no host path")
	}
	return b, nil
}

// isVolumeName reports whether s can be a volume's name (the pod file's
// rule: lower-case letters, digits, '-', '_' and '.', starting with a
// letter or digit, at most 63 bytes).
func isVolumeName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, c := range s {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_' && c != '.') {
			return false
		}
	}
	return true
}
