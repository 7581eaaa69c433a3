package disk

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// extractPart copies a partition out of the image into its own file.
func extractPart(t *testing.T, img string, p PartitionInfo) string {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, p.Size)
	if _, err := f.ReadAt(buf, p.Start); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, filepath.Join(t.TempDir(), p.Name+".img"), buf)
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestToolsAgree checks the artifact with the reference tools: sgdisk for
// the GPT, fsck.fat and mtools for the ESP, e2fsck for the pod partition.
func TestToolsAgree(t *testing.T) {
	a, loader := inputs(t)
	out := buildImage(t, a, loader)
	img, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	parts := img.Partitions()

	t.Run("sgdisk", func(t *testing.T) {
		need(t, "sgdisk")
		if v := run(t, "sgdisk", "-v", out); !strings.Contains(v, "No problems found") {
			t.Errorf("sgdisk -v:\n%s", v)
		}
		p := run(t, "sgdisk", "-p", out)
		for _, want := range []string{"EF00  hyper-efi", "8300  hyper-pod", "   1            2048 "} {
			if !strings.Contains(p, want) {
				t.Errorf("sgdisk -p lacks %q:\n%s", want, p)
			}
		}
	})
	t.Run("fdisk", func(t *testing.T) {
		need(t, "fdisk")
		l := run(t, "fdisk", "-l", out)
		for _, want := range []string{"Disklabel type: gpt", " 2048 ", "EFI System", "Linux filesystem"} {
			if !strings.Contains(l, want) {
				t.Errorf("fdisk -l lacks %q:\n%s", want, l)
			}
		}
	})
	t.Run("fsck.fat", func(t *testing.T) {
		need(t, "fsck.fat")
		esp := extractPart(t, out, parts[0])
		v := run(t, "fsck.fat", "-n", "-v", esp)
		for _, bad := range []string{"Fixing", "uninitialized", "differ", "Invalid"} {
			if strings.Contains(v, bad) {
				t.Errorf("fsck.fat -n reports %q:\n%s", bad, v)
			}
		}
		for _, want := range []string{"32 bit entries", "2048 hidden sectors"} {
			if !strings.Contains(v, want) {
				t.Errorf("fsck.fat -v lacks %q:\n%s", want, v)
			}
		}
		var clusters int
		for _, l := range strings.Split(v, "\n") {
			if strings.HasSuffix(strings.TrimSpace(l), ")") && strings.Contains(l, "data clusters") {
				fmt.Sscan(l, &clusters)
			}
		}
		if clusters < fat32MinClusters {
			t.Errorf("fsck.fat: %d data clusters, firmware reads under %d as FAT16:\n%s", clusters, fat32MinClusters, v)
		}
	})
	t.Run("mtools", func(t *testing.T) {
		need(t, "mdir", "mtype")
		esp := extractPart(t, out, parts[0])
		dir := run(t, "mdir", "-i", esp, "-/", "::/")
		for _, want := range []string{"HYPER-EFI", "bzImage", "initrd.img", "manifest.json", "BOOTX64  EFI", "hyper.conf", "2024-05-06   7:08"} {
			if !strings.Contains(dir, want) {
				t.Errorf("mdir lacks %q:\n%s", want, dir)
			}
		}
		if got := run(t, "mtype", "-i", esp, "::/hyper/cmdline"); got != a.Cmdline+"\n" {
			t.Errorf("mtype cmdline = %q", got)
		}
	})
	t.Run("e2fsck", func(t *testing.T) {
		need(t, "e2fsck", "mke2fs")
		pod := extractPart(t, out, parts[1])
		run(t, "e2fsck", "-fn", pod)
		if l := run(t, "e2label", pod); strings.TrimSpace(l) != "hyper-pod" {
			t.Errorf("e2label = %q", l)
		}
	})
}
