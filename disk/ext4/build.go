package ext4

import "io"

// Build writes the filesystem holding the tar stream r (at the root) to dst.
func Build(dst io.WriterAt, r io.Reader, opts ...Option) (Stats, error) {
	w, err := NewWriter(dst, opts...)
	if err != nil {
		return Stats{}, err
	}
	if err := w.AddTar("", r); err != nil {
		return Stats{}, err
	}
	return w.Close()
}
