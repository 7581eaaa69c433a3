package main

import (
	"os"

	"github.com/hyperbuild/hyper/hyperstart"
)

func main() {
	os.Exit(hyperstart.Main(os.Args))
}
