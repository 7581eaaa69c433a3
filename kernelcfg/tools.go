package kernelcfg

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// tool is a build prerequisite and the Debian package that provides it.
type tool struct {
	name    string // a command on PATH, or an absolute header path
	pkg     string
	headers []string // any of these files will do instead of a command
}

var tools = []tool{
	{name: "gcc", pkg: "build-essential"},
	{name: "make", pkg: "build-essential"},
	{name: "flex", pkg: "flex"},
	{name: "bison", pkg: "bison"},
	{name: "bc", pkg: "bc"},
	{name: "tar", pkg: "tar"},
	{name: "xz", pkg: "xz-utils"},
	{name: "libelf", pkg: "libelf-dev", headers: []string{"/usr/include/gelf.h", "/usr/local/include/gelf.h"}},
}

// checkTools names every missing prerequisite at once, with the packages
// that provide them.
func checkTools() error {
	var missing, pkgs []string
	for _, t := range tools {
		if t.present() {
			continue
		}
		missing = append(missing, t.name)
		pkgs = append(pkgs, t.pkg)
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (apt-get install %s, or make deps)", ErrMissingTool,
		strings.Join(missing, ", "), strings.Join(uniq(pkgs), " "))
}

func (t tool) present() bool {
	if t.headers == nil {
		_, err := exec.LookPath(t.name)
		return err == nil
	}
	for _, h := range t.headers {
		if _, err := os.Stat(h); err == nil {
			return true
		}
	}
	return false
}

func uniq(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
