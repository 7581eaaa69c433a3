package contract

import "strings"

// The console line grammar. Everything the guest prints goes through one
// serial console; the host splits it again by these rules:
//
//	NAME | TEXT              a line of container NAME's stdout
//	NAME ! TEXT              a line of container NAME's stderr
//	hyperstart: TEXT         hyperstart's own message (the host's stderr)
//	hyperstart: [ 0.412s] …  a debug step (hyper.debug; the trace)
//	HYPER-POD-EXIT status=N  the pod's exit status, the last line
//
// and anything else is the kernel's (the host's stderr). hyperstart always
// prefixes container lines, even in a pod of one container, so that the
// host can tell them from the kernel's; the host shows the prefix only
// when the pod has more than one container.
const (
	// StdoutSep separates a container's name from a line of its stdout.
	StdoutSep = " | "
	// StderrSep separates a container's name from a line of its stderr.
	StderrSep = " ! "
	// HyperstartPrefix starts hyperstart's own messages.
	HyperstartPrefix = "hyperstart: "
	// DebugPrefix starts hyperstart's debug steps ("hyperstart: [ 0.412s] mount proc").
	DebugPrefix = "hyperstart: ["
)

// Stream is which of a container's outputs a line came from.
type Stream int

// The streams.
const (
	Stdout Stream = 1
	Stderr Stream = 2
)

// LinePrefix is what hyperstart puts before each line of container name's
// stream.
func LinePrefix(name string, s Stream) string {
	if s == Stderr {
		return name + StderrSep
	}
	return name + StdoutSep
}

// ParseContainerLine splits a console line into container name, stream
// and text (the rest of the line, newline included). ok is false when the
// line does not start with a name and a separator; the caller must still
// check the name against the pod's containers.
func ParseContainerLine(line string) (name string, s Stream, text string, ok bool) {
	i := strings.IndexByte(line, ' ')
	if i <= 0 || len(line) < i+3 {
		return "", 0, "", false
	}
	switch line[i : i+3] {
	case StdoutSep:
		s = Stdout
	case StderrSep:
		s = Stderr
	default:
		return "", 0, "", false
	}
	return line[:i], s, line[i+3:], true
}

// KernelNoise are the lines a healthy hyperkernel prints on the console
// even with `quiet`: they are KERN_ERR, which quiet does not hide, and they
// are harmless. The host drops them from what it shows (IsKernelNoise).
var KernelNoise = []string{
	// microvm has no PCI config space (unless pcie=on); pci=off does not
	// silence it.
	"PCI: Fatal: No config space access function found",
	// KVM_INTEL and KVM_AMD are both built in: the one that does not match
	// the CPU (or both, without nested virtualization) says so at boot.
	"kvm: no hardware support for 'kvm_intel'",
	"kvm: no hardware support for 'kvm_amd'",
}

// IsKernelNoise reports whether a console line (with or without its
// kernel timestamp) is one of KernelNoise.
func IsKernelNoise(line string) bool {
	line = strings.TrimRight(line, "\r\n ")
	for _, n := range KernelNoise {
		if strings.HasSuffix(line, n) {
			return true
		}
	}
	return false
}
