package spec

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

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
	ct.Mounts = p.mounts(c.Blocks, vols)
	return ct
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
