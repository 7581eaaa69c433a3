package initrd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/cavaliergopher/cpio"

	"github.com/hyperbuild/hyper/contract"
)

// InitPath is where the kernel looks for the first process.
const InitPath = "init"

// defaults are the entries every initramfs has; WithEntries may replace
// them. /dev/console must be there before devtmpfs is mounted, or init's
// output is lost (the kernel opens it for PID 1's stdio).
func defaults() []Entry {
	return []Entry{
		Dir("dev", 0o755),
		CharDev("dev/console", 0o600, 5, 1),
		CharDev("dev/null", 0o666, 1, 3),
		Dir("proc", 0o555),
		Dir("sys", 0o555),
		Dir("run", 0o755),
		Dir("tmp", 0o777|os.ModeSticky),
		Dir("hyper", 0o755),
	}
}

// Write writes the initramfs to w: the file at initPath as /init, the pod's
// contract as JSON at contract.Path (none when pod is nil, for initramfs
// images that boot something other than hyperstart), and the default and
// extra entries. Nothing is buffered beyond one entry's header.
func Write(w io.Writer, initPath string, pod *contract.Pod, opts ...Option) error {
	o := makeOptions(opts)
	entries, err := collect(initPath, pod, o.extra)
	if err != nil {
		return err
	}
	zw, err := compressor(w, o.compression)
	if err != nil {
		return err
	}
	if err := writeArchive(zw, entries, o); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("writing initramfs: %w", err)
	}
	return nil
}

// collect merges init, the contract, the defaults and extra entries into
// one sorted list with every parent directory present.
func collect(initPath string, pod *contract.Pod, extra []Entry) ([]Entry, error) {
	fixed := []Entry{{Name: InitPath, Mode: 0o755, Source: initPath}}
	if pod != nil {
		b, err := json.Marshal(pod)
		if err != nil {
			return nil, fmt.Errorf("encoding the guest contract: %w", err)
		}
		fixed = append(fixed, File(contract.Path, 0o644, append(b, '\n')))
	}
	byName := map[string]Entry{}
	locked := map[string]bool{}
	add := func(e Entry, lock, replace bool) error {
		n, err := cleanName(e.Name)
		if err != nil {
			return err
		}
		e.Name = n
		if _, dup := byName[n]; (dup && !replace) || locked[n] {
			return fmt.Errorf("%w: %q", ErrDuplicate, "/"+n)
		}
		byName[n], locked[n] = e, lock
		return nil
	}
	for _, e := range defaults() {
		if err := add(e, false, false); err != nil {
			return nil, err
		}
	}
	for _, e := range fixed {
		if err := add(e, true, true); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, e := range extra {
		n, _ := cleanName(e.Name)
		if seen[n] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicate, "/"+n)
		}
		seen[n] = true
		if err := add(e, false, true); err != nil {
			return nil, err
		}
	}
	for n := range byName {
		for d := parent(n); d != ""; d = parent(d) {
			if e, ok := byName[d]; ok {
				if !e.Mode.IsDir() {
					return nil, fmt.Errorf("%w: %q is inside %q, which is not a directory", ErrBadEntry, "/"+n, "/"+d)
				}
				continue
			}
			byName[d] = Dir(d, 0o755)
		}
	}
	out := make([]Entry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func parent(n string) string {
	for i := len(n) - 1; i >= 0; i-- {
		if n[i] == '/' {
			return n[:i]
		}
	}
	return ""
}

func writeArchive(w io.Writer, entries []Entry, o options) error {
	rw := &rdevWriter{w: w}
	cw := cpio.NewWriter(rw)
	for _, e := range entries {
		if err := writeEntry(cw, rw, e, o); err != nil {
			return fmt.Errorf("writing initramfs entry %q: %w", "/"+e.Name, err)
		}
	}
	if err := cw.Close(); err != nil {
		return fmt.Errorf("writing initramfs trailer: %w", err)
	}
	return nil
}

func writeEntry(cw *cpio.Writer, rw *rdevWriter, e Entry, o options) error {
	mode, err := cpioMode(e.Mode)
	if err != nil {
		return err
	}
	h := &cpio.Header{Name: e.Name, Mode: mode, ModTime: o.mtime, Links: 1}
	var data io.Reader
	switch {
	case e.Mode.IsDir():
		h.Links = 2
	case e.Mode&os.ModeSymlink != 0:
		if e.Linkname == "" {
			return fmt.Errorf("%w: symlink without a target", ErrBadEntry)
		}
		h.Linkname, h.Size = e.Linkname, int64(len(e.Linkname))
		data = stringReader(e.Linkname)
	case e.Mode&os.ModeDevice != 0:
		rw.expect(e.Major, e.Minor)
	case e.Mode.IsRegular() && e.Source != "":
		f, err := os.Open(e.Source)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: %s is not a regular file", ErrBadEntry, e.Source)
		}
		h.Size, data = fi.Size(), f
	case e.Mode.IsRegular():
		h.Size, data = int64(len(e.Data)), bytesReader(e.Data)
	}
	if h.Size > 0xffffffff {
		return fmt.Errorf("%w: %d bytes, newc holds at most 4 GiB", ErrBadEntry, h.Size)
	}
	if err := cw.WriteHeader(h); err != nil {
		return err
	}
	if rw.pending {
		return errors.New("cpio library wrote the header in an unexpected way; device numbers lost")
	}
	if data == nil {
		return nil
	}
	n, err := io.Copy(cw, data)
	if err != nil {
		return err
	}
	if n != h.Size {
		return fmt.Errorf("%w: %d bytes of data, want %d (file changed while being read?)", ErrBadEntry, n, h.Size)
	}
	return nil
}
