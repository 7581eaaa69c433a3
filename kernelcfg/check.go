package kernelcfg

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ParseConfig reads a .config into option name (without CONFIG_) -> value.
// Options written as "# CONFIG_X is not set" get the value "n".
func ParseConfig(r io.Reader) (map[string]string, error) {
	cfg := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "# CONFIG_"); ok {
			if name, ok := strings.CutSuffix(rest, " is not set"); ok {
				cfg[name] = "n"
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, "CONFIG_"); ok {
			if name, value, ok := strings.Cut(rest, "="); ok {
				cfg[name] = value
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading kernel config: %w", err)
	}
	return cfg, nil
}

// Check compares the wanted settings with a final .config. Every option that
// olddefconfig dropped or changed (a missing dependency, a typo) is named in
// the error, with the features that wanted it.
func Check(final map[string]string, want []Setting) error {
	var bad []string
	for _, s := range want {
		got, ok := final[s.Name]
		if !ok {
			got = "n" // absent: its menu or dependency is off
		}
		if got == s.Value {
			continue
		}
		state := "dropped"
		if s.Value == "n" {
			state = "still on"
		} else if ok && got != "n" {
			state = "changed"
		}
		bad = append(bad, fmt.Sprintf("CONFIG_%s=%s %s (got %s) [%s]", s.Name, s.Value, state, got, wantedBy(s.Name)))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w:\n  %s", ErrOptionDropped, strings.Join(bad, "\n  "))
	}
	return nil
}

// wantedBy names the features (or the trim list) that ask for an option.
func wantedBy(name string) string {
	var who []string
	for _, f := range Features {
		for _, o := range f.Options {
			if parseSetting(o).Name == name {
				who = append(who, f.Name)
				break
			}
		}
	}
	for _, o := range Trim {
		if parseSetting(o).Name == name {
			who = append(who, "trim")
		}
	}
	return strings.Join(who, "; ")
}
