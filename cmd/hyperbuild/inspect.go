package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/formats"
	"github.com/hyperbuild/hyper/internal/units"
)

func newInspect(stdout io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect OUT.img|DIR",
		Short: "Show what an artifact holds",
		Long: `inspect reads an artifact (a raw image, or a --format dir directory) without
mounting it and shows its partitions, its manifest (pod, build time, kernel,
command line) and each container's image and digest.`,
		Example: `  hyperbuild inspect web.img
  hyperbuild inspect --json web.img | jq .manifest.containers`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			img, err := disk.Open(args[0])
			if f, ok := formats.Detect(args[0]); err != nil && ok {
				return fmt.Errorf("%s is a --format %s artifact; inspect reads raw and dir artifacts, so inspect the raw image it was made from (or build one with --format raw)", args[0], f)
			}
			if err != nil {
				return err
			}
			defer img.Close()
			m := img.Manifest()
			parts := img.Partitions()
			if asJSON {
				b, err := json.MarshalIndent(struct {
					Manifest   disk.Manifest        `json:"manifest"`
					Partitions []disk.PartitionInfo `json:"partitions,omitempty"`
				}{m, parts}, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(stdout, "%s\n", b)
				return err
			}
			fmt.Fprintf(stdout, "artifact:  %s\n", args[0])
			fmt.Fprintf(stdout, "pod:       %s (hostname %s)\n", m.Pod, m.Hostname)
			fmt.Fprintf(stdout, "built:     %s by hyper %s\n", m.Built.Format("2006-01-02T15:04:05Z07:00"), m.HyperVersion)
			fmt.Fprintf(stdout, "kernel:    %s (config %s)\n", m.Kernel.Version, short(m.Kernel.ConfigHash))
			fmt.Fprintf(stdout, "cmdline:   %s\n", m.Cmdline)
			fmt.Fprintf(stdout, "resources: %d cpu(s), %d MiB\n", m.Resources.CPUs, m.Resources.MemoryMiB)
			for _, c := range m.Containers {
				fmt.Fprintf(stdout, "container: %s  %s@%s\n           %s\n", c.Name, c.Image, c.Digest, strings.Join(c.Args, " "))
			}
			for _, p := range m.Ports {
				if p.Host == 0 {
					p.Host = p.Guest // as hyperboot publishes it
				}
				// Where it listens: contract.DefaultPortAddress unless the pod file says.
				fmt.Fprintf(stdout, "port:      %s\n", p)
			}
			for _, v := range m.Volumes {
				fmt.Fprintf(stdout, "volume:    %s\n", volumeLine(v, args[0]))
			}
			for _, p := range parts {
				fmt.Fprintf(stdout, "partition: %d %-10s %-16s at %s, %s\n", p.Index, p.Name, typeName(p.Type), units.Human(p.Start), units.Human(p.Size))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// volumeLine says what a volume is and, for a disk, where its data disk
// is by default.
func volumeLine(v contract.Volume, artifact string) string {
	switch v.Type {
	case contract.VolumeDisk:
		return fmt.Sprintf("%s disk %s, data disk %s (or hyperboot -v %s=PATH)", v.Name, units.Human(v.SizeBytes), disk.DataDiskPath(artifact, v.Name), v.Name)
	case contract.VolumeHost:
		ro := ""
		if v.ReadOnly {
			ro = " read-only"
		}
		return fmt.Sprintf("%s host%s, bound with hyperboot -v DIR:%s", v.Name, ro, v.Name)
	}
	if v.SizeBytes > 0 {
		return fmt.Sprintf("%s tmpfs %s", v.Name, units.Human(v.SizeBytes))
	}
	return v.Name + " tmpfs"
}

func short(h string) string {
	if len(h) > 19 {
		return h[:19]
	}
	return h
}

// typeName names the GPT partition types an artifact uses.
func typeName(guid string) string {
	switch strings.ToUpper(guid) {
	case "C12A7328-F81F-11D2-BA4B-00A0C93EC93B":
		return "EFI System"
	case "0FC63DAF-8483-4772-8E79-3D69D8477DE4":
		return "Linux filesystem"
	}
	return guid
}
