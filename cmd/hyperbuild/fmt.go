package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/rogpeppe/go-internal/diff"
	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/spec"
)

// statusUnformatted is fmt --check's status when a file needs formatting,
// as terraform fmt -check's.
const statusUnformatted = 3

func newFmt(stdout, stderr io.Writer) *cobra.Command {
	var check, showDiff bool
	cmd := &cobra.Command{
		Use:   "fmt [--check] [--diff] FILE...",
		Short: "Format HCL pod files in the canonical style",
		Long: `fmt rewrites HCL pod files (and -var-files) in HCL's canonical style, with
HCL's own formatter, as terraform fmt does: aligned =, two-space indents,
normalised spacing. Each file is replaced atomically and keeps its mode;
fmt prints the name of each file it changed. "-" formats standard input to
standard output. Only HCL: a podfile.json is JSON, which fmt leaves alone.

--check writes nothing: it lists the files that need formatting and exits
3 if there are any. --diff shows the changes as a unified diff.

Exit status: 0 done (or all formatted), 3 with --check when some file
needs formatting, 2 a file that is not HCL, invalid HCL (with diagnostics)
or a bad command line, 1 a file that cannot be read or written.`,
		Example: `  hyperbuild fmt pod.hcl
  hyperbuild fmt --check --diff examples/*.hcl
  hyperbuild fmt - < pod.hcl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := formatter{check: check, diff: showDiff, stdout: stdout, stderr: stderr, color: cli.IsTTY(stderr)}
			// Every file is tried; the worst outcome decides the status.
			var bad, failed bool
			for _, arg := range args {
				var err error
				if arg == "-" {
					err = f.stdin(cmd.InOrStdin())
				} else {
					err = f.file(arg)
				}
				switch cli.Report(stderr, "hyperbuild", err, cli.StatusError) {
				case cli.StatusUsage:
					bad = true
				case cli.StatusError:
					failed = true
				}
			}
			switch {
			case bad:
				return &cli.ExitError{Status: cli.StatusUsage, Silent: true}
			case failed:
				return &cli.ExitError{Status: cli.StatusError, Silent: true}
			case f.check && f.unformatted > 0:
				return &cli.ExitError{Status: statusUnformatted, Silent: true}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; list the files that need formatting and exit 3 if any do")
	cmd.Flags().BoolVar(&showDiff, "diff", false, "show the changes as a unified diff")
	return cmd
}

type formatter struct {
	check, diff, color bool
	stdout, stderr     io.Writer
	unformatted        int
}

// stdin formats standard input to standard output (with --check or
// --diff, it writes the name or the diff instead).
func (f *formatter) stdin(r io.Reader) error {
	src, err := spec.ReadSourceFrom("<stdin>", r)
	if err != nil {
		return cli.Usage(err)
	}
	out, err := f.format("<stdin>", src)
	if err != nil {
		return err
	}
	if f.check || f.diff {
		f.report("<stdin>", src, out)
		return nil
	}
	_, err = f.stdout.Write(out)
	return err
}

// file formats one file in place.
func (f *formatter) file(name string) error {
	if strings.EqualFold(filepath.Ext(name), ".json") {
		return cli.Usage(fmt.Errorf("%s: fmt formats HCL pod files; a .json pod file (podfile.json) is JSON, which fmt leaves alone", name))
	}
	path, err := filepath.EvalSymlinks(name) // write through a symlink
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return cli.Usage(fmt.Errorf("%s is a directory; name the files (hyperbuild fmt %s)", name, filepath.Join(name, "*.hcl")))
	}
	src, err := spec.ReadSource(path)
	if err != nil {
		return cli.Usage(err)
	}
	if bytes.HasPrefix(bytes.TrimLeft(src, " \t\r\n\ufeff"), []byte("{")) {
		return cli.Usage(fmt.Errorf("%s: fmt formats HCL pod files; this one is JSON (Hyper's podfile), which fmt leaves alone", name))
	}
	out, err := f.format(name, src)
	if err != nil {
		return err
	}
	if bytes.Equal(src, out) {
		return nil
	}
	f.report(name, src, out)
	if f.check {
		return nil
	}
	if err := replaceFile(path, out, fi.Mode().Perm()); err != nil {
		return fmt.Errorf("formatting %s: %w", name, err)
	}
	return nil
}

// format parses src, printing its diagnostics if it is not valid HCL,
// and returns it formatted.
func (f *formatter) format(name string, src []byte) ([]byte, error) {
	// HCL's parser recurses per level: a megabyte of "(((" would crash it.
	if err := spec.CheckNesting(name, src, false); err != nil {
		return nil, cli.Usage(err)
	}
	file, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		writeDiagnostics(f.stderr, map[string]*hcl.File{name: file}, diags, f.color)
		return nil, &cli.ExitError{Status: cli.StatusUsage, Silent: true, Err: fmt.Errorf("%s: invalid HCL", name)}
	}
	return hclwrite.Format(src), nil
}

// report says that name needs formatting: its name, and its diff with
// --diff.
func (f *formatter) report(name string, src, out []byte) {
	if bytes.Equal(src, out) {
		return
	}
	f.unformatted++
	if f.diff {
		f.stdout.Write(diff.Diff(name, src, name+" (formatted)", out))
		return
	}
	fmt.Fprintln(f.stdout, name)
}

// writeDiagnostics prints diags with HCL's text writer, each headed
// "FILE:LINE:COL: error: SUMMARY" as the loader's are.
func writeDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, color bool) {
	width := uint(0)
	if color {
		width = 100
	}
	var buf bytes.Buffer
	tw := hcl.NewDiagnosticTextWriter(&buf, files, width, color)
	for _, d := range diags {
		buf.Reset()
		tw.WriteDiagnostic(d)
		text := buf.String()
		if _, rest, ok := strings.Cut(text, "\n"); ok && d.Subject != nil {
			sev := "error"
			if d.Severity == hcl.DiagWarning {
				sev = "warning"
			}
			text = fmt.Sprintf("%s:%d:%d: %s: %s\n%s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, sev, d.Summary, rest)
		}
		io.WriteString(w, text)
	}
}

// replaceFile writes b to a new file beside path with mode perm and
// renames it over path: a reader sees the old file or the new one.
func replaceFile(path string, b []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.fmt")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
