package spec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/hyperbuild/hyper/contract"
)

// loadHCL runs the HCL front end's stages; each stops the load when it
// finds errors, so later stages can trust what earlier ones checked.
func (l *Loader) loadHCL(path, dir string, src []byte) (*contract.Pod, hcl.Diagnostics) {
	// Stage 1: syntax and the top-level schema.
	f, diags := l.parser.ParseHCL(src, path)
	if diags.HasErrors() {
		return nil, diags
	}
	top, d := f.Body.Content(fileSchema)
	diags = append(diags, d...)
	var pods, varBlocks hcl.Blocks
	for _, b := range top.Blocks {
		switch b.Type {
		case "pod":
			pods = append(pods, b)
		case "variable":
			varBlocks = append(varBlocks, b)
		}
	}
	switch {
	case len(pods) == 0 && !diags.HasErrors():
		r := f.Body.MissingItemRange()
		diags = append(diags, errorAt(r, "Missing pod block", `A pod file holds exactly one pod block: pod "NAME" { container "NAME" { image = "busybox:1.36" } }.`))
	case len(pods) > 1:
		diags = append(diags, errorAt(pods[1].DefRange, "Duplicate pod block", "A pod file holds exactly one pod block; the first is at %s.", pods[0].DefRange))
	}
	if diags.HasErrors() {
		return nil, diags
	}

	// Stage 2: variables, their values, and the references to them.
	vars, d := declareVariables(varBlocks)
	diags = append(diags, d...)
	diags = append(diags, checkReferences(pods[0].Body, vars)...)
	if diags.HasErrors() {
		return nil, diags
	}
	diags = append(diags, l.setFromFiles(vars)...)
	diags = append(diags, l.setFromFlags(vars)...)
	varObj, d := variableValues(vars)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}

	// Stages 3-5: evaluate and decode the pod, check it, resolve it.
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": varObj},
		Functions: functions(dir),
	}
	dec := &podDecoder{ctx: ctx, dir: dir}
	pod := dec.pod(pods[0])
	diags = append(diags, dec.diags...)
	if diags.HasErrors() {
		return nil, diags
	}
	return pod, diags
}
