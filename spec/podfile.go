package spec

import (
	"encoding/base64"
	"net/netip"

	"github.com/hashicorp/hcl/v2"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/layers/imageref"
)

// The podfile's objects, after hyperd's UserPod and friends.
var (
	pfPod = objectSchema{
		what:      "pod",
		supported: []string{"id", "hostname", "resource", "containers", "volumes", "files", "portmappings", "restartPolicy", "dns"},
		unsupported: map[string]string{
			"tty":        "attach a terminal with hyperboot's console instead",
			"type":       "hyper builds one kind of pod",
			"labels":     "labels have nowhere to go in a hyper image",
			"services":   "there is no service proxy in hyper pods",
			"interfaces": "hyper's guest has one network interface, set up by the runner",
			"log":        "container output goes to the console",
		},
	}
	pfResource  = objectSchema{what: "resource", supported: []string{"vcpu", "memory"}}
	pfContainer = objectSchema{
		what:      "container",
		supported: []string{"name", "image", "command", "entrypoint", "workdir", "envs", "restartPolicy", "volumes", "files", "user", "ulimits"},
		unsupported: map[string]string{
			"tty":    "containers share the console",
			"ports":  "publish ports with the pod's portmappings",
			"sysctl": "the hyperkernel's settings are fixed",
			"labels": "labels have nowhere to go in a hyper image",
		},
	}
	pfEnv = objectSchema{what: "envs entry", supported: []string{"env", "value"}}
	// hyperd's types.Ulimit spells its JSON keys Name, Hard, Soft; Hyper
	// read them with encoding/json, which matched any case.
	pfUlimit    = objectSchema{what: "ulimits entry", supported: []string{"Name", "Soft", "Hard", "name", "soft", "hard"}}
	pfUser      = objectSchema{what: "user", supported: []string{"name", "group"}, unsupported: map[string]string{"additionalGroups": "supplementary groups come from the image's /etc/group"}}
	pfVolumeRef = objectSchema{what: "container volumes entry", supported: []string{"path", "volume", "readOnly"}, unsupported: map[string]string{"detail": "volume details are decided by hyper"}}
	pfFileRef   = objectSchema{what: "container files entry", supported: []string{"path", "filename", "perm", "user", "group"}}
	pfVolume    = objectSchema{what: "volume", supported: []string{"name", "source", "driver", "size", "readOnly"}, unsupported: map[string]string{"option": "a volume's options are its driver, size, source and readOnly"}}
	pfFile      = objectSchema{what: "file", supported: []string{"name", "encoding", "uri", "content"}}
	pfPort      = objectSchema{what: "portmappings entry", supported: []string{"containerPort", "hostPort", "protocol"}}
)

// loadPodfile is the podfile front end: JSON with positions, then the
// same checks and defaults as the HCL front end.
func (l *Loader) loadPodfile(name, dir string, src []byte) (*contract.Pod, hcl.Diagnostics) {
	l.json[name] = &hcl.File{Bytes: src}
	root, diags := parseJSON(name, src)
	if diags.HasErrors() {
		return nil, diags
	}
	if len(l.opts.vars) > 0 || len(l.opts.varFiles) > 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Variables in a podfile", Detail: "-var and -var-file apply to HCL pod files; Hyper's podfile.json has no variables."}}
	}
	d := &pfDecoder{dir: dir}
	pod := d.pod(root)
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	return pod, d.diags
}

func (d *pfDecoder) pod(root *jnode) *contract.Pod {
	pod := &contract.Pod{
		Version:   contract.Version,
		Resources: contract.Resources{CPUs: DefaultCPUs, MemoryMiB: DefaultMemoryMiB},
	}
	f := d.fields(root, pfPod)
	if f == nil {
		return pod
	}
	if s, ok := d.str(f["id"]); ok {
		if d.check(f["id"].val, "Invalid pod name", checkName(s)) {
			pod.Name = s
		}
	} else if f["id"] == nil || f["id"].val.kind == jNull {
		d.add(errorAt(root.head(), "Missing pod id", `A podfile names its pod with "id": "NAME".`))
	}
	pod.Hostname = pod.Name
	if s, ok := d.str(f["hostname"]); ok && d.check(f["hostname"].val, "Invalid hostname", checkHostname(s)) {
		pod.Hostname = s
	}
	if r := f["resource"]; r != nil {
		d.resource(r.val, &pod.Resources)
	}
	if dns, ok := d.strList(f["dns"]); ok {
		for i, s := range dns {
			if ip, err := netip.ParseAddr(s); err != nil {
				d.add(errorAt(f["dns"].val.elems[i].rng, "Invalid DNS server", "%q is not an IP address.", s))
			} else {
				pod.Network.DNS = append(pod.Network.DNS, ip.String())
			}
		}
	}
	restart := DefaultRestart
	if s, ok := d.str(f["restartPolicy"]); ok {
		if r, err := parseHyperRestart(s); d.check(f["restartPolicy"].val, "Invalid restart policy", err) {
			restart = r
		}
	}
	files := d.podFiles(d.array(f["files"]))
	vols := d.volumes(d.array(f["volumes"]), pod)
	cs := d.array(f["containers"])
	if len(cs) == 0 {
		d.add(errorAt(root.head(), "Missing containers", `A pod runs at least one container: "containers": [{"name": "NAME", "image": "busybox:1.36"}].`))
	}
	names := map[string]hcl.Range{}
	for _, c := range cs {
		d.container(c, restart, vols, files, names, pod)
	}
	d.ports(d.array(f["portmappings"]), pod)
	return pod
}

