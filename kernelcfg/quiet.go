package kernelcfg

import "strings"

// QuietNoise are the lines a healthy hyperkernel prints on the console even
// with `quiet`: they are KERN_ERR, which quiet does not hide, and they are
// harmless. A runner that wants a silent console drops them (IsQuietNoise).
var QuietNoise = []string{
	// microvm has no PCI config space (unless pcie=on); pci=off does not
	// silence it.
	"PCI: Fatal: No config space access function found",
	// KVM_INTEL and KVM_AMD are both built in: the one that does not match
	// the CPU (or both, without nested virtualization) says so at boot.
	"kvm: no hardware support for 'kvm_intel'",
	"kvm: no hardware support for 'kvm_amd'",
}

// IsQuietNoise reports whether a console line is one of QuietNoise.
func IsQuietNoise(line string) bool {
	line = strings.TrimRight(line, "\r\n ")
	for _, n := range QuietNoise {
		if strings.HasSuffix(line, n) {
			return true
		}
	}
	return false
}
