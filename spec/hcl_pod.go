package spec

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/suggest"
	"github.com/hyperbuild/hyper/layers/imageref"
)

// pod decodes, checks and resolves the pod block.
func (p *podDecoder) pod(b *hcl.Block) *contract.Pod {
	name := b.Labels[0]
	if err := checkName(name); err != nil {
		p.add(errorAt(b.LabelRanges[0], "Invalid pod name", "%s", sentence(err)))
	}
	pod := &contract.Pod{
		Version:   contract.Version,
		Name:      name,
		Hostname:  name,
		Resources: contract.Resources{CPUs: DefaultCPUs, MemoryMiB: DefaultMemoryMiB},
	}
	before := len(p.diags)
	c := p.content(b.Body, podSchema)
	if c == nil {
		return pod
	}
	bodyOK := !p.diags[before:].HasErrors()
	if a := c.Attributes["hostname"]; a != nil {
		if s, ok := p.str(a); ok && p.check(a, "Invalid hostname", checkHostname(s)) {
			pod.Hostname = s
		}
	}
	resourcesOK := true
	if a := c.Attributes["cpus"]; a != nil {
		var n int
		if p.decode(a, &n) && p.check(a, "Invalid cpus", contract.CheckCPUs(n)) {
			pod.Resources.CPUs = n
		} else {
			resourcesOK = false
		}
	}
	if a := c.Attributes["memory"]; a != nil {
		if n, ok := p.size(a); ok {
			switch {
			case n%(1<<20) != 0:
				p.add(errorAt(a.Expr.Range(), "Invalid memory", "A pod's memory is a whole number of MiB; %d bytes is not.", n))
			case p.check(a, "Invalid memory", contract.CheckMemoryMiB(n>>20)):
				pod.Resources.MemoryMiB = n >> 20
			default:
				resourcesOK = false
			}
		} else {
			resourcesOK = false
		}
	}
	// Enough memory for that many vCPUs: said at memory, else at cpus.
	if r := pod.Resources; resourcesOK {
		if a := c.Attributes["memory"]; a != nil {
			p.check(a, "Invalid memory", contract.CheckResources(r.CPUs, r.MemoryMiB))
		} else if a := c.Attributes["cpus"]; a != nil {
			p.check(a, "Invalid cpus", contract.CheckResources(r.CPUs, r.MemoryMiB))
		}
	}
	restart := DefaultRestart
	if a := c.Attributes["restart"]; a != nil {
		if s, ok := p.str(a); ok {
			r, err := parseRestart(s)
			if p.check(a, "Invalid restart policy", err) {
				restart = r
			}
		}
	}

	blocks := map[string]hcl.Blocks{}
	for _, blk := range c.Blocks {
		blocks[blk.Type] = append(blocks[blk.Type], blk)
	}
	if blk := p.single(blocks["kernel"]); blk != nil {
		pod.Kernel = p.kernel(blk)
	}
	if blk := p.single(blocks["network"]); blk != nil {
		pod.Network = p.network(blk)
	}
	vols := p.volumes(blocks["volume"], pod)
	if len(blocks["container"]) == 0 && bodyOK {
		p.add(errorAt(b.Body.MissingItemRange(), "Missing container block", `A pod runs at least one container: container "NAME" { image = "busybox:1.36" }.`))
	}
	names := map[string]hcl.Range{}
	for _, blk := range blocks["container"] {
		name := blk.Labels[0]
		if prev, ok := names[name]; ok {
			p.add(errorAt(blk.LabelRanges[0], "Duplicate container name", "Container %q is already defined at %s; container names are unique in a pod.", name, prev))
			continue
		}
		names[name] = blk.LabelRanges[0]
		pod.Containers = append(pod.Containers, p.container(blk, restart, vols))
	}
	p.files(blocks["file"], names, pod)
	p.ports(blocks["port"], pod)
	return pod
}

