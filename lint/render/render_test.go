package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
)

func renderString(t *testing.T, res *lint.Result, format string, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, res, format, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A compose file where two info rules and one warning rule fire on two
// services: the info ones fold, the warning does not.
func foldingResult() *lint.Result {
	fs := []lint.Finding{
		{Rule: "cpu-limit-missing", Severity: lint.SeverityInfo, Pos: lint.Position{File: "compose.yaml", Line: 2, Col: 3}, Subject: "web", Message: "no CPU limit"},
		{Rule: "cpu-limit-missing", Severity: lint.SeverityInfo, Pos: lint.Position{File: "compose.yaml", Line: 5, Col: 3}, Subject: "db", Message: "no CPU limit"},
		{Rule: "image-unpinned", Severity: lint.SeverityInfo, Pos: lint.Position{File: "compose.yaml", Line: 3, Col: 5}, Subject: "web", Message: "image nginx has no tag"},
		{Rule: "image-unpinned", Severity: lint.SeverityInfo, Pos: lint.Position{File: "compose.yaml", Line: 6, Col: 5}, Subject: "db", Message: "image redis has no tag"},
		{Rule: "memory-limit-missing", Severity: lint.SeverityWarning, Pos: lint.Position{File: "compose.yaml", Line: 2, Col: 3}, Subject: "web", Message: "no memory limit"},
		{Rule: "memory-limit-missing", Severity: lint.SeverityWarning, Pos: lint.Position{File: "compose.yaml", Line: 5, Col: 3}, Subject: "db", Message: "no memory limit"},
		{Rule: "cpu-limit-missing", Severity: lint.SeverityInfo, Pos: lint.Position{File: "other/compose.yaml", Line: 2, Col: 3}, Subject: "api", Message: "no CPU limit"},
	}
	lint.SortFindings(fs)
	return &lint.Result{Findings: fs, Files: []string{"compose.yaml", "other/compose.yaml"}}
}

func TestTextFoldsInfoRulesPerFile(t *testing.T) {
	out := renderString(t, foldingResult(), "text", Options{})
	for _, want := range []string{
		// Same message: one line, naming where the others are.
		"cpu-limit-missing     web, db (line 5): no CPU limit\n",
		// Different messages (another image) are not folded under the first.
		"image-unpinned        web: image nginx has no tag\n",
		"image-unpinned        db: image redis has no tag\n",
		"memory-limit-missing  web: no memory limit\n",
		"memory-limit-missing  db: no memory limit\n",
		"cpu-limit-missing  api: no CPU limit\n", // one service: nothing to fold
		"Findings by rule:\n  3  cpu-limit-missing (info)\n  2  image-unpinned (info)\n  2  memory-limit-missing (warning)\n",
		"2 files: 0 errors, 2 warnings, 5 info\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "info     cpu-limit-missing"); n != 1 {
		t.Errorf("cpu-limit-missing on %d lines of compose.yaml, want 1 (folded):\n%s", n, out)
	}

	verbose := renderString(t, foldingResult(), "text", Options{Verbose: true})
	for _, want := range []string{"  db: no CPU limit\n", "  db: image redis has no tag\n", "  web: image nginx has no tag\n"} {
		if !strings.Contains(verbose, want) {
			t.Errorf("-v output lacks %q:\n%s", want, verbose)
		}
	}
	if strings.Contains(verbose, "(line ") || strings.Contains(verbose, "web, db") {
		t.Errorf("-v output folds:\n%s", verbose)
	}
}

func TestJUnitFindingsBelowFailOnAreNotFailures(t *testing.T) {
	for _, tc := range []struct {
		failOn            lint.Severity
		failures, skipped string
	}{
		{lint.SeverityWarning, `failures="2"`, `skipped="4"`},
		{lint.SeverityInfo, `failures="6"`, `skipped="0"`},
		{lint.SeverityError, `failures="0"`, `skipped="6"`},
		{lint.SeverityNone, `failures="0"`, `skipped="6"`},
	} {
		out := renderString(t, foldingResult(), "junit", Options{FailOn: tc.failOn})
		suite := out[strings.Index(out, `<testsuite name="compose.yaml"`):]
		suite = suite[:strings.Index(suite, ">")]
		if !strings.Contains(suite, tc.failures) || !strings.Contains(suite, tc.skipped) {
			t.Errorf("--fail-on %s: suite %s, want %s %s", tc.failOn, suite, tc.failures, tc.skipped)
		}
		if tc.failOn == lint.SeverityWarning && !strings.Contains(out, `<skipped message="info, not failing the run (--fail-on warning): compose.yaml:2:3: no CPU limit">`) {
			t.Errorf("--fail-on warning: no skipped case for the info finding:\n%s", out)
		}
	}
}

func TestSARIFSecuritySeverityAndVersion(t *testing.T) {
	rules := []lint.Rule{
		{ID: "privileged", Severity: lint.SeverityWarning, Summary: "privileged", SecuritySeverity: 9},
		{ID: "cpu-limit-missing", Severity: lint.SeverityInfo, Summary: "no cpu limit"},
	}
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Version string `json:"version"`
					Rules   []struct {
						ID         string         `json:"id"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	out := renderString(t, &lint.Result{}, "sarif", Options{Rules: rules, Version: "v1.2.3"})
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	d := doc.Runs[0].Tool.Driver
	if d.Version != "v1.2.3" {
		t.Errorf("version %q, want the stamped v1.2.3", d.Version)
	}
	for _, r := range d.Rules {
		sev, ok := r.Properties["security-severity"]
		switch r.ID {
		case "privileged":
			if sev != "9.0" {
				t.Errorf("privileged: security-severity %v, want \"9.0\" (a string, as code scanning reads it)", sev)
			}
		default:
			if ok {
				t.Errorf("%s: security-severity %v on a rule that is not about security", r.ID, sev)
			}
		}
	}
	// Not stamped: the build info's module version, or "dev" in a test binary.
	if v := lint.ToolVersion(""); v == "" {
		t.Error("ToolVersion(\"\") is empty")
	}
	if v := lint.ToolVersion("v2.0.0"); v != "v2.0.0" {
		t.Errorf("ToolVersion(v2.0.0) = %q", v)
	}
}

// A file name, YAML value or message holding terminal escapes (set the title,
// ring the bell, clear the screen) prints as visible text in text and github
// output; JSON escapes them itself.
func TestTextAndGitHubEscapeControlCharacters(t *testing.T) {
	const hostile = "\x1b]0;owned\x07\x1b[2J"
	res := &lint.Result{
		Files: []string{"evil" + hostile + "/compose.yaml"},
		Findings: []lint.Finding{{
			Rule: "image-unpinned", Severity: lint.SeverityWarning,
			Pos:     lint.Position{File: "evil" + hostile + "/compose.yaml", Line: 3, Col: 5},
			Subject: "web" + hostile, Message: "image x" + hostile + "\r\nfake line\u202e has no tag",
		}},
	}
	for _, format := range []string{"text", "github"} {
		out := renderString(t, res, format, Options{})
		if strings.ContainsAny(out, "\x1b\x07\r\u202e") {
			t.Errorf("%s output holds a raw control character: %q", format, out)
		}
		if !strings.Contains(out, `evil\x1b]0;owned\a\x1b[2J`) {
			t.Errorf("%s output does not show the file name escaped: %q", format, out)
		}
		if !strings.Contains(out, `web\x1b]0;owned\a\x1b[2J`) || !strings.Contains(out, `\u202e`) {
			t.Errorf("%s output does not show the subject and message escaped: %q", format, out)
		}
		// header, finding, blank, "Findings by rule:", one rule, blank, totals
		if format == "text" && strings.Count(out, "\n") != 7 {
			t.Errorf("text output has extra lines (a raw line break in a message?): %q", out)
		}
	}
	if got := lint.CleanText("plain: é, ünïcode, tab-free"); got != "plain: é, ünïcode, tab-free" {
		t.Errorf("CleanText changed clean text: %q", got)
	}
}

func TestCodeClimateCategoriesByRuleCategory(t *testing.T) {
	rules := []lint.Rule{
		{ID: "privileged", SecuritySeverity: 9},
		{ID: "cpu-limit-missing", Category: lint.CategoryResources},
		{ID: "duplicate-instruction", Category: lint.CategoryClarity},
		{ID: "healthcheck-missing"},
	}
	res := &lint.Result{}
	for _, r := range rules {
		res.Findings = append(res.Findings, lint.Finding{Rule: r.ID, Severity: lint.SeverityWarning, Pos: lint.Position{File: "compose.yaml", Line: 1}, Subject: "web", Message: "m"})
	}
	var issues []struct {
		CheckName  string   `json:"check_name"`
		Categories []string `json:"categories"`
	}
	if err := json.Unmarshal([]byte(renderString(t, res, "codeclimate", Options{Rules: rules})), &issues); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"privileged": "Security", "cpu-limit-missing": "Performance", "duplicate-instruction": "Clarity", "healthcheck-missing": "Bug Risk"}
	for _, is := range issues {
		if len(is.Categories) != 1 || is.Categories[0] != want[is.CheckName] {
			t.Errorf("%s: categories %v, want [%s]", is.CheckName, is.Categories, want[is.CheckName])
		}
	}
}

// Jenkins reads tests/failures/errors/skipped/time on every suite; a file
// that could not be parsed was not checked: an error, not a failure.
func TestJUnitErrorsAndTimes(t *testing.T) {
	res := foldingResult()
	res.Findings = append(res.Findings, lint.Finding{Rule: lint.InvalidFileRule, Severity: lint.SeverityError, Pos: lint.Position{File: "broken/compose.yaml", Line: 4, Col: 1}, Subject: "compose.yaml", Message: "yaml: bad indentation"})
	res.Files = append(res.Files, "broken/compose.yaml")
	out := renderString(t, res, "junit", Options{FailOn: lint.SeverityWarning})
	for _, want := range []string{
		`<testsuites name="docker-heal" tests="8" failures="2" errors="1" skipped="5" time="0">`,
		`<testsuite name="broken/compose.yaml" tests="1" failures="0" errors="1" skipped="0" time="0">`,
		`<testcase name="invalid-file compose.yaml" classname="broken/compose.yaml" file="broken/compose.yaml" time="0">`,
		`<error message="yaml: bad indentation" type="invalid-file">broken/compose.yaml:4:1: yaml: bad indentation`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("junit lacks %s:\n%s", want, out)
		}
	}
}
