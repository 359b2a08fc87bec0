// Package render writes a lint or audit result in one of the output formats:
// one file per format, each a Renderer (as golangci-lint's pkg/printers).
// Rules never format output; this package is the one place that does.
package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// Renderer writes a result in one format.
type Renderer interface {
	Render(w io.Writer, res *lint.Result) error
}

// Options carry what a renderer needs besides the findings.
type Options struct {
	Color   bool
	Rules   []lint.Rule // the registry, for SARIF's rule descriptions
	Version string
	// FileLabel is what the text summary counts: "files" or "containers".
	FileLabel string
	// FailOn is the --fail-on threshold: JUnit reports findings below it as
	// skipped cases, not failures. SeverityNone fails nothing.
	FailOn lint.Severity
	// Verbose shows every finding in text; otherwise the same info-level rule
	// on several services of one file is folded into one line.
	Verbose bool
	// Root is the absolute repository root the findings' relative paths
	// start from (SARIF's %SRCROOT%); "" when unknown.
	Root string
}

// formats are the renderers by name, in the order Formats lists them.
var formats = []struct {
	name string
	make func(Options) Renderer
}{
	{"text", func(o Options) Renderer { return textRenderer{o} }},
	{"json", func(o Options) Renderer { return jsonRenderer{} }},
	{"sarif", func(o Options) Renderer { return sarifRenderer{o} }},
	{"github", func(o Options) Renderer { return githubRenderer{} }},
	{"junit", func(o Options) Renderer { return junitRenderer{o} }},
	{"codeclimate", func(o Options) Renderer { return codeClimateRenderer{o} }},
	{"checkstyle", func(o Options) Renderer { return checkstyleRenderer{} }},
}

// Formats every findings renderer understands, for lint and audit alike.
var Formats = func() []string {
	var names []string
	for _, f := range formats {
		names = append(names, f.name)
	}
	return names
}()

// New returns the renderer of a format ("" is text).
func New(format string, opts Options) (Renderer, error) {
	if format == "" {
		format = "text"
	}
	if IsTemplate(format) {
		return templateRenderer{format}, nil
	}
	for _, f := range formats {
		if f.name == format {
			return f.make(opts), nil
		}
	}
	return nil, fmt.Errorf("unknown format %q: use %s", format, strings.Join(Formats, ", "))
}

// Render writes res in format.
func Render(w io.Writer, res *lint.Result, format string, opts Options) error {
	r, err := New(format, opts)
	if err != nil {
		return err
	}
	return r.Render(w, res)
}
