package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/internal/sarifcheck"
	"github.com/docker-heal/docker-heal/lint"
)

// What the rules could not check is reported once, in every format that has
// a place for it, and never as a result.
func TestNotCheckedIsNeverAResult(t *testing.T) {
	rules := []lint.Rule{{ID: "healthcheck-missing", Severity: lint.SeverityWarning, Summary: "s"}, {ID: "user-root", Severity: lint.SeverityInfo, Summary: "s"}}
	res := &lint.Result{
		Files: []string{"compose.yaml", "app/Dockerfile"},
		NotChecked: []lint.NotChecked{
			{Rule: "healthcheck-missing", Subject: "db", Pos: lint.Position{File: "compose.yaml", Line: 4, Col: 3}, Reason: lint.UnknownImage, What: "postgres:16"},
			{Rule: "user-root", Subject: "db", Pos: lint.Position{File: "compose.yaml", Line: 4, Col: 3}, Reason: lint.UnknownImage, What: "postgres:16"},
			{Rule: "user-root", Subject: "stage 0", Pos: lint.Position{File: "app/Dockerfile", Line: 1, Col: 1}, Reason: lint.UnknownScript, What: "docker-entrypoint.sh", Dockerfile: true},
		},
		ImageWhy: "no engine answered", ImageHint: "run with --image-config registry",
	}
	opts := Options{Rules: rules, Version: "v1", Root: "/repo"}

	var text bytes.Buffer
	if err := Render(&text, res, "text", opts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Not checked: 2 checks not run on 1 service: image configs unknown (no engine answered); run with --image-config registry\n",
		"Not checked: 1 check not run on 1 Dockerfile: the entrypoint is a script from a base image",
		"2 files: 0 errors, 0 warnings, 0 info\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}

	var js bytes.Buffer
	if err := Render(&js, res, "json", opts); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings          []any
		NotChecked        []struct{ Rule, Reason, What string }
		NotCheckedSummary []string
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 0 || len(doc.NotChecked) != 3 || len(doc.NotCheckedSummary) != 2 || doc.NotChecked[0].Reason != "image-config-unknown" {
		t.Errorf("json: %+v", doc)
	}

	var sarif bytes.Buffer
	if err := Render(&sarif, res, "sarif", opts); err != nil {
		t.Fatal(err)
	}
	schema, err := sarifcheck.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if err := sarifcheck.Validate(schema, sarif.Bytes()); err != nil {
		t.Fatalf("SARIF with notifications does not validate: %v\n%s", err, sarif.String())
	}
	var s struct {
		Runs []struct {
			Results     []any
			Invocations []struct {
				ExecutionSuccessful        bool
				ToolExecutionNotifications []struct {
					Level          string
					AssociatedRule *struct{ ID string }
				}
			}
		}
	}
	if err := json.Unmarshal(sarif.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	run := s.Runs[0]
	if len(run.Results) != 0 || len(run.Invocations) != 1 || !run.Invocations[0].ExecutionSuccessful {
		t.Fatalf("sarif run: %+v", run)
	}
	notes := run.Invocations[0].ToolExecutionNotifications
	if len(notes) != 5 || notes[0].Level != "note" || notes[2].AssociatedRule == nil || notes[2].AssociatedRule.ID != "healthcheck-missing" {
		t.Errorf("notifications: %+v", notes)
	}
}
