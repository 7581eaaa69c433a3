package virtio

import (
	"io"

	"github.com/hugelgupf/p9/linux"
	"github.com/hugelgupf/p9/p9"
	"golang.org/x/sys/unix"
)

// direntSize is the encoded size of a 9P2000.L directory entry: qid,
// offset, type and the name as a 9P string.
func direntSize(name string) uint32 { return 13 + 8 + 1 + 2 + uint32(len(name)) }

// Readdir implements p9.File: the entries after the offset-th, as many
// as fit in count bytes. An entry's offset is its position plus one, so
// the guest reads on from the last entry it got; a directory read in
// order is never rewound.
func (f *shareFile) Readdir(offset uint64, count uint32) (p9.Dirents, error) {
	if f.file == nil {
		return nil, linux.EBADF
	}
	f.dirMu.Lock()
	defer f.dirMu.Unlock()
	if offset != f.dirPos {
		if _, err := f.file.Seek(0, io.SeekStart); err != nil {
			return nil, errno(err)
		}
		f.dirPos = 0
		for f.dirPos < offset {
			names, err := f.file.Readdirnames(int(min(offset-f.dirPos, 1024)))
			f.dirPos += uint64(len(names))
			if err == io.EOF {
				return nil, nil
			}
			if err != nil {
				return nil, errno(err)
			}
		}
	}
	var out p9.Dirents
	var used uint32
	dir := int(f.file.Fd())
	for {
		// One name at a time: a name read is a name returned, so the
		// position stays exact.
		names, err := f.file.Readdirnames(1)
		if err == io.EOF || len(names) == 0 {
			return out, nil
		}
		if err != nil {
			return out, errno(err)
		}
		name := names[0]
		f.dirPos++
		var st unix.Stat_t
		if err := unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue // gone since it was listed
		}
		out = append(out, p9.Dirent{QID: qidOf(&st), Offset: f.dirPos, Type: p9.QIDType(st.Mode >> 12), Name: name})
		used += direntSize(name)
		if used+direntSize("")+255 > count {
			return out, nil
		}
	}
}
