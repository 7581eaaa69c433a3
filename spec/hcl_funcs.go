package spec

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// maxFileFuncSize bounds what file() reads, all calls of one pod file
// together: pod files carry small configuration files, not images.
const maxFileFuncSize = 16 << 20

// fileFuncBudget is maxFileFuncSize, smaller in tests.
var fileFuncBudget int64 = maxFileFuncSize

// functions are the functions a pod file may call: go-cty's standard
// library (Terraform's names), try/can, base64, and file() relative to
// the pod file's directory.
func functions(dir string) map[string]function.Function {
	return map[string]function.Function{
		"abs":           stdlib.AbsoluteFunc,
		"base64decode":  base64DecodeFunc,
		"base64encode":  base64EncodeFunc,
		"can":           tryfunc.CanFunc,
		"ceil":          stdlib.CeilFunc,
		"chomp":         stdlib.ChompFunc,
		"coalesce":      stdlib.CoalesceFunc,
		"compact":       stdlib.CompactFunc,
		"concat":        stdlib.ConcatFunc,
		"contains":      stdlib.ContainsFunc,
		"csvdecode":     stdlib.CSVDecodeFunc,
		"distinct":      stdlib.DistinctFunc,
		"element":       stdlib.ElementFunc,
		"file":          fileFunc(dir),
		"flatten":       stdlib.FlattenFunc,
		"floor":         stdlib.FloorFunc,
		"format":        stdlib.FormatFunc,
		"formatlist":    stdlib.FormatListFunc,
		"indent":        stdlib.IndentFunc,
		"join":          stdlib.JoinFunc,
		"jsondecode":    jsonDecodeFunc,
		"jsonencode":    stdlib.JSONEncodeFunc,
		"keys":          stdlib.KeysFunc,
		"length":        stdlib.LengthFunc,
		"lookup":        stdlib.LookupFunc,
		"lower":         stdlib.LowerFunc,
		"max":           stdlib.MaxFunc,
		"merge":         stdlib.MergeFunc,
		"min":           stdlib.MinFunc,
		"parseint":      stdlib.ParseIntFunc,
		"range":         stdlib.RangeFunc,
		"regex":         stdlib.RegexFunc,
		"regex_replace": stdlib.RegexReplaceFunc,
		"replace":       stdlib.ReplaceFunc,
		"reverse":       stdlib.ReverseListFunc,
		"slice":         stdlib.SliceFunc,
		"sort":          stdlib.SortFunc,
		"split":         stdlib.SplitFunc,
		"strlen":        stdlib.StrlenFunc,
		"strrev":        stdlib.ReverseFunc,
		"substr":        stdlib.SubstrFunc,
		"title":         stdlib.TitleFunc,
		"tobool":        stdlib.MakeToFunc(cty.Bool),
		"tolist":        stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":         stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":      stdlib.MakeToFunc(cty.Number),
		"tostring":      stdlib.MakeToFunc(cty.String),
		"trim":          stdlib.TrimFunc,
		"trimprefix":    stdlib.TrimPrefixFunc,
		"trimspace":     stdlib.TrimSpaceFunc,
		"trimsuffix":    stdlib.TrimSuffixFunc,
		"try":           tryfunc.TryFunc,
		"upper":         stdlib.UpperFunc,
		"values":        stdlib.ValuesFunc,
		"zipmap":        stdlib.ZipmapFunc,
	}
}

// fileFunc reads a UTF-8 text file; relative paths are relative to dir.
// The files of one pod file are read once each and hold at most
// maxFileFuncSize bytes in all, so that a pod file cannot read a big file
// a thousand times over (the decoder evaluates some attributes twice).
func fileFunc(dir string) function.Function {
	left := fileFuncBudget
	read := map[string]cty.Value{}
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			if v, ok := read[p]; ok {
				return v, nil
			}
			fi, err := os.Stat(p)
			if err != nil {
				return cty.NilVal, fmt.Errorf("reading %s: %w", args[0].AsString(), err)
			}
			if !fi.Mode().IsRegular() || fi.Size() > maxFileFuncSize {
				return cty.NilVal, fmt.Errorf("reading %s: not a regular file of at most %d MiB", args[0].AsString(), maxFileFuncSize>>20)
			}
			if fi.Size() > left {
				return cty.NilVal, fmt.Errorf("reading %s: file() reads at most %d MiB in all, and earlier calls read %d bytes of it", args[0].AsString(), maxFileFuncSize>>20, fileFuncBudget-left)
			}
			f, err := os.Open(p)
			if err != nil {
				return cty.NilVal, fmt.Errorf("reading %s: %w", args[0].AsString(), err)
			}
			defer f.Close()
			b, err := io.ReadAll(io.LimitReader(f, left+1)) // the file may have grown
			if err != nil {
				return cty.NilVal, fmt.Errorf("reading %s: %w", args[0].AsString(), err)
			}
			if int64(len(b)) > left {
				return cty.NilVal, fmt.Errorf("reading %s: file() reads at most %d MiB in all", args[0].AsString(), maxFileFuncSize>>20)
			}
			left -= int64(len(b))
			if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
				return cty.NilVal, fmt.Errorf("reading %s: %w: it holds NUL bytes or invalid UTF-8 (file blocks hold UTF-8 text only)", args[0].AsString(), ErrNotText)
			}
			read[p] = cty.StringVal(string(b))
			return read[p], nil
		},
	})
}

// jsonDecodeFunc is go-cty's jsondecode, after a check that the text
// nests no deeper than MaxNesting: its decoder recurses once per level,
// and file() can hand it 16 MiB of brackets.
var jsonDecodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type: func(args []cty.Value) (cty.Type, error) {
		if s := args[0]; s.IsKnown() && !s.IsNull() {
			if _, err := checkNesting("jsondecode", []byte(s.AsString()), true); err != nil {
				return cty.NilType, function.NewArgError(0, err)
			}
		}
		return stdlib.JSONDecodeFunc.ReturnTypeForValues(args)
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return stdlib.JSONDecodeFunc.Call(args)
	},
})

var base64EncodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

var base64DecodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.NilVal, fmt.Errorf("decoding base64: %w", err)
		}
		if !utf8.Valid(b) {
			return cty.NilVal, fmt.Errorf("decoding base64: result is not UTF-8 text")
		}
		return cty.StringVal(string(b)), nil
	},
})
