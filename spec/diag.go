package spec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// errorAt is an error diagnostic about the thing at rng.
func errorAt(rng hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: &r}
}

// errorAtWith is errorAt with a second range the detail refers to (the
// first definition of a duplicate, say).
func errorAtWith(rng, ctx hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	d := errorAt(rng, summary, detail, args...)
	c := ctx
	d.Context = &c
	return d
}

// sentence capitalises err's message and ends it with a period, as HCL's
// diagnostic details read.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	if last := s[len(s)-1]; last != '.' && last != '?' && last != '!' {
		s += "."
	}
	return s
}
