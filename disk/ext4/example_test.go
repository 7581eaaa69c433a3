package ext4_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"log"
	"os"

	"github.com/hyperbuild/hyper/disk/ext4"
)

func ExampleNewWriter() {
	var rootfs bytes.Buffer
	tw := tar.NewWriter(&rootfs)
	tw.WriteHeader(&tar.Header{Name: "etc/hostname", Mode: 0o644, Size: 4})
	tw.Write([]byte("web\n"))
	tw.Close()

	f, err := os.CreateTemp("", "pod-*.ext4")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()

	w, err := ext4.NewWriter(f, ext4.WithLabel("hyper-pod"))
	if err != nil {
		log.Fatal(err)
	}
	if err := w.AddTar("containers/web/rootfs", &rootfs); err != nil {
		log.Fatal(err)
	}
	st, err := w.Close()
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Truncate(st.Size); err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.UsedInodes, "inodes used,", st.Size, "bytes")
	// Output: 16 inodes used, 1241088 bytes
}