// single returns the only block of a kind that may appear once.
func (p *podDecoder) single(bs hcl.Blocks) *hcl.Block {
	if len(bs) == 0 {
		return nil
	}
	for _, b := range bs[1:] {
		p.add(errorAt(b.DefRange, fmt.Sprintf("Duplicate %s block", b.Type), "A pod has at most one %s block; the first is at %s.", b.Type, bs[0].DefRange))
	}
	return bs[0]
}

func (p *podDecoder) kernel(b *hcl.Block) contract.Kernel {
	var k contract.Kernel
	c := p.content(b.Body, kernelSchema)
	if c == nil {
		return k
	}
	if a := c.Attributes["cmdline"]; a != nil {
		k.Cmdline, _ = p.str(a)
	}
	if a := c.Attributes["path"]; a != nil {
		s, ok := p.str(a)
		if !ok {
			return k
		}
		if !filepath.IsAbs(s) {
			s = filepath.Join(p.dir, s)
		}
		fi, err := os.Stat(s)
		switch {
		case err != nil:
			p.add(errorAt(a.Expr.Range(), "Kernel not found", "Cannot use %s as the kernel (%v); a relative path is relative to the pod file's directory.", s, errors.Unwrap(err)))
		case !fi.Mode().IsRegular():
			p.add(errorAt(a.Expr.Range(), "Kernel not found", "%s is not a regular file.", s))
		default:
			k.Path = s
		}
	}
	if a := c.Attributes["image"]; a != nil {
		s, ok := p.str(a)
		switch {
		case !ok:
		case c.Attributes["path"] != nil:
			p.add(errorAt(a.Expr.Range(), "Two kernels", "Give the kernel as a path or as an image, not both."))
		case !kernelImageRef(s):
			p.add(errorAt(a.Expr.Range(), "Invalid kernel image", "%q is not a registry reference: write HOST/NAME:TAG or, pinned, HOST/NAME@sha256:DIGEST (as hyperbuild kernel --push prints it).", s))
		default:
			k.Image = s
		}
	}
	return k
}

// kernelImageRef reports whether s reads as a registry reference, as
// kernel images are pushed to one.
func kernelImageRef(s string) bool {
	r, err := imageref.Parse(s)
	return err == nil && r.Transport == imageref.Docker
}

func (p *podDecoder) network(b *hcl.Block) contract.Network {
	var n contract.Network
	c := p.content(b.Body, networkSchema)
	if c == nil {
		return n
	}
	if a := c.Attributes["address"]; a != nil {
		if s, ok := p.str(a); ok {
			if pfx, err := netip.ParsePrefix(s); err != nil || !pfx.Addr().Is4() {
				p.add(errorAt(a.Expr.Range(), "Invalid address", "%q is not an IPv4 address with a prefix length, such as \"10.0.2.15/24\".", s))
			} else {
				n.Address = pfx.String()
			}
		}
	}
	if a := c.Attributes["gateway"]; a != nil {
		if s, ok := p.str(a); ok {
			if ip, err := netip.ParseAddr(s); err != nil || !ip.Is4() {
				p.add(errorAt(a.Expr.Range(), "Invalid gateway", "%q is not an IPv4 address such as \"10.0.2.2\".", s))
			} else {
				n.Gateway = ip.String()
			}
		}
	}
	if a := c.Attributes["dns"]; a != nil {
		var dns []string
		if p.decode(a, &dns) {
			for _, s := range dns {
				if ip, err := netip.ParseAddr(s); err != nil {
					p.add(errorAt(a.Expr.Range(), "Invalid DNS server", "%q is not an IP address.", s))
				} else {
					n.DNS = append(n.DNS, ip.String())
				}
			}
		}
	}
	return n
}

