package formats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

var execLookPath = exec.LookPath

// qemuImg runs qemu-img with args; its output is kept for the error.
func (o options) runQEMUImg(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, o.qemuImg, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s %s: %w: %s", o.qemuImg, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// qcow2 compresses every cluster (-c, zlib) and leaves zero clusters out.
// qemu-img writes clusters in order (no -W), so the file is reproducible.
func (o options) qcow2(ctx context.Context, raw, out string) error {
	return o.runQEMUImg(ctx, "convert", "-q", "-f", "raw", "-O", "qcow2", "-c", "-o", "compat=1.1", raw, out)
}

// vmdk writes a stream-optimized VMDK (what AWS import-image and VMware
// take), then replaces the random content ID in its descriptor with one
// derived from the file, so that the same input gives the same bytes.
func (o options) vmdk(ctx context.Context, raw, out string) error {
	if err := o.runQEMUImg(ctx, "convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, out); err != nil {
		return err
	}
	return fixVMDKCID(out)
}

// fixVMDKCID rewrites the "CID=xxxxxxxx" line of the descriptor that a
// VMDK4 header points at (sectors descriptorOffset..+descriptorSize).
func fixVMDKCID(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var hdr [512]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return fmt.Errorf("reading the VMDK header: %w", err)
	}
	if string(hdr[0:4]) != "KDMV" {
		return fmt.Errorf("qemu-img wrote no VMDK4 header")
	}
	descOff := int64(binary.LittleEndian.Uint64(hdr[28:36])) * 512
	descLen := int64(binary.LittleEndian.Uint64(hdr[36:44])) * 512
	if descOff <= 0 || descLen <= 0 || descLen > 1<<20 {
		return fmt.Errorf("VMDK descriptor at %d, %d bytes: not what qemu-img writes", descOff, descLen)
	}
	desc := make([]byte, descLen)
	if _, err := f.ReadAt(desc, descOff); err != nil {
		return fmt.Errorf("reading the VMDK descriptor: %w", err)
	}
	// qemu-img prints the random CID without leading zeros ("CID=7d8c2d"
	// one time in sixteen): the line is rewritten with 8 digits, the
	// descriptor's NUL padding giving or taking the difference.
	i := bytes.Index(desc, []byte("\nCID="))
	if i < 0 {
		return fmt.Errorf("VMDK descriptor has no CID line")
	}
	end := bytes.IndexByte(desc[i+5:], '\n')
	if end < 1 || end > 8 {
		return fmt.Errorf("VMDK descriptor's CID line is not 1 to 8 hex digits")
	}
	fixed := append(append(append([]byte{}, desc[:i+5]...), "00000000"...), desc[i+5+end:]...)
	if cut := fixed[descLen:]; len(cut) > 0 {
		if len(bytes.Trim(cut, "\x00")) > 0 {
			return fmt.Errorf("VMDK descriptor has no room for an 8-digit CID")
		}
		fixed = fixed[:descLen]
	}
	if _, err := f.WriteAt(fixed, descOff); err != nil {
		return err
	}
	at := descOff + int64(i) + 5
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return fmt.Errorf("hashing the VMDK: %w", err)
	}
	cid := binary.BigEndian.Uint32(h.Sum(nil))
	if cid >= 0xfffffffe { // "no parent" and "invalid" in VMware's spec
		cid = 1
	}
	_, err = f.WriteAt([]byte(fmt.Sprintf("%08x", cid)), at)
	return err
}
