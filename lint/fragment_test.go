package lint

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// findingsOf lints dir with the every-service rule and invalid-file and
// lists the findings as "rule file:line subject severity".
func findingsOf(t *testing.T, paths ...string) []string {
	t.Helper()
	rules := []Rule{everyService, {ID: InvalidFileRule, Severity: SeverityError}}
	res, err := Run(context.Background(), &Checker{Rules: rules}, RunOptions{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range res.Findings {
		out = append(out, fmt.Sprintf("%s %s:%d %s %s", f.Rule, filepath.Base(f.Pos.File), f.Pos.Line, f.Subject, f.Severity))
	}
	return out
}

func TestFragmentsMergeOntoTheirBase(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "compose.yaml", "services:\n  web:\n    image: nginx:1.27\n")
	// Adds a service depending on web, and overrides web without an image.
	writeFile(t, dir, "compose.monitoring.yaml", "services:\n  web:\n    labels: [a=b]\n  prometheus:\n    image: prom/prometheus:v2\n    depends_on: [web]\n")
	writeFile(t, dir, "docker-compose.test.yml", "services:\n  tests:\n    image: example/tests:1\n")
	// Extends the test file, not the default one: the closest name wins.
	writeFile(t, dir, "docker-compose.test.override.yml", "services:\n  tests:\n    command: [run]\n  tests-db:\n    image: postgres:17\n    depends_on: [tests]\n")
	// A placeholder layer, comments only: merged onto compose.yaml, it adds nothing.
	writeFile(t, dir, "compose.extras.yaml", "# override this file in your fork\n# services: {}\n")
	// Meant for a project elsewhere: merges onto nothing here.
	writeFile(t, dir, "compose.orphan.yaml", "services:\n  lonely:\n    image: busybox:1\n    depends_on: [nowhere, nothere]\n")
	got := strings.Join(findingsOf(t, dir), "\n")
	want := strings.Join([]string{
		"every-service compose.monitoring.yaml:4 prometheus info",
		"invalid-file compose.orphan.yaml:4 compose.orphan.yaml info",
		"every-service compose.yaml:2 web info",
		"every-service docker-compose.test.override.yml:4 tests-db info",
		"every-service docker-compose.test.yml:2 tests info",
	}, "\n")
	if got != want {
		t.Errorf("findings:\n%s\nwant:\n%s", got, want)
	}
	// Named as PATH, a fragment is merged the same way; with -f it is the user's project as given.
	if got := strings.Join(findingsOf(t, filepath.Join(dir, "compose.monitoring.yaml")), "\n"); got != "every-service compose.monitoring.yaml:4 prometheus info\nevery-service compose.yaml:2 web info" {
		t.Errorf("PATH compose.monitoring.yaml:\n%s", got)
	}
}

// compose-go reports the first inconsistency it meets in map order; every
// one is reported here, in one order, whatever the run.
func TestSeveralComposeErrorsAreStable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "compose.yaml", "services:\n  c:\n    command: [x]\n  a:\n    image: x:1\n    depends_on: [zz, yy]\n  b:\n    image: x:1\n    networks: [nope]\n")
	want := strings.Join([]string{
		"invalid-file compose.yaml:2 c error",
		"invalid-file compose.yaml:6 a error",
		"invalid-file compose.yaml:6 a error",
		"invalid-file compose.yaml:9 b error",
	}, "\n")
	for i := range 20 {
		if got := strings.Join(findingsOf(t, dir), "\n"); got != want {
			t.Fatalf("run %d:\n%s\nwant:\n%s", i, got, want)
		}
	}
}
