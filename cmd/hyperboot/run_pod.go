package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/layers/imageref"
	"github.com/hyperbuild/hyper/runner"
)

// runFlags are run's flags: the pod's overrides as hyperboot IMG takes
// them, and how the pod runs under hyperd.
type runFlags struct {
	detach, rm bool
	name       string
	backend    string
	cpus       int
	memory     string
	ports      []string
	netw       string
	vars       []string
	volumes    []string
}

func newRun(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var h hostFlag
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [-d] [--rm] [--name NAME] [-p PORT]... [-v VOLUME]... IMG|POD.hcl|IMAGE",
		Short: "Run a pod under hyperd",
		Long: `run starts a pod under hyperd (started when it is not running): from an
artifact (IMG, a raw image or a --format dir directory), a pod file
(POD.hcl or podfile.json: hyperd builds it first, with --var), or a plain
image reference (busybox:1.36, oci:DIR:TAG: hyperd builds a pod of that one
container into its cache, as "hyper run nginx" did).

Without -d, run shows the pod's output as hyperboot IMG does and exits
with its status; Ctrl-C stops the pod gracefully, a second Ctrl-C kills
it. With -d it prints the pod's ID and returns: the pod runs on, for ps,
logs, exec, stop and rm. --rm removes the pod once it has stopped.

A word that names a file is a file: write ./busybox for a file of that
name, busybox for the image.`,
		Example: `  hyperboot run -d --name web -p 8080:80 web.img
  hyperboot run -d -v data=/srv/data.ext4 -v ./src:/src:ro app.img
  hyperboot run --rm hello.hcl --var image=oci:./busybox:latest
  hyperboot run -d busybox:1.36`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request(cmd, args[0])
			if err != nil {
				return err
			}
			c, err := h.connect(cmd.Context())
			if err != nil {
				return failed(cli.StatusBootError, err)
			}
			res, err := c.Create(cmd.Context(), req)
			if err != nil {
				return failed(cli.StatusBootError, err)
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(stderr, "hyperboot: warning: %s\n", w)
			}
			if f.detach {
				fmt.Fprintln(stdout, res.ID)
				return nil
			}
			return attach(c, res, stdout, stderr)
		},
	}
	h.register(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&f.detach, "detach", "d", false, "print the pod's ID and return; the pod runs on")
	fl.BoolVar(&f.rm, "rm", false, "remove the pod once it has stopped")
	fl.StringVar(&f.name, "name", "", "name the pod (default: its name in the artifact)")
	fl.StringVar(&f.backend, "backend", "auto", "auto, kvm or qemu")
	fl.IntVar(&f.cpus, "cpus", 0, fmt.Sprintf("virtual CPUs, 1 to %d (default: the pod's)", contract.MaxCPUs))
	fl.StringVar(&f.memory, "memory", "", "guest memory, e.g. 512MiB (default: the pod's)")
	fl.StringArrayVarP(&f.ports, "publish", "p", nil, "publish a guest port: [IP:]HOST:GUEST[/tcp|udp] (repeatable)")
	fl.StringVar(&f.netw, "net", "user", "network: user, tap:NAME (root), none")
	fl.StringArrayVarP(&f.volumes, "volume", "v", nil, volumeUsage)
	fl.StringArrayVar(&f.vars, "var", nil, "set a pod-file variable: --var NAME=VALUE (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("backend", completeBackend)
	_ = cmd.RegisterFlagCompletionFunc("net", completeNet)
	cmd.ValidArgsFunction = cli.CompleteFiles(".img", ".hcl", ".json")
	return cmd
}

