package ext4

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// xattr is an extended attribute split into ext4's name index and suffix.
type xattr struct {
	index uint8
	name  string
	value []byte
}

// Name prefixes and their ext4 name indexes; the longest match wins.
var xattrPrefixes = []struct {
	prefix string
	index  uint8
}{
	{"system.posix_acl_access", 2},
	{"system.posix_acl_default", 3},
	{"user.", 1},
	{"trusted.", 4},
	{"security.", 6},
	{"system.", 7},
}

const (
	xattrMagic       = 0xEA020000
	xattrHeaderSize  = 32
	xattrEntrySize   = 16
	xattrInlineSpace = inodeSize - inlineXattrOff
)

func makeXattr(name string, value []byte) (xattr, error) {
	for _, p := range xattrPrefixes {
		if !strings.HasPrefix(name, p.prefix) {
			continue
		}
		x := xattr{index: p.index, name: strings.TrimPrefix(name, p.prefix), value: value}
		if p.index == 2 || p.index == 3 {
			if x.name != "" {
				continue
			}
			v, err := convertACL(value)
			if err != nil {
				return xattr{}, fmt.Errorf("xattr %q: %w", name, err)
			}
			x.value = v
		}
		if len(x.name) > 255 || (x.name == "" && p.index != 2 && p.index != 3) {
			return xattr{}, fmt.Errorf("xattr %q: %w", name, ErrUnsupported)
		}
		return x, nil
	}
	return xattr{}, fmt.Errorf("xattr %q: namespace %w", name, ErrUnsupported)
}

func pad4(n int) int { return (n + 3) &^ 3 }

func (x xattr) entrySize() int { return pad4(xattrEntrySize + len(x.name)) }

// encodeXattrs lays the attributes out in the inode's spare space and, if
// they do not all fit, in one extra block (returned without its checksum).
func encodeXattrs(xs []xattr) (inline, block []byte, err error) {
	// The kernel keeps block entries sorted by index, name length, name.
	sort.SliceStable(xs, func(i, j int) bool {
		a, b := xs[i], xs[j]
		if a.index != b.index {
			return a.index < b.index
		}
		if len(a.name) != len(b.name) {
			return len(a.name) < len(b.name)
		}
		return a.name < b.name
	})
	// Fill the inode in order; the rest goes to the block.
	used := 4 + 4 // magic, end marker
	n := 0
	for ; n < len(xs); n++ {
		need := xs[n].entrySize() + pad4(len(xs[n].value))
		if used+need > xattrInlineSpace {
			break
		}
		used += need
	}
	if n > 0 {
		inline = make([]byte, xattrInlineSpace)
		le32(inline, xattrMagic)
		putXattrs(inline[4:], xs[:n], 0)
	}
	if n == len(xs) {
		return inline, nil, nil
	}
	rest := xs[n:]
	used = xattrHeaderSize + 4
	for _, x := range rest {
		used += x.entrySize() + pad4(len(x.value))
	}
	if used > blockSize {
		return nil, nil, fmt.Errorf("%d bytes of xattrs: %w", used, ErrXattrTooLarge)
	}
	block = make([]byte, blockSize)
	le32(block[0:], xattrMagic)
	le32(block[4:], 1) // h_refcount
	le32(block[8:], 1) // h_blocks
	var hash uint32
	for _, h := range putXattrs(block, rest, xattrHeaderSize) {
		hash = hash<<16 ^ hash>>16 ^ h
	}
	le32(block[12:], hash) // h_hash
	return inline, block, nil
}

// putXattrs writes entries into area from offset first, values from the
// end down; value offsets are relative to area. It returns entry hashes.
func putXattrs(area []byte, xs []xattr, first int) []uint32 {
	off, vend := first, len(area)
	hashes := make([]uint32, len(xs))
	for i, x := range xs {
		vsize := pad4(len(x.value))
		vend -= vsize
		copy(area[vend:], x.value)
		e := area[off:]
		e[0] = uint8(len(x.name))
		e[1] = x.index
		if len(x.value) > 0 {
			le16(e[2:], uint16(vend))
		}
		le32(e[8:], uint32(len(x.value)))
		hashes[i] = xattrHash(x.name, area[vend:vend+vsize])
		le32(e[12:], hashes[i])
		copy(e[xattrEntrySize:], x.name)
		off += x.entrySize()
	}
	return hashes
}

// xattrHash is ext4_xattr_hash_entry over the name and padded value.
func xattrHash(name string, value []byte) uint32 {
	var h uint32
	for i := 0; i < len(name); i++ {
		h = h<<5 ^ h>>27 ^ uint32(name[i])
	}
	for i := 0; i+4 <= len(value); i += 4 {
		h = h<<16 ^ h>>16 ^ binary.LittleEndian.Uint32(value[i:])
	}
	return h
}

// finishXattrBlock sets the checksum of an xattr block stored at blk.
func finishXattrBlock(b []byte, blk uint64, seed uint32) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], blk)
	le32(b[16:], 0) // h_checksum
	le32(b[16:], crc32c(crc32c(seed, n[:]), b))
}

// POSIX ACL tags.
const (
	aclUserObj  = 0x01
	aclUser     = 0x02
	aclGroupObj = 0x04
	aclGroup    = 0x08
	aclMask     = 0x10
	aclOther    = 0x20
)

// convertACL turns the VFS xattr form of a POSIX ACL (version 2, 8-byte
// entries, as tar carries it) into ext4's on-disk form (version 1, 4-byte
// entries except for named users and groups).
func convertACL(v []byte) ([]byte, error) {
	if len(v) < 4 || (len(v)-4)%8 != 0 || binary.LittleEndian.Uint32(v) != 2 {
		return nil, fmt.Errorf("malformed POSIX ACL: %w", ErrUnsupported)
	}
	out := []byte{1, 0, 0, 0}
	for e := v[4:]; len(e) > 0; e = e[8:] {
		tag := binary.LittleEndian.Uint16(e)
		out = append(out, e[0:4]...)
		switch tag {
		case aclUser, aclGroup:
			out = append(out, e[4:8]...)
		case aclUserObj, aclGroupObj, aclMask, aclOther:
		default:
			return nil, fmt.Errorf("POSIX ACL tag %#x: %w", tag, ErrUnsupported)
		}
	}
	return out, nil
}
