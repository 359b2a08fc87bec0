package commands

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
)

// codeClimateRequired checks an issue against the fields GitLab documents as
// required for a Code Quality report
// (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format):
// description, check_name, fingerprint, severity (one of Code Climate's five),
// location.path (relative) and location.lines.begin (an integer >= 1).
func codeClimateRequired(t *testing.T, i int, raw map[string]any) {
	t.Helper()
	str := func(m map[string]any, key string) string {
		s, ok := m[key].(string)
		if !ok || s == "" {
			t.Errorf("issue %d: %q missing or not a non-empty string: %v", i, key, raw)
		}
		return s
	}
	str(raw, "description")
	str(raw, "check_name")
	str(raw, "fingerprint")
	if typ, ok := raw["type"]; ok && typ != "issue" {
		t.Errorf("issue %d: type %v, want \"issue\"", i, typ)
	}
	switch sev := str(raw, "severity"); sev {
	case "info", "minor", "major", "critical", "blocker":
	default:
		t.Errorf("issue %d: severity %q is not one of info, minor, major, critical, blocker", i, sev)
	}
	loc, ok := raw["location"].(map[string]any)
	if !ok {
		t.Fatalf("issue %d: no location object: %v", i, raw)
	}
	if path := str(loc, "path"); filepath.IsAbs(path) || strings.HasPrefix(path, "./") {
		t.Errorf("issue %d: location.path %q is not relative to the project", i, path)
	}
	lines, ok := loc["lines"].(map[string]any)
	if !ok {
		t.Fatalf("issue %d: no location.lines object: %v", i, raw)
	}
	begin, ok := lines["begin"].(float64)
	if !ok || begin < 1 || begin != float64(int(begin)) {
		t.Errorf("issue %d: location.lines.begin %v is not a line number", i, lines["begin"])
	}
}

type codeClimateIssue struct {
	CheckName   string `json:"check_name"`
	Fingerprint string
	Severity    string
	Location    struct {
		Path  string
		Lines struct{ Begin int }
	}
}

func lintCodeClimate(t *testing.T, dir string) []codeClimateIssue {
	t.Helper()
	out, errOut, code := runCLI(t, dir, "lint", "--format", "codeclimate")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1; stderr: %s", code, errOut)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("codeclimate output is not a JSON array: %v\n%s", err, out)
	}
	if len(raw) == 0 {
		t.Fatal("codeclimate: no issues for a project with findings")
	}
	for i, r := range raw {
		codeClimateRequired(t, i, r)
	}
	var issues []codeClimateIssue
	if err := json.Unmarshal([]byte(out), &issues); err != nil {
		t.Fatal(err)
	}
	return issues
}

func TestLintCodeClimate(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, testdataDir(t, "project"), dir)
	first := lintCodeClimate(t, dir)
	seen := map[string]bool{}
	sevByRule := map[string]string{}
	for _, is := range first {
		if seen[is.Fingerprint] {
			t.Errorf("fingerprint %s appears twice", is.Fingerprint)
		}
		seen[is.Fingerprint] = true
		sevByRule[is.CheckName] = is.Severity
	}
	// The project has one finding of each severity at least.
	for rule, want := range map[string]string{"healthcheck-curl-no-fail": "major", "log-rotation-missing": "minor", "restart-always": "info"} {
		if sevByRule[rule] != want {
			t.Errorf("%s: severity %q, want %q", rule, sevByRule[rule], want)
		}
	}

	again := lintCodeClimate(t, dir)
	if len(again) != len(first) {
		t.Fatalf("second run: %d issues, first %d", len(again), len(first))
	}
	for i := range first {
		if again[i].Fingerprint != first[i].Fingerprint {
			t.Errorf("%s: fingerprint changed between two runs", first[i].CheckName)
		}
	}

	// A blank line above the db service moves its findings down one line;
	// GitLab must still see the same issues, not fixed ones and new ones.
	composeFile := filepath.Join(dir, "compose.yaml")
	src, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(string(src), "\n  db:\n", "\n\n  db:\n", 1)
	if moved == string(src) {
		t.Fatal("test fixture: no db service to move")
	}
	if err := os.WriteFile(composeFile, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	after := lintCodeClimate(t, dir)
	if len(after) != len(first) {
		t.Fatalf("after the move: %d issues, before %d", len(after), len(first))
	}
	movedLines := 0
	for i := range first {
		if after[i].Fingerprint != first[i].Fingerprint {
			t.Errorf("%s at %s:%d: fingerprint changed when the service moved down a line", first[i].CheckName, first[i].Location.Path, first[i].Location.Lines.Begin)
		}
		if after[i].Location.Lines.Begin != first[i].Location.Lines.Begin {
			movedLines++
		}
	}
	if movedLines == 0 {
		t.Error("no issue moved: the blank line did not land above the service")
	}
}

