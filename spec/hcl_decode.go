package spec

import (
	"fmt"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
)

// podDecoder evaluates a pod block's attributes against ctx and collects
// diagnostics as it goes, so one run reports every problem it can.
type podDecoder struct {
	ctx   *hcl.EvalContext
	dir   string // the pod file's directory, absolute
	diags hcl.Diagnostics
}

func (p *podDecoder) add(d ...*hcl.Diagnostic) { p.diags = append(p.diags, d...) }

// content decodes body against schema, reporting what does not fit,
// including required attributes set to null.
func (p *podDecoder) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, d := body.Content(schema)
	p.add(d...)
	if c == nil {
		return nil
	}
	for _, s := range schema.Attributes {
		a := c.Attributes[s.Name]
		if !s.Required || a == nil {
			continue
		}
		if v, d := a.Expr.Value(p.ctx); !d.HasErrors() && v.IsNull() {
			p.add(errorAt(a.Expr.Range(), "Missing required argument", "The argument %q is required and cannot be null.", s.Name))
		}
	}
	return c
}

// eval evaluates a, reporting false when it is absent, null or wrong.
func (p *podDecoder) eval(a *hcl.Attribute) (cty.Value, bool) {
	if a == nil {
		return cty.NilVal, false
	}
	v, d := a.Expr.Value(p.ctx)
	p.add(d...)
	if d.HasErrors() || v.IsNull() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		p.add(errorAt(a.Expr.Range(), "Unknown value", "The value of %s cannot be known when the pod file is read.", a.Name))
		return cty.NilVal, false
	}
	return v, true
}

// decode evaluates a into target (a pointer to a Go value), with HCL's
// own type conversion and "unsuitable value" diagnostics.
func (p *podDecoder) decode(a *hcl.Attribute, target any) bool {
	if _, ok := p.eval(a); !ok {
		return false
	}
	return !p.decodeExpr(a.Expr, target).HasErrors()
}

func (p *podDecoder) decodeExpr(e hcl.Expression, target any) hcl.Diagnostics {
	d := decodeExpr(e, p.ctx, target)
	p.add(d...)
	return d
}

func decodeExpr(e hcl.Expression, ctx *hcl.EvalContext, target any) hcl.Diagnostics {
	return gohcl.DecodeExpression(e, ctx, target)
}

// str decodes a string attribute.
func (p *podDecoder) str(a *hcl.Attribute) (string, bool) {
	var s string
	ok := p.decode(a, &s)
	return s, ok
}

// check reports err, if any, as a diagnostic on a's value.
func (p *podDecoder) check(a *hcl.Attribute, summary string, err error) bool {
	if err != nil {
		p.add(errorAt(a.Expr.Range(), summary, "%s", sentence(err)))
		return false
	}
	return true
}

// checkRange reports err, if any, as a diagnostic on rng (a block's label,
// say, which is no attribute).
func (p *podDecoder) checkRange(rng hcl.Range, summary string, err error) bool {
	if err != nil {
		p.add(errorAt(rng, summary, "%s", sentence(err)))
		return false
	}
	return true
}

// size decodes a size: a string with a unit, or a whole number of bytes.
func (p *podDecoder) size(a *hcl.Attribute) (int64, bool) {
	v, ok := p.eval(a)
	if !ok {
		return 0, false
	}
	switch v.Type() {
	case cty.Number:
		f := v.AsBigFloat()
		if n, acc := f.Int64(); acc == big.Exact && n >= 0 {
			return n, true
		}
		p.add(errorAt(a.Expr.Range(), "Invalid size", "%s", sentence(fmt.Errorf("%w %s: %s", ErrSize, f.Text('g', 10), sizeHelp))))
		return 0, false
	case cty.String:
		n, err := parseSize(v.AsString())
		return n, p.check(a, "Invalid size", err)
	}
	p.add(errorAt(a.Expr.Range(), "Invalid size", "A size is a string such as \"256MiB\" or a number of bytes, not a %s.", v.Type().FriendlyName()))
	return 0, false
}
