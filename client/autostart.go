package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hyperbuild/hyper/api"
)

// EnvHyperd names the hyperd binary Connect starts.
const EnvHyperd = "HYPER_HYPERD"

// startWait bounds the wait for a daemon Connect started.
const startWait = 15 * time.Second

// Connect returns a client of a hyperd that answers: when the unix
// socket has nobody behind it (no file, or a file left by a killed
// daemon), it starts hyperd (FindHyperd) in a session of its own, with
// this process's environment (so HYPER_HOST and HYPER_ROOT carry over),
// its log in the state directory, and waits until it answers. A TCP host
// is never started.
func Connect(ctx context.Context, opts ...Option) (*Client, error) {
	c, err := New(opts...)
	if err != nil {
		return nil, err
	}
	err = c.Ping(ctx)
	if err == nil || !errors.Is(err, ErrUnreachable) || c.host.Network != "unix" {
		return c, err
	}
	hyperd, ferr := FindHyperd()
	if ferr != nil {
		return nil, fmt.Errorf("%w; and starting it: %w", err, ferr)
	}
	if err := c.startDaemon(ctx, hyperd); err != nil {
		return nil, err
	}
	return c, nil
}

// FindHyperd is the hyperd to start: $HYPER_HYPERD, else the one beside
// the running program (bin/ holds both), else hyperd in $PATH.
func FindHyperd() (string, error) {
	if p := os.Getenv(EnvHyperd); p != "" {
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "hyperd")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	p, err := exec.LookPath("hyperd")
	if err != nil {
		return "", fmt.Errorf("no hyperd beside this program or in $PATH (make build puts it in bin/; or set %s)", EnvHyperd)
	}
	return p, nil
}

func (c *Client) startDaemon(ctx context.Context, hyperd string) error {
	root := api.DefaultRoot()
	args := []string{"--log", filepath.Join(root, "hyperd.log")}
	if os.Getenv(api.EnvHost) == "" {
		args = append(args, "--host", c.host.String())
	}
	cmd := exec.Command(hyperd, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting hyperd (%s): %w", hyperd, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(ctx, startWait)
	defer cancel()
	var gone error
	for {
		err := c.Ping(ctx)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrUnreachable) {
			return err
		}
		select {
		case gone = <-exited:
			// Another client may have started one first: it answers
			// soon, or nobody does.
			exited = nil
			if gone == nil {
				gone = errors.New("exited")
			}
		case <-ctx.Done():
			msg := fmt.Sprintf("started hyperd (%s), but it does not answer at %s after %v", hyperd, c.host, startWait)
			if gone != nil {
				msg = fmt.Sprintf("started hyperd (%s), but it stopped (%v)", hyperd, gone)
			}
			if log := lastLines(filepath.Join(root, "hyperd.log"), 5); log != "" {
				msg += ": " + log
			}
			return fmt.Errorf("%s (its log: %s)", msg, filepath.Join(root, "hyperd.log"))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func lastLines(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
