//go:build tools

package hyper

import (
	_ "github.com/bobuhiro11/gokvm/kvm"
	_ "github.com/cavaliergopher/cpio"
	_ "github.com/diskfs/go-diskfs"
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/google/go-containerregistry/pkg/registry"
	_ "github.com/hashicorp/hcl/v2"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/spf13/cobra"
	_ "github.com/u-root/u-root/pkg/cpio"
	_ "github.com/vbauerster/mpb/v8"
	_ "github.com/klauspost/compress/zstd"
	_ "golang.org/x/sys/unix"
)
