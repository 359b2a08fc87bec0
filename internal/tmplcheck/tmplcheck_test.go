package tmplcheck

import (
	"strings"
	"testing"

	"github.com/docker/cli/cli/command/formatter"
)

type row struct {
	formatter.HeaderContext
	n *int
}

func (r *row) Name() string { return "web" }
func (r *row) Count() int   { return *r.n }

func TestCheck(t *testing.T) {
	n := 1
	if err := Check("table {{.Name}}\t{{.Count}}", &row{n: &n}); err != nil {
		t.Errorf("good template: %v", err)
	}
	err := Check("{{.Nope}}", &row{n: &n})
	if err == nil {
		t.Fatal("{{.Nope}} passed")
	}
	msg := err.Error()
	if !strings.Contains(msg, "can't evaluate field Nope; fields: Count, Name") || strings.Contains(msg, "tmplcheck.row") || strings.Contains(msg, "parsing error") {
		t.Errorf("message %q: want the field and the list of fields, no Go type", msg)
	}
	if err := Check("{{.Name", &row{n: &n}); err == nil || !strings.Contains(err.Error(), "unclosed action") {
		t.Errorf("parse error: %v", err)
	}
}
