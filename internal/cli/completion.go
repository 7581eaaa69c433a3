package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Teach adds cobra's completion and help commands now (cobra would add
// them lazily) and gives them Example blocks too, so that every command's
// --help teaches by example.
func Teach(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
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
