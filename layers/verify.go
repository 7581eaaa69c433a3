package layers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxDocSize bounds what is read into memory of an index, a manifest or a
// config, whatever its descriptor claims: containers/image's limit
// (iolimits.MaxManifestBodySize and MaxConfigBodySize).
const maxDocSize = 4 << 20

// maxIndexDepth bounds how deeply indexes may nest (index.json → index →
// manifest is two).
const maxIndexDepth = 4

// checkHash refuses digests the cache cannot key: sha256 and 64 lower-case
// hex digits, which also keeps a digest from naming a path outside a
// layout's blobs directory.
func checkHash(h v1.Hash, what string) error {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 || !isHex(h.Hex) {
		return fmt.Errorf("%w: %s has digest %q: only sha256 digests are supported", ErrCorrupt, what, h.String())
	}
	return nil
}

func isHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkDescriptor refuses a descriptor hyper will not follow: an
// unsupported digest, a negative size, or (when max > 0) a size above max.
func checkDescriptor(d v1.Descriptor, what string, max int64) error {
	if err := checkHash(d.Digest, what); err != nil {
		return err
	}
	if d.Size < 0 {
		return fmt.Errorf("%w: %s %s has size %d", ErrCorrupt, what, d.Digest, d.Size)
	}
	if max > 0 && d.Size > max {
		return fmt.Errorf("%w: %s %s is %d bytes, more than the %d bytes hyper reads", ErrCorrupt, what, d.Digest, d.Size, max)
	}
	return nil
}

// readVerified reads the index, manifest or config d names from r and
// checks its size and digest against d. It keeps at most d.Size bytes
// (d.Size itself at most maxDocSize); what comes beyond them is only
// hashed, and only up to maxDocSize, to say in the error what came
// instead.
func readVerified(r io.Reader, d v1.Descriptor, what string) ([]byte, error) {
	if err := checkDescriptor(d, what, maxDocSize); err != nil {
		return nil, err
	}
	h := sha256.New()
	var buf bytes.Buffer
	buf.Grow(int(d.Size))
	n, err := io.Copy(io.MultiWriter(&buf, h), io.LimitReader(r, d.Size))
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", what, d.Digest, err)
	}
	extra, err := io.Copy(h, io.LimitReader(r, maxDocSize+1-n))
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", what, d.Digest, err)
	}
	if err := matches(d, what, "sha256:"+hex.EncodeToString(h.Sum(nil)), n+extra, maxDocSize); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkBytes checks b, already in memory, against d.
func checkBytes(b []byte, d v1.Descriptor, what string) error {
	if err := checkDescriptor(d, what, maxDocSize); err != nil {
		return err
	}
	return matches(d, what, fmt.Sprintf("sha256:%x", sha256.Sum256(b)), int64(len(b)), maxDocSize)
}

// matches says whether what was read (digest got, size bytes) is what d
// names; the error names both. Reading stopped after limit bytes: more
// means that what came is larger, its digest unknown.
func matches(d v1.Descriptor, what, got string, size, limit int64) error {
	if got == d.Digest.String() && size == d.Size {
		return nil
	}
	if size > limit {
		return fmt.Errorf("%w: %s: expected %s (%d bytes), got more than %d bytes", ErrDigestMismatch, what, d.Digest, d.Size, limit)
	}
	return fmt.Errorf("%w: %s: expected %s (%d bytes), got %s (%d bytes)", ErrDigestMismatch, what, d.Digest, d.Size, got, size)
}

// readLimited reads all of r, refusing more than max bytes.
func readLimited(r io.Reader, max int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: %s is more than the %d bytes hyper reads", ErrCorrupt, what, max)
	}
	return b, nil
}
