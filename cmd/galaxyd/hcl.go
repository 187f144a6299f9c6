package main

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// decodeBody decodes an HCL body (LoadConfig: the whole file) into the struct target
// points to, by its hcl tags, the way gohcl does (it does the value conversions), with
// three additions the adapters' Config structs need:
//
//   - the fields of an embedded struct without an hcl tag belong to the same body
//     (nomad.Config embeds jobspec.Config);
//   - a field whose type implements encoding.TextUnmarshaler (orchestrator.Duration)
//     is decoded from a string; a pointer to such a type (*orchestrator.Duration)
//     stays nil when the key is absent, for settings whose default differs from zero;
//   - a block field of struct type (not a pointer) may be left out.
//
// Unknown keys and every bad value are diagnostics with the file position; their
// text starts with the key's path under prefix ("nomad.kill_timeout"). ranges, when
// not nil, receives the range of every attribute and block decoded, keyed by that
// path ("nomad.constraint[1].value"), so later checks can point at the culprit too.
func decodeBody(body hcl.Body, ctx *hcl.EvalContext, prefix string, target any, ranges map[string]hcl.Range) hcl.Diagnostics {
	rv := reflect.ValueOf(target)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("decodeBody: target must be a pointer to a struct, not %T", target))
	}
	return decodeStruct(body, ctx, prefix, rv.Elem(), ranges)
}

// hclField is one tagged field of a struct, embedded structs flattened.
type hclField struct {
	name  string
	kind  string // "attr" (required), "optional", "block" or "label"
	index []int
}

func hclFields(t reflect.Type) []hclField {
	var out []hclField
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("hcl")
		if !ok {
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				for _, sub := range hclFields(f.Type) {
					sub.index = append([]int{i}, sub.index...)
					out = append(out, sub)
				}
			}
			continue
		}
		name, kind, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if kind == "" {
			kind = "attr"
		}
		out = append(out, hclField{name: name, kind: kind, index: []int{i}})
	}
	return out
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// blockStruct is the struct type a block field holds: T, *T, []T or []*T.
func blockStruct(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func decodeStruct(body hcl.Body, ctx *hcl.EvalContext, prefix string, v reflect.Value, ranges map[string]hcl.Range) hcl.Diagnostics {
	fields := hclFields(v.Type())
	schema := &hcl.BodySchema{}
	for _, f := range fields {
		switch f.kind {
		case "attr", "optional":
			schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: f.name, Required: f.kind == "attr"})
		case "block":
			var labels []string
			for _, lf := range hclFields(blockStruct(v.FieldByIndex(f.index).Type())) {
				if lf.kind == "label" {
					labels = append(labels, lf.name)
				}
			}
			schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: f.name, LabelNames: labels})
		case "label":
		default:
			panic(fmt.Sprintf("decodeBody: field %s: unsupported hcl tag kind %q", f.name, f.kind))
		}
	}
	content, diags := body.Content(schema)
	blocks := content.Blocks.ByType()
	for _, f := range fields {
		fv := v.FieldByIndex(f.index)
		path := prefix + f.name
		switch f.kind {
		case "attr", "optional":
			attr := content.Attributes[f.name]
			if attr == nil {
				continue
			}
			if ranges != nil {
				ranges[path] = attr.Range
			}
			diags = append(diags, decodeAttr(attr, ctx, path, fv)...)
		case "block":
			diags = append(diags, decodeBlocks(blocks[f.name], ctx, path, fv, ranges)...)
		}
	}
	return diags
}

