package spec

import (
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/hyperbuild/hyper/contract"
)

// container reads one containers entry into pod.Containers (and its
// files into pod.Files).
func (d *pfDecoder) container(n *jnode, restart contract.RestartPolicy, vols map[string]hcl.Range, files map[string]podFile, names map[string]hcl.Range, pod *contract.Pod) {
	f := d.fields(n, pfContainer)
	if f == nil {
		return
	}
	ct := contract.Container{
		Platform:    DefaultPlatform,
		Restart:     restart,
		StopTimeout: contract.Duration(DefaultStopTimeout),
	}
	name, ok := d.str(f["name"])
	if !ok {
		d.add(errorAt(n.head(), "Missing container name", `Each container needs "name"; hyper uses it for its directory and in messages.`))
		return
	}
	rng := f["name"].val.rng
	if !d.check(f["name"].val, "Invalid container name", checkName(name)) {
		return
	}
	if prev, dup := names[name]; dup {
		d.add(errorAt(rng, "Duplicate container name", "Container %q is already defined at %s; container names are unique in a pod.", name, prev))
		return
	}
	names[name] = rng
	ct.Name = name
	if s, ok := d.str(f["image"]); ok {
		img, err := image(s, d.dir)
		if d.check(f["image"].val, "Invalid image reference", err) {
			ct.Image = img
		}
	} else if f["image"] == nil || f["image"].val.kind == jNull {
		d.add(errorAt(f["name"].keyRng, "Missing image", "Container %q needs \"image\", e.g. \"busybox:1.36\".", name))
	}
	if v, ok := d.strList(f["entrypoint"]); ok {
		ct.Entrypoint = v
	}
	if v, ok := d.strList(f["command"]); ok {
		ct.Command = v
	}
	if s, ok := d.str(f["workdir"]); ok && s != "" {
		if !strings.HasPrefix(s, "/") || strings.ContainsRune(s, 0) {
			d.add(errorAt(f["workdir"].val.rng, "Invalid workdir", "The working directory must be an absolute path, such as \"/app\", not %q.", s))
		} else {
			ct.Workdir = path.Clean(s)
		}
	}
	if s, ok := d.str(f["restartPolicy"]); ok {
		if r, err := parseHyperRestart(s); d.check(f["restartPolicy"].val, "Invalid restart policy", err) {
			ct.Restart = r
		}
	}
	if u := f["user"]; u != nil && u.val.kind != jNull {
		ct.User = d.user(u.val)
	}
	ct.Env = d.envs(d.array(f["envs"]))
	ct.Ulimits = d.ulimits(d.array(f["ulimits"]))
	ct.Mounts = d.mounts(d.array(f["volumes"]), vols)
	d.fileRefs(d.array(f["files"]), name, files, pod)
	pod.Containers = append(pod.Containers, ct)
}

func (d *pfDecoder) user(n *jnode) string {
	f := d.fields(n, pfUser)
	name, _ := d.str(f["name"])
	group, _ := d.str(f["group"])
	u := name
	if group != "" {
		u += ":" + group
	}
	if u != "" {
		d.check(n, "Invalid user", checkUser(u))
	}
	return u
}

func (d *pfDecoder) envs(ns []*jnode) map[string]string {
	var env map[string]string
	for _, n := range ns {
		f := d.fields(n, pfEnv)
		k, ok := d.str(f["env"])
		if !ok || k == "" || strings.ContainsAny(k, "=\x00") {
			d.add(errorAt(n.head(), "Invalid environment variable", `An envs entry is {"env": "NAME", "value": "VALUE"}, with a NAME that is not empty and holds no '='.`))
			continue
		}
		v, _ := d.str(f["value"])
		if env == nil {
			env = map[string]string{}
		}
		env[k] = v
	}
	return env
}

func (d *pfDecoder) mounts(ns []*jnode, vols map[string]hcl.Range) []contract.Mount {
	var out []contract.Mount
	seen := map[string]hcl.Range{}
	for _, n := range ns {
		f := d.fields(n, pfVolumeRef)
		if f == nil {
			continue
		}
		vol, vok := d.str(f["volume"])
		p, pok := d.str(f["path"])
		if !vok || !pok {
			d.add(errorAt(n.head(), "Incomplete volume reference", `A container volumes entry is {"volume": "NAME", "path": "/in/container"}.`))
			continue
		}
		if _, known := vols[vol]; !known {
			d.add(errorAt(f["volume"].val.rng, "Unknown volume", "The pod has no volume %q%s; add it to the pod's \"volumes\".", vol, didYouMeanRange(vol, vols)))
			continue
		}
		prng := f["path"].val.rng
		if !d.check(f["path"].val, "Invalid mount path", checkAbsPath(p)) {
			continue
		}
		if prev, dup := seen[p]; dup {
			d.add(errorAt(prng, "Duplicate mount path", "Something is already mounted on %s at %s.", p, prev))
			continue
		}
		seen[p] = prng
		out = append(out, contract.Mount{Volume: vol, Path: p, ReadOnly: d.boolean(f["readOnly"])})
	}
	return out
}

