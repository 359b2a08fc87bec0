package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/docker/cli/cli/command/formatter"

	"github.com/docker-heal/docker-heal/internal/safetext"
	"github.com/docker-heal/docker-heal/internal/tmplcheck"
	"github.com/docker-heal/docker-heal/lint"
)

// IsTemplate reports whether a --format value is a Go template (as docker ps
// takes it: "table {{.Rule}}\t{{.Subject}}" or "{{json .}}") rather than
// the name of a format.
func IsTemplate(format string) bool { return strings.Contains(format, "{{") }

// templateRenderer prints one line per finding through docker/cli's
// formatter; a "table " template has a header and aligned columns.
type templateRenderer struct{ format string }

// findingContext is one finding as a template sees it.
type findingContext struct {
	formatter.HeaderContext
	f lint.Finding
}

func newFindingContext() *findingContext {
	c := &findingContext{}
	c.Header = formatter.SubHeaderContext{
		"Rule": "RULE", "Severity": "SEVERITY", "File": "FILE", "Line": "LINE", "Column": "COLUMN",
		"Position": "POSITION", "Subject": "SUBJECT", "Service": "SERVICE", "Message": "MESSAGE", "URL": "URL",
	}
	return c
}

// MarshalJSON is what {{json .}} prints: the finding as --format json has it.
func (c *findingContext) MarshalJSON() ([]byte, error) {
	f := c.f
	return json.Marshal(jsonFinding{Rule: f.Rule, Severity: f.Severity.String(), File: f.Pos.File, Line: f.Pos.Line,
		Column: f.Pos.Col, Subject: f.Subject, Service: f.Service, Message: f.Message, URL: f.URL})
}

// Subjects and messages may quote what a container or file holds: escaped
// before the table aligns its columns.

func (c *findingContext) Rule() string     { return c.f.Rule }
func (c *findingContext) Severity() string { return c.f.Severity.String() }
func (c *findingContext) File() string     { return safetext.Escape(c.f.Pos.File) }
func (c *findingContext) Line() int        { return c.f.Pos.Line }
func (c *findingContext) Column() int      { return c.f.Pos.Col }
func (c *findingContext) Position() string { return safetext.Escape(c.f.Pos.String()) }
func (c *findingContext) Subject() string  { return safetext.Escape(c.f.Subject) }
func (c *findingContext) Service() string  { return safetext.Escape(c.f.Service) }
func (c *findingContext) Message() string  { return safetext.Escape(c.f.Message) }
func (c *findingContext) URL() string      { return c.f.URL }

// CheckTemplate tries a template on an example finding: a mistake (or a
// field that does not exist) is found before anything runs.
func CheckTemplate(format string) error {
	example := newFindingContext()
	example.f = lint.Finding{Rule: "healthcheck-missing", Severity: lint.SeverityWarning, Pos: lint.Position{File: "compose.yaml", Line: 1, Col: 1},
		Subject: "web", Message: "m", URL: "u"}
	if err := tmplcheck.Check(format, example); err != nil {
		return fmt.Errorf("--format %q: %w", format, err)
	}
	return nil
}

func (r templateRenderer) Render(w io.Writer, res *lint.Result) error {
	var buf bytes.Buffer
	ctx := formatter.Context{Output: &buf, Format: formatter.Format(r.format)}
	err := ctx.Write(newFindingContext(), func(write func(formatter.SubContext) error) error {
		for _, f := range res.Findings {
			c := newFindingContext()
			c.f = f
			if err := write(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, safetext.EscapeKeepLines(buf.String()))
	return err
}
