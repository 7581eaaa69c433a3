// Package spec reads pod files and turns them into the guest contract
// (package contract). Two front ends produce the same *contract.Pod:
//
//   - HCL (pod.hcl), decoded in stages: strict decode against a schema,
//     variable and reference checks, evaluation, semantic checks, and
//     resolution (relative paths made absolute, defaults applied);
//   - Hyper's podfile.json, read into a tree that remembers where each
//     key and value is, so that its errors are located like HCL's.
//
// Before either parser runs, a file is checked to be text of at most
// MaxSourceSize bytes that nests no deeper than MaxNesting (CheckSource,
// CheckNesting): the parsers recurse per level, and a hostile file would
// otherwise crash the process.
//
// Every problem is an hcl.Diagnostic with a source range; Load returns
// every one a stage finds rather than stopping at the first, and
// WriteDiagnostics prints them (the first MaxDiagnostics) with source
// snippets, once, at the edge (cmd/hyperbuild). docs/pod-spec.md lists both formats' fields.
//
//	l := spec.NewLoader(spec.WithVars(map[string]string{"tag": "1.36"}))
//	pod, diags := l.Load("pod.hcl")
//	if diags.HasErrors() {
//		l.WriteDiagnostics(os.Stderr, diags, false)
//		os.Exit(2)
//	}
//
// The defaults the front ends apply are listed in defaults.go; the spec
// keeps what the user wrote for entrypoint, command, env, workdir and user
// and leaves merging with the image config to the builder.
package spec
