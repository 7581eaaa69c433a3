package spec

import (
	"fmt"
	"math/big"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/layers/imageref"
)

// container decodes one container block; restart is the pod's default
// and vols the pod's volumes.
func (p *podDecoder) container(b *hcl.Block, restart contract.RestartPolicy, vols map[string]hcl.Range) contract.Container {
	ct := contract.Container{
		Name:        b.Labels[0],
		Platform:    DefaultPlatform,
		Restart:     restart,
		StopTimeout: contract.Duration(DefaultStopTimeout),
	}
	if err := checkName(ct.Name); err != nil {
		p.add(errorAt(b.LabelRanges[0], "Invalid container name", "%s", sentence(err)))
	}
	c := p.content(b.Body, containerSchema)
	if c == nil {
		return ct
	}
	at := c.Attributes
	if a := at["image"]; a != nil {
		if s, ok := p.str(a); ok {
			ref, err := imageref.Parse(s)
			if p.check(a, "Invalid image reference", err) {
				ct.Image = ref.Resolve(p.dir).String()
			}
		}
	}
	if a := at["platform"]; a != nil {
		if s, ok := p.str(a); ok && p.check(a, "Unsupported platform", checkPlatform(s)) {
			ct.Platform = s
		}
	}
	// nil keeps the image's entrypoint/command; [] clears it.
	if a := at["entrypoint"]; a != nil {
		p.argv(a, &ct.Entrypoint)
	}
	if a := at["command"]; a != nil {
		p.argv(a, &ct.Command)
	}
	if a := at["env"]; a != nil {
		p.env(a, &ct)
	}
	if a := at["workdir"]; a != nil {
		if s, ok := p.str(a); ok {
			if !strings.HasPrefix(s, "/") || strings.ContainsRune(s, 0) {
				p.add(errorAt(a.Expr.Range(), "Invalid workdir", "The working directory must be an absolute path, such as \"/app\", not %q.", s))
			} else {
				ct.Workdir = path.Clean(s)
			}
		}
	}
	if a := at["user"]; a != nil {
		if s, ok := p.str(a); ok && p.check(a, "Invalid user", checkUser(s)) {
			ct.User = s
		}
	}
	if a := at["restart"]; a != nil {
		if s, ok := p.str(a); ok {
			r, err := parseRestart(s)
			if p.check(a, "Invalid restart policy", err) {
				ct.Restart = r
			}
		}
	}
	if a := at["stop_signal"]; a != nil {
		if s, ok := p.str(a); ok {
			name, _, err := contract.ParseSignal(s)
			if p.check(a, "Invalid signal", err) {
				ct.StopSignal = name
			}
		}
	}
	if a := at["stop_timeout"]; a != nil {
		if s, ok := p.str(a); ok {
			d, err := parseDuration(s)
			if p.check(a, "Invalid duration", err) {
				ct.StopTimeout = contract.Duration(d.Round(time.Millisecond))
			}
		}
	}
	blocks := map[string]hcl.Blocks{}
	for _, blk := range c.Blocks {
		blocks[blk.Type] = append(blocks[blk.Type], blk)
	}
	ct.Mounts = p.mounts(blocks["mount"], vols)
	ct.Ulimits = p.ulimits(blocks["ulimit"])
	return ct
}

