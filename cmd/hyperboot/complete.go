package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/runner"
)

// completions tells the shell what hyperboot's argument and flag values
// are: artifacts (.img files, and directories: a --format dir artifact or
// one to descend into), the backends and the network modes.
func completions(cmd *cobra.Command) {
	cmd.ValidArgsFunction = cli.CompleteFiles(".img")
	// Setting up a completion for a flag this command has cannot fail.
	_ = cmd.RegisterFlagCompletionFunc("backend", completeBackend)
	_ = cmd.RegisterFlagCompletionFunc("net", completeNet)
}

// backendHelp describes the backends for the shell.
var backendHelp = map[string]string{
	runner.BackendAuto: "kvm when /dev/kvm works, else qemu",
	runner.BackendKVM:  "the built-in pure-Go VMM (needs /dev/kvm)",
	runner.BackendQEMU: "qemu-system-x86_64, with KVM or software emulation",
}

func completeBackend(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, n := range backendNames() {
		out = append(out, cobra.CompletionWithDesc(n, backendHelp[n]))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeNet offers the modes, then, after "tap:", this host's tap
// devices.
func completeNet(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if strings.HasPrefix(toComplete, runner.NetTap+":") {
		var out []cobra.Completion
		for _, d := range tapDevices() {
			out = append(out, runner.NetTap+":"+d)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	return []cobra.Completion{
		cobra.CompletionWithDesc(runner.NetUser, "rootless NAT, publishes ports (default)"),
		cobra.CompletionWithDesc(runner.NetNone, "no network card"),
		cobra.CompletionWithDesc(runner.NetTap+":", "an existing tap device: tap:NAME (root)"),
	}, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// tapDevices are the host's tun/tap devices (those with tun_flags).
func tapDevices() []string {
	ms, _ := filepath.Glob("/sys/class/net/*/tun_flags")
	var out []string
	for _, m := range ms {
		if _, err := os.Stat(m); err == nil {
			out = append(out, filepath.Base(filepath.Dir(m)))
		}
	}
	return out
}
