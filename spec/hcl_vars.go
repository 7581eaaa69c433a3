package spec

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/hyperbuild/hyper/internal/suggest"
)

// variable is one declared variable block.
type variable struct {
	name   string
	typ    cty.Type // cty.DynamicPseudoType when no type is given
	value  cty.Value
	set    bool
	decl   hcl.Range
	labels hcl.Range
}

// declareVariables decodes the variable blocks, in order.
func declareVariables(blocks hcl.Blocks) (map[string]*variable, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vars := map[string]*variable{}
	for _, b := range blocks {
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			diags = append(diags, errorAt(b.LabelRanges[0], "Invalid variable name", "A variable name is a letter followed by letters, digits, '_' and '-'."))
			continue
		}
		if prev, ok := vars[name]; ok {
			diags = append(diags, errorAt(b.LabelRanges[0], "Duplicate variable", "Variable %q was already declared at %s.", name, prev.labels))
			continue
		}
		content, d := b.Body.Content(variableSchema)
		diags = append(diags, d...)
		v := &variable{name: name, typ: cty.DynamicPseudoType, decl: b.DefRange, labels: b.LabelRanges[0]}
		if a, ok := content.Attributes["type"]; ok {
			t, d := typeexpr.TypeConstraint(a.Expr)
			diags = append(diags, d...)
			if !d.HasErrors() {
				v.typ = t
			}
		}
		if a, ok := content.Attributes["description"]; ok {
			var desc string
			diags = append(diags, decodeExpr(a.Expr, nil, &desc)...)
		}
		if a, ok := content.Attributes["default"]; ok {
			val, d := a.Expr.Value(nil)
			diags = append(diags, d...)
			if !d.HasErrors() {
				diags = append(diags, v.assign(val, a.Expr.Range(), "default")...)
			}
		}
		vars[name] = v
	}
	return vars, diags
}

// assign converts val to v's type and sets it.
func (v *variable) assign(val cty.Value, rng hcl.Range, from string) hcl.Diagnostics {
	cv, err := convert.Convert(val, v.typ)
	if err != nil {
		return hcl.Diagnostics{errorAt(rng, "Invalid value for variable", "The %s of variable %q is not %s: %s.", from, v.name, article(typeexpr.TypeString(v.typ)), err)}
	}
	v.value, v.set = cv, true
	return nil
}

// setFromFiles applies -var-file files in order.
func (l *Loader) setFromFiles(vars map[string]*variable) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, path := range l.opts.varFiles {
		src, rd := readPodFile(path, "-var-file")
		if rd == nil {
			rd = sourceDiag(path, src, false)
		}
		if rd != nil {
			diags = append(diags, rd)
			continue
		}
		f, d := l.parser.ParseHCL(src, path)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		attrs, d := f.Body.JustAttributes()
		diags = append(diags, d...)
		for _, a := range sortedAttributes(attrs) {
			v, ok := vars[a.Name]
			if !ok {
				diags = append(diags, errorAt(a.NameRange, "Undeclared variable", "The pod file declares no variable %q%s; declare it with a variable block or remove it from %s.", a.Name, didYouMean(a.Name, vars), path))
				continue
			}
			val, d := a.Expr.Value(nil)
			diags = append(diags, d...)
			if !d.HasErrors() {
				diags = append(diags, v.assign(val, a.Expr.Range(), "value in "+path)...)
			}
		}
	}
	return diags
}

// setFromFlags applies -var NAME=VALUE. A text value suits a string (or
// untyped) variable as is; for other types it is read as an HCL
// expression: -var cpus=2, -var 'dns=["1.1.1.1"]'.
func (l *Loader) setFromFlags(vars map[string]*variable) hcl.Diagnostics {
	var diags hcl.Diagnostics
	names := make([]string, 0, len(l.opts.vars))
	for k := range l.opts.vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		text := l.opts.vars[name]
		v, ok := vars[name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Undeclared variable",
				Detail:   fmt.Sprintf("-var %s=... sets a variable the pod file does not declare%s; declare it with variable %q {} or drop the flag.", name, didYouMean(name, vars), name),
			})
			continue
		}
		val := cty.StringVal(text)
		if v.typ != cty.String && v.typ != cty.DynamicPseudoType {
			var d hcl.Diagnostics
			if _, err := checkNesting("-var "+name, []byte(text), false); err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid -var value", Detail: err.Error() + "."})
				continue
			}
			expr, pd := hclsyntax.ParseExpression([]byte(text), "-var "+name, hcl.InitialPos)
			if !pd.HasErrors() {
				val, d = expr.Value(nil)
			}
			if pd.HasErrors() || d.HasErrors() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid -var value", Detail: fmt.Sprintf("-var %s=%s: variable %q is %s and %q is not a value of that type.", name, text, name, article(typeexpr.TypeString(v.typ)), text)})
				continue
			}
		}
		if cv, err := convert.Convert(val, v.typ); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid -var value", Detail: fmt.Sprintf("-var %s=%s: variable %q is %s: %s.", name, text, name, article(typeexpr.TypeString(v.typ)), err)})
		} else {
			v.value, v.set = cv, true
		}
	}
	return diags
}

// variableValues checks every variable has a value and returns the
// object var.* evaluates against.
func variableValues(vars map[string]*variable) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vals := map[string]cty.Value{}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		v := vars[name]
		if !v.set {
			diags = append(diags, errorAt(v.decl, "No value for variable", "Variable %q has no default; set it with -var %s=VALUE or in a -var-file.", name, name))
			continue
		}
		vals[name] = v.value
	}
	return cty.ObjectVal(vals), diags
}

// checkReferences reports every var.NAME in body that names no declared
// variable, before anything is evaluated, so the user reads one clear
// diagnostic instead of HCL's "unsupported attribute" on an object.
func checkReferences(body hcl.Body, vars map[string]*variable) hcl.Diagnostics {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var diags hcl.Diagnostics
	hclsyntax.VisitAll(sb, func(n hclsyntax.Node) hcl.Diagnostics {
		e, ok := n.(*hclsyntax.ScopeTraversalExpr)
		if !ok || len(e.Traversal) < 2 || e.Traversal.RootName() != "var" {
			return nil
		}
		var name string
		switch step := e.Traversal[1].(type) {
		case hcl.TraverseAttr:
			name = step.Name
		case hcl.TraverseIndex:
			if step.Key.Type() != cty.String || !step.Key.IsKnown() || step.Key.IsNull() {
				return nil
			}
			name = step.Key.AsString()
		default:
			return nil
		}
		if _, ok := vars[name]; !ok {
			diags = append(diags, errorAt(e.Traversal.SourceRange(), "Undefined variable", "No variable %q is declared%s.", name, orElse(didYouMean(name, vars), fmt.Sprintf("; add a variable %q block", name))))
		}
		return nil
	})
	return diags
}

func didYouMean(name string, vars map[string]*variable) string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	if s := suggest.Closest(name, names, 4); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// sortedAttributes orders attributes as they appear in the source, so
// diagnostics come out in reading order.
func sortedAttributes(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Range, out[j].Range
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return out
}
