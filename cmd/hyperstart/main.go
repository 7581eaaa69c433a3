// Command hyperstart is the pod VM's init (/init in the initramfs); see
// package hyperstart.
package main

import (
	"os"

	"github.com/hyperbuild/hyper/hyperstart"
)

func main() {
	os.Exit(hyperstart.Main(os.Args))
}
