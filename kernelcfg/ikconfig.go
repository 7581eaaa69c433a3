package kernelcfg

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
)

// A kernel built with CONFIG_IKCONFIG carries its .config, gzipped,
// between these markers in its image (kernel/configs.c); Linux's
// scripts/extract-ikconfig finds it the same way.
var (
	ikcfgStart = []byte("IKCFG_ST")
	ikcfgEnd   = []byte("IKCFG_ED")
)

// maxConfigSize bounds an embedded .config: a distro's is ~250 KB.
const maxConfigSize = 4 << 20

// embeddedConfig returns the configuration embedded in the decompressed
// kernel image vm, or found false when it has none.
func embeddedConfig(vm io.Reader) (cfg map[string]string, found bool, err error) {
	rest, found, err := skipPast(vm, ikcfgStart)
	if err != nil || !found {
		return nil, false, err
	}
	br := bufio.NewReader(rest) // gzip reads a ByteReader exactly to its end
	z, err := gzip.NewReader(br)
	if err != nil {
		return nil, true, fmt.Errorf("reading the embedded configuration: %w", err)
	}
	z.Multistream(false) // IKCFG_ED follows the gzip member
	text, err := io.ReadAll(io.LimitReader(z, maxConfigSize+1))
	if err != nil {
		return nil, true, fmt.Errorf("reading the embedded configuration: %w", err)
	}
	if len(text) > maxConfigSize {
		return nil, true, fmt.Errorf("reading the embedded configuration: larger than %d MiB", maxConfigSize>>20)
	}
	end := make([]byte, len(ikcfgEnd))
	if _, err := io.ReadFull(br, end); err != nil || !bytes.Equal(end, ikcfgEnd) {
		return nil, true, fmt.Errorf("reading the embedded configuration: no %s after it", ikcfgEnd)
	}
	cfg, err = ParseConfig(bytes.NewReader(text))
	return cfg, true, err
}

// skipPast reads r up to and including the first marker and returns what
// follows it; found is false when r ends first. It holds one buffer.
func skipPast(r io.Reader, marker []byte) (rest io.Reader, found bool, err error) {
	buf := make([]byte, 64<<10)
	keep := 0 // bytes carried over: a marker may span two reads
	for {
		n, err := r.Read(buf[keep:])
		data := buf[:keep+n]
		if i := bytes.Index(data, marker); i >= 0 {
			return io.MultiReader(bytes.NewReader(data[i+len(marker):]), r), true, nil
		}
		if err == io.EOF {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("decompressing the kernel: %w", err)
		}
		keep = min(len(marker)-1, len(data))
		copy(buf, data[len(data)-keep:])
	}
}
