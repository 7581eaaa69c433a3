package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// strictGroups makes a command that only groups others (cache,
// completion) fail as a usage error when called bare or with an unknown
// subcommand; cobra would print its help and exit 0.
func strictGroups(c *cobra.Command) {
	if c.HasParent() && c.HasSubCommands() && !c.Runnable() {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return Usage(fmt.Errorf("%q needs a subcommand: %s (see %s --help)", cmd.CommandPath(), subcommands(cmd), cmd.CommandPath()))
			}
			return Usage(UnknownCommand(cmd, args[0]))
		}
	}
	for _, sub := range c.Commands() {
		strictGroups(sub)
	}
}

// strictHelp makes "help TOPIC" of an unknown topic a usage error;
// cobra's prints the root's usage and exits 0.
func strictHelp(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "help" {
			continue
		}
		c.Run = nil
		c.RunE = func(_ *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return Usage(fmt.Errorf("unknown help topic %q: try %s", strings.Join(args, " "), subcommands(root)))
			}
			return cmd.Help()
		}
	}
}

// UnknownCommand is the error for word where a subcommand of cmd was
// expected: `unknown command "valdate" for "hyperbuild": did you mean
// "validate"?`, the suggestion where one is close (cobra's
// SuggestionsFor).
func UnknownCommand(cmd *cobra.Command, word string) error {
	if s := cmd.SuggestionsFor(word); len(s) > 0 {
		return fmt.Errorf("unknown command %q for %q: did you mean %q?", word, cmd.CommandPath(), s[0])
	}
	return fmt.Errorf("unknown command %q for %q; its commands: %s", word, cmd.CommandPath(), subcommands(cmd))
}

func subcommands(cmd *cobra.Command) string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, ", ")
}
