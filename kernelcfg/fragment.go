package kernelcfg

import (
	"fmt"
	"sort"
	"strings"
)

// Setting is one wanted CONFIG_ option and its value ("y", "n", a number or
// a quoted string, as .config writes it).
type Setting struct {
	Name  string // without the CONFIG_ prefix
	Value string
}

// Line is how .config spells the setting.
func (s Setting) Line() string {
	if s.Value == "n" {
		return "# CONFIG_" + s.Name + " is not set"
	}
	return "CONFIG_" + s.Name + "=" + s.Value
}

func parseSetting(opt string) Setting {
	name, value, ok := strings.Cut(opt, "=")
	if !ok {
		value = "y"
	}
	return Setting{Name: name, Value: value}
}

// Settings returns every wanted setting of the features and the trim list,
// sorted by name, one per option. It panics on a conflict (two values for
// one option), which the tests catch.
func Settings() []Setting {
	byName := map[string]Setting{}
	add := func(opt string) {
		s := parseSetting(opt)
		if old, ok := byName[s.Name]; ok && old.Value != s.Value {
			panic(fmt.Sprintf("kernelcfg: CONFIG_%s wanted both %s and %s", s.Name, old.Value, s.Value))
		}
		byName[s.Name] = s
	}
	for _, f := range Features {
		for _, o := range f.Options {
			add(o)
		}
	}
	for _, o := range Trim {
		add(o)
	}
	out := make([]Setting, 0, len(byName))
	for _, s := range byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Fragment returns the configuration fragment applied on top of
// `make tinyconfig`: one line per option, sorted, so that the text (and the
// cache key made from it) changes only when an option does.
func Fragment() string {
	var b strings.Builder
	b.WriteString("# hyperkernel fragment for linux-source-6.1, applied on tinyconfig (see kernelcfg.Features)\n")
	for _, s := range Settings() {
		b.WriteString(s.Line())
		b.WriteByte('\n')
	}
	return b.String()
}
