package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// CompleteFiles completes a command's first argument with the files whose
// names end in one of suffixes (".hcl", ".img"; case-insensitive) and
// with directories, to descend into. It lists them itself rather than
// asking the shell to filter by extension, so that cobra's subcommand
// names can be offered beside them.
func CompleteFiles(suffixes ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return matchFiles(toComplete, suffixes)
	}
}

// CompleteFileArgs is CompleteFiles for every argument, for commands that
// take many files (fmt).
func CompleteFileArgs(suffixes ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return matchFiles(toComplete, suffixes)
	}
}

// CompleteValues completes a flag's value from a fixed list, each with
// its description.
func CompleteValues(values ...cobra.Completion) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func matchFiles(toComplete string, suffixes []string) ([]cobra.Completion, cobra.ShellCompDirective) {
	dir, prefix := filepath.Split(toComplete)
	list := dir
	if list == "" {
		list = "."
	}
	ents, err := os.ReadDir(list)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	directive := cobra.ShellCompDirectiveNoFileComp
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || strings.HasPrefix(name, ".") && !strings.HasPrefix(prefix, ".") {
			continue
		}
		if fi, err := os.Stat(filepath.Join(list, name)); err == nil && fi.IsDir() {
			out = append(out, dir+name+"/")
			// Go on typing inside the directory, not after it.
			directive |= cobra.ShellCompDirectiveNoSpace
			continue
		}
		for _, s := range suffixes {
			if len(name) > len(s) && strings.EqualFold(name[len(name)-len(s):], s) {
				out = append(out, dir+name)
				break
			}
		}
	}
	return out, directive
}
