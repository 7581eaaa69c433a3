package kernelcfg

import (
	"regexp"
	"strings"
	"testing"
)

// fragmentLines maps each option line of the fragment to true.
func fragmentLines(t *testing.T) map[string]bool {
	t.Helper()
	lines := map[string]bool{}
	for _, l := range strings.Split(Fragment(), "\n") {
		if strings.HasPrefix(l, "CONFIG_") || strings.HasSuffix(l, " is not set") {
			if lines[l] {
				t.Errorf("fragment repeats %q", l)
			}
			lines[l] = true
		}
	}
	return lines
}

func TestFragmentCoversEveryFeature(t *testing.T) {
	lines := fragmentLines(t)
	for _, f := range Features {
		for _, o := range f.Options {
			if l := parseSetting(o).Line(); !lines[l] {
				t.Errorf("feature %q: fragment lacks %q", f.Name, l)
			}
		}
	}
	for _, o := range Trim {
		if l := parseSetting(o).Line(); !lines[l] {
			t.Errorf("trim: fragment lacks %q", l)
		}
	}
}

func TestFragmentHasNothingUnasked(t *testing.T) {
	asked := map[string]bool{}
	for _, f := range Features {
		for _, o := range f.Options {
			asked[parseSetting(o).Line()] = true
		}
	}
	for _, o := range Trim {
		asked[parseSetting(o).Line()] = true
	}
	for l := range fragmentLines(t) {
		if !asked[l] {
			t.Errorf("fragment has %q, which no feature and no trim entry asks for", l)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(Fragment()), "\n") {
		if !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "CONFIG_") {
			t.Errorf("fragment line %q is neither an option nor a comment", l)
		}
	}
}

var optionName = regexp.MustCompile(`^[A-Z0-9_]+$`)

func TestFeaturesWellFormed(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("conflicting settings: %v", r)
		}
	}()
	Settings()
	for _, f := range Features {
		if f.Name == "" || len(f.Options) == 0 {
			t.Errorf("feature %+v: needs a name and options", f)
		}
		for _, o := range f.Options {
			if s := parseSetting(o); !optionName.MatchString(s.Name) || strings.HasPrefix(s.Name, "CONFIG_") {
				t.Errorf("feature %q: option %q: write it without CONFIG_, in capitals", f.Name, o)
			}
		}
	}
	for _, o := range Trim {
		if s := parseSetting(o); s.Value != "n" || !optionName.MatchString(s.Name) {
			t.Errorf("trim entry %q: want NAME=n", o)
		}
	}
}

// TestGuestContract pins the options other packages depend on.
func TestGuestContract(t *testing.T) {
	want := map[string]string{
		"64BIT": "y", "SLUB": "y", "KERNEL_GZIP": "y", "SLOB": "n", "KERNEL_XZ": "n",
		"DEVPORT": "y", "SERIAL_8250_CONSOLE": "y", "EFI_STUB": "y", "PVH": "y", "KVM_GUEST": "y",
		"KVM": "y", "KVM_AMD": "y", "KVM_INTEL": "y", "OVERLAY_FS": "y", "EXT4_FS": "y",
		"VIRTIO_PCI": "y", "VIRTIO_MMIO": "y", "VIRTIO_BLK": "y", "VIRTIO_NET": "y",
		"VIRTIO_CONSOLE": "y", "VIRTIO_VSOCKETS": "y", "HW_RANDOM_VIRTIO": "y",
		"CGROUPS": "y", "MEMCG": "y", "PID_NS": "y", "NET_NS": "y", "USER_NS": "y",
		"DEVTMPFS": "y", "TMPFS": "y", "ACPI_BUTTON": "y", "INPUT_EVDEV": "y",
		"BLK_DEV_INITRD": "y", "RD_GZIP": "y", "RD_ZSTD": "y", "PACKET": "y", "UNIX": "y",
		"FUTEX": "y", "EPOLL": "y", "EFI_PARTITION": "y", "IPV6": "y", "VT": "n", "VIRTIO_FS": "y",
	}
	got := map[string]string{}
	for _, s := range Settings() {
		got[s.Name] = s.Value
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("CONFIG_%s = %q, want %q", name, got[name], v)
		}
	}
}