func decodeAttr(attr *hcl.Attribute, ctx *hcl.EvalContext, path string, fv reflect.Value) hcl.Diagnostics {
	t := fv.Type()
	ptr := t.Kind() == reflect.Pointer && t.Implements(textUnmarshaler)
	if ptr || reflect.PointerTo(t).Implements(textUnmarshaler) {
		var s *string
		if diags := gohcl.DecodeExpression(attr.Expr, ctx, &s); diags.HasErrors() {
			return named(path, diags)
		}
		if s == nil {
			return nil
		}
		dst := fv.Addr()
		if ptr {
			dst = reflect.New(t.Elem())
		}
		if err := dst.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(*s)); err != nil {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invalid value",
				Detail:   path + ": " + err.Error(),
				Subject:  attr.Expr.Range().Ptr(),
			}}
		}
		if ptr {
			fv.Set(dst)
		}
		return nil
	}
	return named(path, gohcl.DecodeExpression(attr.Expr, ctx, fv.Addr().Interface()))
}

// diagsError is every error of diags, in their order in the file, one a line:
// hcl.Diagnostics.Error shows only the first and counts the others.
func diagsError(diags hcl.Diagnostics) error {
	var errs []*hcl.Diagnostic
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs = append(errs, d)
		}
	}
	slices.SortStableFunc(errs, func(a, b *hcl.Diagnostic) int {
		if a.Subject == nil || b.Subject == nil || a.Subject.Filename != b.Subject.Filename {
			return 0
		}
		return a.Subject.Start.Byte - b.Subject.Start.Byte
	})
	out := make([]error, len(errs))
	for i, d := range errs {
		out[i] = d
	}
	return errors.Join(out...)
}

// named puts the key's path in front of each diagnostic's detail: gohcl's say what
// was wrong ("a number is required") but not of what.
func named(path string, diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		d.Detail = path + ": " + d.Detail
	}
	return diags
}

func decodeBlocks(list hcl.Blocks, ctx *hcl.EvalContext, path string, fv reflect.Value, ranges map[string]hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	one := func(b *hcl.Block, p string, sv reflect.Value) {
		if ranges != nil {
			ranges[p] = b.DefRange
		}
		li := 0
		for _, lf := range hclFields(sv.Type()) {
			if lf.kind == "label" && li < len(b.Labels) {
				sv.FieldByIndex(lf.index).SetString(b.Labels[li])
				li++
			}
		}
		diags = append(diags, decodeStruct(b.Body, ctx, p+".", sv, ranges)...)
	}
	t := fv.Type()
	if t.Kind() == reflect.Slice {
		s := reflect.MakeSlice(t, len(list), len(list))
		for i, b := range list {
			ev := s.Index(i)
			if ev.Kind() == reflect.Pointer {
				ev.Set(reflect.New(ev.Type().Elem()))
				ev = ev.Elem()
			}
			one(b, path+"["+strconv.Itoa(i)+"]", ev)
		}
		if len(list) > 0 {
			fv.Set(s)
		}
		return diags
	}
	if len(list) > 1 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duplicate " + list[1].Type + " block",
			Detail:   fmt.Sprintf("%s: only one %s block is allowed; another was defined at %s", path, list[1].Type, list[0].DefRange),
			Subject:  list[1].DefRange.Ptr(),
		}}
	}
	if len(list) == 0 {
		return nil
	}
	if t.Kind() == reflect.Pointer {
		fv.Set(reflect.New(t.Elem()))
		fv = fv.Elem()
	}
	one(list[0], path, fv)
	return diags
}

// positioned turns a check's complaint about key (a path under prefix, as in
// decodeBody's ranges, possibly more precise than what was written: a missing
// "constraint[0].attribute" points at its block) into an error with the position.
func positioned(ranges map[string]hcl.Range, key, msg string) error {
	for k := key; k != ""; k = parentKey(k) {
		if r, ok := ranges[k]; ok {
			return fmt.Errorf("%s: %s", r, msg)
		}
	}
	return fmt.Errorf("%s", msg)
}

// parentKey is "a.b[1]" for "a.b[1].c", "a.b" for "a.b[1]", and "" at the top.
func parentKey(k string) string {
	i := strings.LastIndexAny(k, ".[")
	if i < 0 {
		return ""
	}
	return k[:i]
}