// ulimits decodes a container's ulimit "NAME" { soft = N  hard = N }
// blocks; either limit may be left out, and is then the other one.
func (p *podDecoder) ulimits(bs hcl.Blocks) []contract.Ulimit {
	var out []contract.Ulimit
	seen := map[string]hcl.Range{}
	for _, b := range bs {
		name := b.Labels[0]
		if !p.checkRange(b.LabelRanges[0], "Invalid ulimit", checkUlimitName(name)) {
			continue
		}
		if prev, dup := seen[name]; dup {
			p.add(errorAt(b.LabelRanges[0], "Duplicate ulimit", "Ulimit %q is already set at %s.", name, prev))
			continue
		}
		seen[name] = b.LabelRanges[0]
		c := p.content(b.Body, ulimitSchema)
		if c == nil {
			continue
		}
		soft, hard := c.Attributes["soft"], c.Attributes["hard"]
		if soft == nil && hard == nil {
			p.add(errorAt(b.DefRange, "Missing limit", "Ulimit %q needs soft, hard or both, e.g. ulimit %q { soft = 1024  hard = 4096 }; one alone sets both.", name, name))
			continue
		}
		var limits [2]*uint64
		ok := true
		for i, a := range []*hcl.Attribute{soft, hard} {
			if a == nil {
				continue
			}
			n, vok := p.limit(a)
			limits[i], ok = &n, ok && vok
		}
		if !ok {
			continue
		}
		u, err := makeUlimit(name, limits[0], limits[1])
		at := soft
		if hard != nil {
			at = hard
		}
		if p.check(at, "Invalid ulimit", err) {
			out = append(out, u)
		}
	}
	return out
}

// limit decodes a ulimit's limit: a whole number, or "unlimited".
func (p *podDecoder) limit(a *hcl.Attribute) (uint64, bool) {
	v, ok := p.eval(a)
	if !ok {
		return 0, false
	}
	switch v.Type() {
	case cty.Number:
		// Float.Uint64 calls 1.5 exact (Go 1.26): ask IsInt first.
		f := v.AsBigFloat()
		if n, acc := f.Uint64(); f.IsInt() && acc == big.Exact {
			return n, true
		}
		_, err := parseLimit(f.Text('f', -1))
		p.check(a, "Invalid ulimit", err)
		return 0, false
	case cty.String:
		n, err := parseLimit(v.AsString())
		return n, p.check(a, "Invalid ulimit", err)
	}
	p.add(errorAt(a.Expr.Range(), "Invalid ulimit", "A limit is a whole number or \"unlimited\", not a %s.", v.Type().FriendlyName()))
	return 0, false
}

// argv decodes a list of strings, keeping [] distinct from absent.
func (p *podDecoder) argv(a *hcl.Attribute, dst *[]string) {
	var v []string
	if p.decode(a, &v) {
		if v == nil {
			v = []string{}
		}
		*dst = v
	}
}

func (p *podDecoder) env(a *hcl.Attribute, ct *contract.Container) {
	var env map[string]string
	if !p.decode(a, &env) {
		return
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(env[k], 0) {
			p.add(errorAt(a.Expr.Range(), "Invalid environment variable", "%q cannot be an environment variable name: it is empty or holds '=' or NUL.", k))
			return
		}
	}
	if len(env) > 0 {
		ct.Env = env
	}
}

func (p *podDecoder) mounts(bs hcl.Blocks, vols map[string]hcl.Range) []contract.Mount {
	var out []contract.Mount
	seen := map[string]hcl.Range{}
	for _, b := range bs {
		c := p.content(b.Body, mountSchema)
		if c == nil {
			continue
		}
		var m contract.Mount
		ok := true
		if a := c.Attributes["volume"]; a != nil {
			if m.Volume, ok = p.str(a); ok {
				if _, known := vols[m.Volume]; !known {
					p.add(errorAt(a.Expr.Range(), "Unknown volume", "The pod has no volume %q%s.", m.Volume, orElse(didYouMeanRange(m.Volume, vols), fmt.Sprintf("; define it with volume %q { type = \"tmpfs\" }", m.Volume))))
					ok = false
				}
			}
		}
		if a := c.Attributes["path"]; a != nil {
			var pok bool
			if m.Path, pok = p.str(a); pok {
				if err := checkAbsPath(m.Path); err != nil {
					p.add(errorAt(a.Expr.Range(), "Invalid mount path", "%s", sentence(err)))
					pok = false
				} else if prev, dup := seen[m.Path]; dup {
					p.add(errorAt(a.Expr.Range(), "Duplicate mount path", "Something is already mounted on %s at %s.", m.Path, prev))
					pok = false
				} else {
					seen[m.Path] = a.Expr.Range()
				}
			}
			ok = ok && pok
		}
		if a := c.Attributes["read_only"]; a != nil {
			p.decode(a, &m.ReadOnly)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}
