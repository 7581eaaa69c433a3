package main

import (
	"fmt"
	"os"

	"github.com/hyperbuild/hyper/internal/testimage"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "mkimage: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 || args[0] != "busybox" {
		return fmt.Errorf("usage: mkimage busybox DIR [TAG]")
	}
	tag := "latest"
	if len(args) > 2 {
		tag = args[2]
	}
	return WriteBusybox(args[1], tag)
}

// WriteBusybox replaces dir with an OCI layout holding busybox as tag.
func WriteBusybox(dir, tag string) error {
	ref, err := testimage.BusyboxLayout(dir, tag)
	if err != nil {
		return err
	}
	fmt.Printf("wrote busybox as %s\n", ref)
	return nil
}