func (d *pfDecoder) fileRefs(ns []*jnode, container string, files map[string]podFile, pod *contract.Pod) {
	seen := map[string]hcl.Range{}
	for _, n := range ns {
		f := d.fields(n, pfFileRef)
		if f == nil {
			continue
		}
		name, nok := d.str(f["filename"])
		p, pok := d.str(f["path"])
		if !nok || !pok {
			d.add(errorAt(n.head(), "Incomplete file reference", `A container files entry is {"filename": "NAME", "path": "/in/container"}.`))
			continue
		}
		pf, known := files[name]
		if !known {
			names := map[string]hcl.Range{}
			for k, v := range files {
				names[k] = v.rng
			}
			d.add(errorAt(f["filename"].val.rng, "Unknown file", "The pod has no file %q%s; add it to the pod's \"files\".", name, didYouMeanRange(name, names)))
			continue
		}
		prng := f["path"].val.rng
		if !d.check(f["path"].val, "Invalid file path", checkAbsPath(p)) {
			continue
		}
		if prev, dup := seen[p]; dup {
			d.add(errorAt(prng, "Duplicate file", "File %s in container %q is already defined at %s.", p, container, prev))
			continue
		}
		seen[p] = prng
		file := contract.File{Path: p, Container: container, Content: pf.content, Mode: DefaultFileMode}
		if s, ok := d.str(f["perm"]); ok && s != "" {
			if m, err := parseMode(s); d.check(f["perm"].val, "Invalid file mode", err) {
				file.Mode = m
			}
		}
		owner := ""
		if s, ok := d.str(f["user"]); ok && s != "" {
			owner = s
		}
		if s, ok := d.str(f["group"]); ok && s != "" {
			if owner == "" {
				owner = "0"
			}
			owner += ":" + s
		}
		if owner != "" {
			if uid, gid, err := parseOwner(owner); d.check(n, "Invalid file owner", err) {
				file.UID, file.GID = uid, gid
			}
		}
		pod.Files = append(pod.Files, file)
	}
}

// ulimits reads hyperd's ulimits entries, {"Name": "nofile", "Soft": N,
// "Hard": N}; either limit may be left out, and is then the other one.
func (d *pfDecoder) ulimits(ns []*jnode) []contract.Ulimit {
	var out []contract.Ulimit
	seen := map[string]hcl.Range{}
	for _, n := range ns {
		f := d.fields(n, pfUlimit)
		if f == nil {
			continue
		}
		nameF := d.either(f, "Name", "name")
		name, ok := d.str(nameF)
		if !ok {
			d.add(errorAt(n.head(), "Missing ulimit name", `A ulimits entry is {"Name": "nofile", "Soft": 1024, "Hard": 4096}.`))
			continue
		}
		// hyperd lower-cased the name before use.
		name = strings.ToLower(name)
		if !d.check(nameF.val, "Invalid ulimit", checkUlimitName(name)) {
			continue
		}
		if prev, dup := seen[name]; dup {
			d.add(errorAt(nameF.val.rng, "Duplicate ulimit", "Ulimit %q is already set at %s.", name, prev))
			continue
		}
		seen[name] = nameF.val.rng
		softF, hardF := d.either(f, "Soft", "soft"), d.either(f, "Hard", "hard")
		if softF == nil && hardF == nil {
			d.add(errorAt(n.head(), "Missing limit", "Ulimit %q needs \"Soft\", \"Hard\" or both; one alone sets both.", name))
			continue
		}
		var limits [2]*uint64
		ok = true
		for i, lf := range []*jfield{softF, hardF} {
			if lf == nil {
				continue
			}
			v, vok := d.limit(lf)
			limits[i], ok = &v, ok && vok
		}
		if !ok {
			continue
		}
		u, err := makeUlimit(name, limits[0], limits[1])
		at := softF
		if hardF != nil {
			at = hardF
		}
		if d.check(at.val, "Invalid ulimit", err) {
			out = append(out, u)
		}
	}
	return out
}
