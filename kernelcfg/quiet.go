package kernelcfg

import "github.com/hyperbuild/hyper/contract"

// QuietNoise are the lines a healthy hyperkernel prints on the console even
// with `quiet`. They belong to the console grammar, which host and guest
// share: contract.KernelNoise.
var QuietNoise = contract.KernelNoise

// IsQuietNoise reports whether a console line is one of QuietNoise
// (contract.IsKernelNoise).
func IsQuietNoise(line string) bool { return contract.IsKernelNoise(line) }
