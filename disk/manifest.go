package disk

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// Manifest describes an artifact; it is stored as /hyper/manifest.json in
// the ESP (manifest.json in the directory format).
type Manifest struct {
	Pod          string              `json:"pod"`
	Hostname     string              `json:"hostname,omitempty"`
	Built        time.Time           `json:"built"`
	HyperVersion string              `json:"hyper_version"`
	Kernel       KernelInfo          `json:"kernel"`
	Cmdline      string              `json:"cmdline"`
	Containers   []ManifestContainer `json:"containers"`
	Ports        []contract.Port     `json:"ports,omitempty"`
	// Volumes are the pod's volumes (without seeds): the runner binds the
	// disk and host ones to host paths before boot.
	Volumes   []contract.Volume  `json:"volumes,omitempty"`
	Resources contract.Resources `json:"resources"`
	// Bootloader is "systemd-boot" when the artifact boots on UEFI
	// machines, "systemd-boot+syslinux" when it boots on legacy-BIOS
	// ones too (WithBIOSBoot), empty when only hyperboot can boot it.
	Bootloader string `json:"bootloader,omitempty"`
	Sizes      Sizes  `json:"sizes"`
}

// KernelInfo identifies the kernel inside the artifact.
type KernelInfo struct {
	Version    string `json:"version"`
	ConfigHash string `json:"config_hash,omitempty"`
}

// ManifestContainer is one container, its resolved image and command.
type ManifestContainer struct {
	Name   string   `json:"name"`
	Image  string   `json:"image"`
	Digest string   `json:"digest,omitempty"`
	Args   []string `json:"args,omitempty"`
	// StopTimeout is the container's grace after its stop signal; the
	// runner derives the VM's stop timeout from it. Zero (an artifact
	// from before it was recorded): contract.DefaultStopTimeout.
	StopTimeout contract.Duration `json:"stop_timeout,omitempty"`
	// Mounts are where the container mounts the pod's volumes (hyperboot
	// -v HOSTDIR:/path finds the volume by its path).
	Mounts []contract.Mount `json:"mounts,omitempty"`
}

// Sizes are the byte sizes of the artifact's parts, filled in when it is
// written. ESP and Image are zero in the directory format.
type Sizes struct {
	Kernel int64 `json:"kernel"`
	Initrd int64 `json:"initrd"`
	PodFS  int64 `json:"pod_fs"`
	ESP    int64 `json:"esp,omitempty"`
	Image  int64 `json:"image,omitempty"`
}

// ManifestFor fills a manifest's pod fields (name, hostname, containers
// with their digests, final arguments, stop timeouts and mounts, ports,
// volumes, resources) from pod;
// the caller adds the build time, versions and kernel.
func ManifestFor(pod *contract.Pod) Manifest {
	m := Manifest{Pod: pod.Name, Hostname: pod.Hostname, Ports: pod.Ports, Resources: pod.Resources}
	for _, v := range pod.Volumes {
		v.Seed = "" // a host path of the build's, no use to a run
		m.Volumes = append(m.Volumes, v)
	}
	for _, c := range pod.Containers {
		mc := ManifestContainer{Name: c.Name, Image: c.Image, Digest: c.Digest, StopTimeout: c.StopTimeout, Mounts: c.Mounts}
		if c.Process != nil {
			mc.Args = c.Process.Args
		}
		m.Containers = append(m.Containers, mc)
	}
	return m
}

// encode is the manifest's one on-disk form: indented JSON, build time in
// UTC seconds (RFC 3339), trailing newline.
func (m Manifest) encode() ([]byte, error) {
	m.Built = m.Built.UTC().Truncate(time.Second)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the manifest: %w", err)
	}
	return append(b, '\n'), nil
}

func decodeManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("decoding manifest.json: %w", err)
	}
	return m, nil
}