func (p *podDecoder) files(bs hcl.Blocks, containers map[string]hcl.Range, pod *contract.Pod) {
	type key struct{ container, path string }
	seen := map[key]hcl.Range{}
	for _, b := range bs {
		f := contract.File{Path: b.Labels[0], Mode: DefaultFileMode}
		if err := checkAbsPath(f.Path); err != nil {
			p.add(errorAt(b.LabelRanges[0], "Invalid file path", "%s", sentence(err)))
		}
		c := p.content(b.Body, filePodSchema)
		if c == nil {
			continue
		}
		if a := c.Attributes["container"]; a != nil {
			if s, ok := p.str(a); ok {
				if _, known := containers[s]; !known {
					p.add(errorAt(a.Expr.Range(), "Unknown container", "The pod has no container %q%s; a file block names the container it is written into.", s, didYouMeanRange(s, containers)))
				}
				f.Container = s
			}
		} else if len(containers) == 1 {
			for name := range containers {
				f.Container = name
			}
		} else {
			p.add(errorAt(b.Body.MissingItemRange(), "Missing container", "The pod has %d containers; say which one this file goes into with container = \"NAME\".", len(containers)))
		}
		if a := c.Attributes["content"]; a != nil {
			if s, ok := p.str(a); ok {
				f.Content = []byte(s)
			}
		}
		if a := c.Attributes["mode"]; a != nil {
			if v, ok := p.eval(a); ok {
				if v.Type() != cty.String {
					p.add(errorAt(a.Expr.Range(), "Invalid file mode", "Write the mode as an octal string such as \"0644\", not a %s.", v.Type().FriendlyName()))
				} else if m, err := parseMode(v.AsString()); p.check(a, "Invalid file mode", err) {
					f.Mode = m
				}
			}
		}
		if a := c.Attributes["owner"]; a != nil {
			if s, ok := p.str(a); ok {
				uid, gid, err := parseOwner(s)
				if p.check(a, "Invalid file owner", err) {
					f.UID, f.GID = uid, gid
				}
			}
		}
		k := key{f.Container, f.Path}
		if prev, ok := seen[k]; ok && f.Container != "" {
			p.add(errorAt(b.LabelRanges[0], "Duplicate file", "File %s in container %q is already defined at %s.", f.Path, f.Container, prev))
			continue
		}
		seen[k] = b.LabelRanges[0]
		pod.Files = append(pod.Files, f)
	}
}

func (p *podDecoder) ports(bs hcl.Blocks, pod *contract.Pod) {
	type key struct {
		host  int
		proto string
	}
	seen := map[key]hcl.Range{}
	for _, b := range bs {
		c := p.content(b.Body, portSchema)
		if c == nil {
			continue
		}
		port := contract.Port{Protocol: DefaultProtocol}
		ok := true
		for _, f := range []struct {
			name string
			dst  *int
		}{{"host", &port.Host}, {"guest", &port.Guest}} {
			a := c.Attributes[f.name]
			if a == nil {
				ok = false
				continue
			}
			if !p.decode(a, f.dst) {
				ok = false
				continue
			}
			if err := checkPort(*f.dst); err != nil {
				p.add(errorAt(a.Expr.Range(), "Invalid port", "%s", sentence(err)))
				ok = false
			}
		}
		if a := c.Attributes["protocol"]; a != nil {
			if s, sok := p.str(a); sok {
				proto, err := parseProtocol(s)
				if p.check(a, "Invalid protocol", err) {
					port.Protocol = proto
				} else {
					ok = false
				}
			}
		}
		if a := c.Attributes["address"]; a != nil {
			if s, sok := p.str(a); sok {
				addr, err := parsePortAddress(s)
				if p.check(a, "Invalid listen address", err) {
					port.Address = addr
				} else {
					ok = false
				}
			}
		}
		if !ok {
			continue
		}
		k := key{port.Host, port.Protocol}
		rng := c.Attributes["host"].Expr.Range()
		if prev, dup := seen[k]; dup {
			p.add(errorAt(rng, "Duplicate port", "Host port %d/%s is already published at %s.", port.Host, port.Protocol, prev))
			continue
		}
		seen[k] = rng
		pod.Ports = append(pod.Ports, port)
	}
}

func didYouMeanRange(name string, known map[string]hcl.Range) string {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	if s := suggest.Closest(name, names, 4); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}
