// Package tmplcheck tries a --format Go template before any work is done,
// so that a mistake is a usage error naming the fields a template may use.
package tmplcheck

import (
	"errors"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/docker/cli/cli/command/formatter"
)

// Check parses format (as docker/cli's formatter takes it: "table ...", or
// a bare template) and executes it on example, as docker/cli does, with
// output discarded. A field that does not exist is
// "template: ...: can't evaluate field Nope; fields: A, B, ...".
func Check(format string, example formatter.SubContext) error {
	ctx := formatter.Context{Output: io.Discard, Format: formatter.Format(format)}
	err := ctx.Write(example, func(write func(formatter.SubContext) error) error { return write(example) })
	if err == nil {
		return nil
	}
	return errors.New(Explain(err.Error(), example))
}

// inType is the Go type text/template names in "can't evaluate field X in
// type *pkg.ctx": internal, so it is replaced by the list of fields.
var inType = regexp.MustCompile(` in type \*?[A-Za-z0-9_.]+`)

// Explain rewrites a formatter error: without docker/cli's "template
// parsing error: " prefix (it says so for execution errors too) and with
// the fields of ctx instead of its Go type.
func Explain(msg string, ctx formatter.SubContext) string {
	msg = strings.TrimPrefix(msg, "template parsing error: ")
	if inType.MatchString(msg) {
		msg = inType.ReplaceAllString(msg, "") + "; fields: " + strings.Join(Fields(ctx), ", ")
	}
	return msg
}

// Fields are the methods of ctx a template may use: its exported methods
// without docker/cli's header plumbing and MarshalJSON ({{json .}}).
func Fields(ctx formatter.SubContext) []string {
	skip := map[string]bool{"MarshalJSON": true}
	h := reflect.TypeOf(&formatter.HeaderContext{})
	for i := range h.NumMethod() {
		skip[h.Method(i).Name] = true
	}
	t := reflect.TypeOf(ctx)
	var fields []string
	for i := range t.NumMethod() {
		if name := t.Method(i).Name; !skip[name] {
			fields = append(fields, name)
		}
	}
	slices.Sort(fields)
	return fields
}
