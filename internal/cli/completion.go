package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Teach makes every argument or flag error of root and its subcommands a
// usage error (status 2), as are a group command called bare or with an
// unknown subcommand and help on an unknown topic; it adds cobra's completion and help commands now (cobra would add
// them lazily) and gives them Example blocks too, so that every command's
// --help teaches by example.
func Teach(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return Usage(err) })
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	// After the two above, so that help and completion are covered too.
	usageArgs(root)
	strictGroups(root)
	strictHelp(root)
	name := root.Name()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = fmt.Sprintf("  %s help\n  %s --help", name, name)
		case "completion":
			c.Example = fmt.Sprintf("  source <(%s completion bash)\n  %s completion zsh > \"${fpath[1]}/_%s\"", name, name, name)
			for _, sh := range c.Commands() {
				sh.Example = fmt.Sprintf("  %s completion %s", name, sh.Name())
			}
		}
	}
}

// usageArgs wraps each command's argument check so that a wrong count is
// reported as a usage error.
func usageArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return Usage(err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}