// request checks the flags and says what to run.
func (f *runFlags) request(cmd *cobra.Command, what string) (api.CreateRequest, error) {
	req := api.CreateRequest{Name: f.name, RunConfig: api.RunConfig{Backend: f.backend, Net: f.netw, AutoRemove: f.rm}}
	if f.name != "" {
		if err := api.CheckName(f.name); err != nil {
			return req, cli.Usage(fmt.Errorf("--name: %s", strings.TrimPrefix(err.Error(), api.ErrBadRequest.Error()+": ")))
		}
	}
	if err := checkBackend(f.backend); err != nil {
		return req, cli.Usage(err)
	}
	if cmd.Flags().Changed("cpus") {
		if err := contract.CheckCPUs(f.cpus); err != nil {
			return req, cli.Usage(fmt.Errorf("--cpus: %w", err))
		}
		req.CPUs = f.cpus
	}
	if cmd.Flags().Changed("memory") {
		n, err := parseMemory(f.memory)
		if err != nil {
			return req, cli.Usage(err)
		}
		req.MemoryMiB = n
	}
	for _, p := range f.ports {
		port, err := parsePort(p)
		if err != nil {
			return req, cli.Usage(err)
		}
		req.Ports = append(req.Ports, port)
	}
	for _, s := range f.volumes {
		b, err := runner.ParseVolumeBinding(s)
		if err != nil {
			return req, cli.Usage(err)
		}
		// hyperd does not share this working directory.
		src, err := filepath.Abs(b.Path)
		if err != nil {
			return req, cli.Usage(fmt.Errorf("-v %s: %w", s, err))
		}
		req.Volumes = append(req.Volumes, api.Volume{Target: b.Target, Source: src, ReadOnly: b.ReadOnly})
	}
	if err := req.RunConfig.Check(); err != nil {
		return req, cli.Usage(err)
	}
	kind, path, err := classify(what)
	if err != nil {
		return req, cli.Usage(err)
	}
	if kind == "image" {
		if kind, path, err = registryArtifact(cmd.Context(), what, cmd.ErrOrStderr()); err != nil {
			return req, err
		}
	}
	switch kind {
	case "artifact":
		req.Artifact = path
	case "pod file":
		req.PodFile = path
	case "image":
		req.Image = what
	}
	if len(f.vars) > 0 {
		if kind != "pod file" {
			return req, cli.Usage(fmt.Errorf("--var is for a pod file; %s is an %s", what, kind))
		}
		req.Vars = map[string]string{}
		for _, kv := range f.vars {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return req, cli.Usage(fmt.Errorf("--var %q: want NAME=VALUE", kv))
			}
			req.Vars[k] = v
		}
	}
	return req, nil
}

// classify says whether run's argument is an artifact, a pod file or an
// image reference, and gives a file's absolute path (hyperd does not
// share this directory).
func classify(what string) (kind, path string, err error) {
	if fi, err := os.Stat(what); err == nil {
		abs, err := filepath.Abs(what)
		if err != nil {
			return "", "", err
		}
		if !fi.IsDir() && (strings.HasSuffix(what, ".hcl") || strings.HasSuffix(what, ".json")) {
			return "pod file", abs, nil
		}
		return "artifact", abs, nil
	}
	pathLike := strings.HasPrefix(what, ".") || strings.HasPrefix(what, "/") ||
		strings.HasSuffix(what, ".img") || strings.HasSuffix(what, ".hcl") || strings.HasSuffix(what, ".json")
	if pathLike {
		return "", "", fmt.Errorf("%s: no such file (an artifact, a pod file, or an image reference such as busybox:1.36)", what)
	}
	if _, err := imageref.Parse(what); err != nil {
		return "", "", fmt.Errorf("%q is not a file, and not an image reference: %w", what, err)
	}
	return "image", "", nil
}

// podClient is what attach needs of the client.
type podClient interface {
	Inspect(context.Context, string) (api.Pod, error)
	Logs(context.Context, string, api.LogsQuery, func(contract.LogEntry) error) error
	Wait(context.Context, string) (api.WaitResponse, error)
	Stop(context.Context, string, time.Duration) error
	Kill(context.Context, string) error
}

// attach shows a pod's output until it stops and returns its status as
// the command's; Ctrl-C (or SIGTERM) stops it gracefully, a second one
// kills it.
func attach(c podClient, res api.CreateResponse, stdout, stderr io.Writer) error {
	podAttached.Store(true)
	bg := context.Background()
	pod, err := c.Inspect(bg, res.ID)
	if err != nil {
		return failed(cli.StatusBootError, err)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		<-sigs
		go c.Stop(bg, res.ID, -1)
		<-sigs
		fmt.Fprintln(stderr, "hyperboot: killing the pod")
		c.Kill(bg, res.ID)
	}()
	p := &logPrinter{stdout: stdout, stderr: stderr, names: len(pod.Containers) > 1}
	logsDone := make(chan error, 1)
	go func() {
		logsDone <- c.Logs(bg, res.ID, api.LogsQuery{LogsRequest: contract.LogsRequest{Follow: true}}, p.print)
	}()
	w, err := c.Wait(bg, res.ID)
	if err != nil {
		return failed(cli.StatusBootError, err)
	}
	// The log ends with the pod; what is still in flight comes first.
	select {
	case <-logsDone:
	case <-time.After(5 * time.Second):
	}
	switch {
	case w.Error != "":
		return failed(cli.StatusBootError, errors.New(w.Error))
	case w.ExitStatus == nil:
		return failed(cli.StatusBootError, fmt.Errorf("pod %s ended without a status", res.Name))
	case *w.ExitStatus != 0:
		return &cli.ExitError{Status: *w.ExitStatus, Silent: true}
	}
	return nil
}