func TestLintCheckstyle(t *testing.T) {
	project := testdataDir(t, "project")
	out, errOut, code := runCLI(t, project, "lint", "--format", "checkstyle")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1; stderr: %s", code, errOut)
	}
	var doc struct {
		XMLName xml.Name `xml:"checkstyle"`
		Files   []struct {
			Name   string `xml:"name,attr"`
			Errors []struct {
				Line     int    `xml:"line,attr"`
				Severity string `xml:"severity,attr"`
				Message  string `xml:"message,attr"`
				Source   string `xml:"source,attr"`
			} `xml:"error"`
		} `xml:"file"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("checkstyle output does not parse as XML: %v\n%s", err, out)
	}
	findings, _ := lintJSON(t, project)
	var errs []string
	for _, f := range doc.Files {
		for _, e := range f.Errors {
			if e.Line < 1 || e.Message == "" || !strings.HasPrefix(e.Source, "docker-heal.") {
				t.Errorf("incomplete <error> in %s: %+v", f.Name, e)
			}
			switch e.Severity {
			case "error", "warning", "info":
			default:
				t.Errorf("severity %q is not checkstyle's", e.Severity)
			}
			errs = append(errs, f.Name+" "+strings.TrimPrefix(e.Source, "docker-heal."))
		}
	}
	var want []string
	for _, f := range findings.Findings {
		want = append(want, f.File+" "+f.Rule)
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("checkstyle <error>s differ from the findings:\n%s\nwant one per finding:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
	golden(t, "project.checkstyle", out)
}

func TestAuditCodeClimateAndCheckstyle(t *testing.T) {
	// A compose-created container points at its compose file, which GitLab
	// needs relative to where the job runs.
	dir := t.TempDir()
	t.Chdir(dir)
	composeFile := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(composeFile, []byte("services:\n  web:\n    image: example/web:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := auditFake(t)
	f.Update(statusID(11), func(c *container.InspectResponse) {
		c.Config.Labels["com.docker.compose.project.config_files"] = composeFile
		c.Config.Labels["com.docker.compose.service"] = "web"
	})
	out, errOut, code := auditRun(t, f.Client(), auditOptions{findingOptions: findingOptions{format: "codeclimate", failOn: "info"}}, "bad")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1 (bad has findings); stderr %s", code, errOut)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil || len(raw) == 0 {
		t.Fatalf("%v: %s", err, out)
	}
	for i, r := range raw {
		codeClimateRequired(t, i, r)
		if path := r["location"].(map[string]any)["path"]; path != "compose.yaml" {
			t.Errorf("issue %d at %v, want compose.yaml", i, path)
		}
	}
	out, _, _ = auditRun(t, f.Client(), auditOptions{findingOptions: findingOptions{format: "checkstyle"}}, "bad")
	var doc struct {
		Files []struct {
			Errors []struct{} `xml:"error"`
		} `xml:"file"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) == 0 {
		t.Fatalf("checkstyle: %v\n%s", err, out)
	}
	errs := 0
	for _, file := range doc.Files {
		errs += len(file.Errors)
	}
	if errs != len(raw) {
		t.Errorf("checkstyle has %d <error>s for %d findings", errs, len(raw))
	}
}