func (d *pfDecoder) resource(n *jnode, r *contract.Resources) {
	f := d.fields(n, pfResource)
	if v, ok := d.integer(f["vcpu"]); ok && d.check(f["vcpu"].val, "Invalid vcpu", contract.CheckCPUs(v)) {
		r.CPUs = v
	}
	if v, ok := d.integer(f["memory"]); ok {
		if err := contract.CheckMemoryMiB(int64(v)); err != nil {
			d.add(errorAt(f["memory"].val.rng, "Invalid memory", "%s A podfile's memory is in MiB, as in Hyper.", sentence(err)))
		} else {
			r.MemoryMiB = int64(v)
		}
	}
	// Enough memory for that many vCPUs; the individual checks above
	// already reported a value out of its own range.
	if contract.CheckCPUs(r.CPUs) == nil && contract.CheckMemoryMiB(r.MemoryMiB) == nil {
		if err := contract.CheckResources(r.CPUs, r.MemoryMiB); err != nil {
			at := f["memory"]
			if at == nil {
				at = f["vcpu"]
			}
			if at != nil {
				d.add(errorAt(at.val.rng, "Invalid memory", "%s", sentence(err)))
			}
		}
	}
}

// podFile is a pod-level file entry, written into containers by name.
type podFile struct {
	content []byte
	rng     hcl.Range
}

func (d *pfDecoder) podFiles(ns []*jnode) map[string]podFile {
	out := map[string]podFile{}
	for _, n := range ns {
		f := d.fields(n, pfFile)
		if f == nil {
			continue
		}
		name, ok := d.str(f["name"])
		if !ok {
			d.add(errorAt(n.head(), "Missing file name", `A file entry needs "name", which container files entries refer to.`))
			continue
		}
		if prev, dup := out[name]; dup {
			d.add(errorAt(f["name"].val.rng, "Duplicate file name", "File %q is already defined at %s.", name, prev.rng))
			continue
		}
		if s, ok := d.str(f["uri"]); ok && s != "" {
			d.add(errorAt(f["uri"].val.rng, "Unsupported podfile field", `Field "uri" of a file is not supported by hyper yet: the build does not fetch files; put the data in "content".`))
			continue
		}
		content, _ := d.str(f["content"])
		pf := podFile{content: []byte(content), rng: f["name"].val.rng}
		switch enc, _ := d.str(f["encoding"]); enc {
		case "", "raw":
		case "base64":
			b, err := base64.StdEncoding.DecodeString(content)
			if err != nil {
				// Only present content can fail: "" decodes to nothing.
				d.check(f["content"].val, "Invalid base64", err)
				continue
			}
			pf.content = b
		default:
			d.add(errorAt(f["encoding"].val.rng, "Invalid encoding", "A file's encoding is \"raw\" or \"base64\", not %q.", enc))
			continue
		}
		out[name] = pf
	}
	return out
}

func (d *pfDecoder) ports(ns []*jnode, pod *contract.Pod) {
	type key struct {
		host  int
		proto string
	}
	seen := map[key]hcl.Range{}
	for _, n := range ns {
		f := d.fields(n, pfPort)
		if f == nil {
			continue
		}
		port := contract.Port{Protocol: DefaultProtocol}
		ok := true
		for _, x := range []struct {
			key string
			dst *int
		}{{"containerPort", &port.Guest}, {"hostPort", &port.Host}} {
			v, vok := d.integer(f[x.key])
			switch {
			case f[x.key] == nil:
				d.add(errorAt(n.head(), "Missing port", "A portmappings entry needs %q.", x.key))
				ok = false
			case !vok:
				ok = false
			case !d.check(f[x.key].val, "Invalid port", checkPort(v)):
				ok = false
			default:
				*x.dst = v
			}
		}
		if s, sok := d.str(f["protocol"]); sok {
			p, err := parseProtocol(s)
			if d.check(f["protocol"].val, "Invalid protocol", err) {
				port.Protocol = p
			} else {
				ok = false
			}
		}
		if !ok {
			continue
		}
		rng := f["hostPort"].val.rng
		if prev, dup := seen[key{port.Host, port.Protocol}]; dup {
			d.add(errorAt(rng, "Duplicate port", "Host port %d/%s is already published at %s.", port.Host, port.Protocol, prev))
			continue
		}
		seen[key{port.Host, port.Protocol}] = rng
		pod.Ports = append(pod.Ports, port)
	}
}

// parseHyperRestart accepts Hyper's spelling "onFailure" too.
func parseHyperRestart(s string) (contract.RestartPolicy, error) {
	if s == "onFailure" {
		return contract.RestartOnFailure, nil
	}
	return parseRestart(s)
}

func image(s string, dir string) (string, error) {
	ref, err := imageref.Parse(s)
	if err != nil {
		return "", err
	}
	return ref.Resolve(dir).String(), nil
}
