package layers

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hyperbuild/hyper/contract"
)

// ErrNoCommand is a container with nothing to run: neither the spec nor
// the image gives an entrypoint or a command.
var ErrNoCommand = errors.New("no command to run")

// DefaultPath is the PATH Docker gives a container whose image sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Merge applies Docker's rules to the spec's container and the image
// config: the spec's entrypoint replaces the image's and clears its Cmd,
// the spec's command replaces Cmd, env is merged by key (the spec wins;
// PATH defaults to DefaultPath), workdir, user and stop signal come from
// the image when the spec is silent (SIGTERM when neither says), and the
// image's exposed ports are recorded. cfg may be nil.
func Merge(c contract.Container, cfg *v1.ConfigFile) (*contract.Process, error) {
	var img v1.Config
	if cfg != nil {
		img = cfg.Config
	}
	entrypoint, cmd := img.Entrypoint, img.Cmd
	if c.Entrypoint != nil {
		entrypoint, cmd = c.Entrypoint, nil
	}
	if c.Command != nil {
		cmd = c.Command
	}
	args := append(slices.Clone(entrypoint), cmd...)
	if len(args) == 0 {
		return nil, fmt.Errorf("container %s: %w: the image has no Entrypoint or Cmd; set command in the spec", c.Name, ErrNoCommand)
	}
	p := &contract.Process{
		Args:    args,
		Env:     mergeEnv(img.Env, c.Env),
		Workdir: first(c.Workdir, img.WorkingDir, "/"),
		User:    first(c.User, img.User),
	}
	sig, _, err := contract.ParseSignal(first(c.StopSignal, img.StopSignal, "SIGTERM"))
	if err != nil {
		return nil, fmt.Errorf("container %s: stop signal: %w", c.Name, err)
	}
	p.StopSignal = sig
	for port := range img.ExposedPorts {
		p.ExposedPorts = append(p.ExposedPorts, port)
	}
	sort.Strings(p.ExposedPorts)
	return p, nil
}

// mergeEnv keeps the image's order, replaces values the spec sets, and
// appends the spec's other keys sorted.
func mergeEnv(image []string, spec map[string]string) []string {
	env := make([]string, 0, len(image)+len(spec)+1)
	seen := map[string]bool{}
	for _, kv := range image {
		k, _, _ := strings.Cut(kv, "=")
		if seen[k] {
			continue
		}
		seen[k] = true
		if v, ok := spec[k]; ok {
			kv = k + "=" + v
		}
		env = append(env, kv)
	}
	keys := make([]string, 0, len(spec))
	for k := range spec {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+spec[k])
		seen[k] = true
	}
	if !seen["PATH"] {
		env = append(env, "PATH="+DefaultPath)
	}
	return env
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
