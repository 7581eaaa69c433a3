package ext4

// inodeTable holds the in-memory inodes in fixed-size chunks: growing it
// never copies, and pointers to inodes stay valid.
type inodeTable struct {
	chunks [][]inode
	n      uint32
}

const inodeChunk = 4096

// add appends in and returns its inode number (one more than its index).
func (t *inodeTable) add(in inode) uint32 {
	if t.n%inodeChunk == 0 {
		t.chunks = append(t.chunks, make([]inode, 0, inodeChunk))
	}
	c := &t.chunks[len(t.chunks)-1]
	*c = append(*c, in)
	t.n++
	return t.n
}

// get returns inode ino (1-based).
func (t *inodeTable) get(ino uint32) *inode {
	i := ino - 1
	return &t.chunks[i/inodeChunk][i%inodeChunk]
}

func (t *inodeTable) len() uint32 { return t.n }
