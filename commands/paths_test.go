package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/internal/sarifcheck"
	"github.com/docker-heal/docker-heal/lint/render"
)

// A compose project in a subfolder whose parent has a space and a comma in
// its name, linted from that subfolder: every format names the file from the
// repository root (git's top level, or GITHUB_WORKSPACE), and the SARIF
// validates against the official 2.1.0 schema.
func TestEveryFormatNamesFilesFromTheRepositoryRoot(t *testing.T) {
	repo := t.TempDir()
	repo, _ = filepath.EvalSymlinks(repo)
	svc := filepath.Join(repo, "my app,v2", "svc")
	for _, d := range []string{filepath.Join(repo, ".git"), svc} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(svc, "compose.yaml"), []byte("services:\n  web:\n    image: nginx:latest\n    privileged: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	schema, err := sarifcheck.Schema()
	if err != nil {
		t.Fatal(err)
	}
	const rel = "my app,v2/svc/compose.yaml"
	want := map[string]string{
		"text":        rel + "\n",
		"json":        `"file": "` + rel + `"`,
		"sarif":       `"uri": "my%20app%2Cv2/svc/compose.yaml",` + "\n" + `                  "uriBaseId": "%SRCROOT%"`,
		"github":      "file=my app%2Cv2/svc/compose.yaml,line=4",
		"junit":       `<testsuite name="` + rel + `"`,
		"codeclimate": `"path": "` + rel + `"`,
		"checkstyle":  `<file name="` + rel + `">`,
	}
	for _, workspace := range []string{"", repo} {
		for _, format := range render.Formats {
			out, errOut, code := runCLIInRepo(t, svc, workspace, "lint", "--image-config", "off", "--fail-on", "warning", "--format", format)
			if code != ExitFindings {
				t.Fatalf("%s: exit %d, want 1; stderr: %s", format, code, errOut)
			}
			if !strings.Contains(out, want[format]) {
				t.Errorf("GITHUB_WORKSPACE=%q, %s: output lacks %q:\n%s", workspace, format, want[format], out)
			}
			if format == "sarif" {
				if err := sarifcheck.Validate(schema, []byte(out)); err != nil {
					t.Errorf("SARIF does not validate against the 2.1.0 schema: %v", err)
				}
				root := `"uri": "file://` + strings.ReplaceAll(filepath.ToSlash(repo), " ", "%20") + `/"`
				if !strings.Contains(out, root) {
					t.Errorf("SARIF's %%SRCROOT%% is not %s:\n%s", root, out)
				}
			}
		}
	}
}

// audit's SARIF places every result: a container as a logical location, and
// with its compose file when compose created it.
func TestAuditSARIFHasLocationsAndValidates(t *testing.T) {
	schema, err := sarifcheck.Schema()
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, _ := auditRun(t, auditFake(t).Client(), auditOptions{findingOptions: findingOptions{format: "sarif", failOn: "none"}})
	if err := sarifcheck.Validate(schema, []byte(out)); err != nil {
		t.Fatalf("audit SARIF does not validate: %v\n%s\nstderr: %s", err, out, errOut)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID    string           `json:"ruleId"`
				Locations []map[string]any `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs[0].Results) == 0 {
		t.Fatalf("no results for a badly configured container:\n%s", out)
	}
	for _, r := range doc.Runs[0].Results {
		if len(r.Locations) == 0 || r.Locations[0]["logicalLocations"] == nil {
			t.Errorf("%s: no logical location naming the container: %v", r.RuleID, r.Locations)
		}
	}
	// GitHub refuses results without a file location: say so.
	if !strings.Contains(errOut, "GitHub code scanning refuses") {
		t.Errorf("no warning about results without a file location: %q", errOut)
	}
}
