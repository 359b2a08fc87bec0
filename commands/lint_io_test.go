package commands

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
)

const badCompose = "services:\n  web:\n    image: nginx:latest\n    privileged: true\n"

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLintReadsStandardInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, input string
		args        []string
		want        []string
	}{
		{"compose, named", badCompose, []string{"--stdin-filename", "svc/compose.yaml"}, []string{"::warning file=svc/compose.yaml,line=4,col=5,title=privileged::"}},
		{"compose, guessed from its services", badCompose, nil, []string{"::warning file=-,line=4,col=5,title=privileged::"}},
		{"Dockerfile, named", "FROM alpine:3.20\nCMD /usr/local/bin/api --listen :8080\n", []string{"--stdin-filename", "api/Dockerfile"}, []string{"::notice file=api/Dockerfile,line=1,col=1,title=healthcheck-missing::"}},
		{"Dockerfile, guessed", "FROM alpine:3.20\nCMD /usr/local/bin/api --listen :8080\n", nil, []string{"::notice file=-,line=1,col=1,title=healthcheck-missing::"}},
	} {
		args := append([]string{"lint", "--image-config", "off", "--format", "github"}, tc.args...)
		out, errOut, code := runCLIWithInput(t, dir, dir, tc.input, append(args, "-")...)
		if code == ExitError {
			t.Errorf("%s: exit 2: %s", tc.name, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s%s", tc.name, w, out, errOut)
			}
		}
	}
	// Standard input is read no further than a file may be.
	if _, errOut, code := runCLIWithInput(t, dir, dir, strings.Repeat("#", lint.MaxFileSize+1), "lint", "--image-config", "off", "-"); code != ExitError || !strings.Contains(errOut, "standard input is over 16 MiB") {
		t.Errorf("over-large stdin: exit %d, stderr %q", code, errOut)
	}
	// Empty standard input is nothing to lint (exit 2), not a broken Dockerfile.
	for _, in := range []string{"", "\n \r\n\t"} {
		if out, errOut, code := runCLIWithInput(t, dir, dir, in, "lint", "--image-config", "off", "-"); code != ExitError || !strings.Contains(errOut, "standard input is empty") || out != "" {
			t.Errorf("empty stdin %q: exit %d, stdout %q, stderr %q", in, code, out, errOut)
		}
	}
	if _, errOut, code := runCLIWithInput(t, dir, dir, "", "lint", "--stdin-filename", "x/compose.yaml", "."); code != ExitError || !strings.Contains(errOut, "PATH -") {
		t.Errorf("--stdin-filename without -: exit %d, %s", code, errOut)
	}
}

func TestLintWritesSeveralFormats(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"compose.yaml": badCompose})
	if err := os.MkdirAll(filepath.Join(dir, "reports"), 0o755); err != nil {
		t.Fatal(err)
	}
	// reports/ did not exist: writing there is a failure, exit 2.
	if _, errOut, code := runCLI(t, dir, "lint", "--image-config", "off", "--format", "github", "--format", "sarif=missing/x.sarif"); code != ExitError || !strings.Contains(errOut, "sarif") {
		t.Errorf("report into a missing folder: exit %d, %s", code, errOut)
	}
	// It fails before anything is done: --fix leaves the files as they were.
	if _, errOut, code := runCLI(t, dir, "lint", "--image-config", "off", "--fix", "--format", "sarif=missing/x.sarif"); code != ExitError || !strings.Contains(errOut, "folder missing does not exist") {
		t.Errorf("--fix with a report into a missing folder: exit %d, %s", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "compose.yaml")); string(b) != badCompose {
		t.Errorf("--fix wrote the files though its report could not be written:\n%s", b)
	}
	if _, errOut, code := runCLI(t, dir, "lint", "--image-config", "off", "-o", "reports"); code != ExitError || !strings.Contains(errOut, "is a folder") {
		t.Errorf("-o naming a folder: exit %d, %s", code, errOut)
	}
	out, errOut, code := runCLI(t, dir, "lint", "--image-config", "off", "--fail-on", "warning", "--format", "github", "--format", "sarif=reports/docker-heal.sarif", "--format", "json=out.json")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "::") {
		t.Errorf("standard output is not the github format:\n%s", out)
	}
	sarif, err := os.ReadFile(filepath.Join(dir, "reports", "docker-heal.sarif"))
	if err != nil || !strings.Contains(string(sarif), `"ruleId": "privileged"`) {
		t.Errorf("SARIF file: %v\n%s", err, sarif)
	}
	js, err := os.ReadFile(filepath.Join(dir, "out.json"))
	if err != nil || !strings.Contains(string(js), `"rule": "privileged"`) {
		t.Errorf("JSON file: %v\n%s", err, js)
	}

	// -o: the report goes to the file, nothing to standard output.
	out, errOut, code = runCLI(t, dir, "lint", "--image-config", "off", "-o", "report.txt")
	if code != ExitOK || out != "" {
		t.Errorf("-o: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	if text, err := os.ReadFile(filepath.Join(dir, "report.txt")); err != nil || !strings.Contains(string(text), "privileged") {
		t.Errorf("-o report.txt: %v\n%s", err, text)
	}

	for _, bad := range [][]string{
		{"--format", "github", "--format", "text"},
		{"--format", "xml=x"},
		{"--format", "sarif="},
		{"--format", "sarif=a", "--format", "json=a"},
	} {
		if _, errOut, code := runCLI(t, dir, append([]string{"lint"}, bad...)...); code != ExitError || !strings.Contains(errOut, "--format") {
			t.Errorf("%q: exit %d, %s", bad, code, errOut)
		}
	}
}

// Every lint flag has a DOCKER_HEAL_<FLAG> variable, under the command line.
func TestLintFlagsFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx:latest\n    healthcheck:\n      test: curl http://localhost\n"})
	t.Setenv("DOCKER_HEAL_IMAGE_CONFIG", "off")
	if _, errOut, code := runCLI(t, dir, "lint"); code != ExitFindings {
		t.Fatalf("without DOCKER_HEAL_FAIL_ON: exit %d, want 1 (an error finding): %s", code, errOut)
	}
	t.Setenv("DOCKER_HEAL_FAIL_ON", "none")
	if _, errOut, code := runCLI(t, dir, "lint"); code != ExitOK {
		t.Errorf("DOCKER_HEAL_FAIL_ON=none: exit %d, want 0: %s", code, errOut)
	}
	if _, _, code := runCLI(t, dir, "lint", "--fail-on", "error"); code != ExitFindings {
		t.Errorf("--fail-on error over DOCKER_HEAL_FAIL_ON=none: exit %d, want 1", code)
	}
	t.Setenv("DOCKER_HEAL_FORMAT", "json sarif=env.sarif")
	out, errOut, _ := runCLI(t, dir, "lint")
	if !strings.HasPrefix(out, "{") {
		t.Errorf("DOCKER_HEAL_FORMAT=json: %s %s", out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "env.sarif")); err != nil {
		t.Errorf("DOCKER_HEAL_FORMAT=... sarif=env.sarif: %v", err)
	}
	t.Setenv("DOCKER_HEAL_FAIL_ON", "bogus")
	if _, errOut, code := runCLI(t, dir, "lint"); code != ExitError || !strings.Contains(errOut, "DOCKER_HEAL_FAIL_ON: unknown severity") {
		t.Errorf("DOCKER_HEAL_FAIL_ON=bogus: exit %d, %s", code, errOut)
	}
}

// `**` in an ignore path ignores what it says, at any depth.
func TestIgnorePathDoubleStar(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		".docker-heal.yaml":            "ignore:\n  - path: \"**/legacy/**\"\n",
		"apps/legacy/old/compose.yaml": badCompose,
		"legacy/compose.yaml":          badCompose,
		"apps/current/compose.yaml":    badCompose,
		"apps/legacyish/compose.yaml":  badCompose,
	})
	doc, code := lintJSON(t, dir, "--image-config", "off", ".")
	if code == ExitError {
		t.Fatalf("exit 2")
	}
	files := map[string]bool{}
	for _, f := range doc.Findings {
		files[f.File] = true
	}
	for file, want := range map[string]bool{"apps/legacy/old/compose.yaml": false, "legacy/compose.yaml": false, "apps/current/compose.yaml": true, "apps/legacyish/compose.yaml": true} {
		if files[file] != want {
			t.Errorf("%s has findings: %v, want %v (all: %v)", file, files[file], want, files)
		}
	}
}

// The config's path ignores apply to standard input by --stdin-filename.
func TestStdinFollowsIgnorePaths(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{".docker-heal.yaml": "ignore:\n  - path: \"**/legacy/**\"\n    rules: [privileged]\n"})
	for name, want := range map[string]bool{"legacy/compose.yaml": false, "current/compose.yaml": true} {
		out, errOut, _ := runCLIWithInput(t, dir, dir, badCompose, "lint", "--image-config", "off", "--format", "github", "--stdin-filename", name, "-")
		if got := strings.Contains(out, "title=privileged"); got != want {
			t.Errorf("%s: privileged reported %v, want %v:\n%s%s", name, got, want, out, errOut)
		}
	}
}

// readSpy records whether anything read it.
type readSpy struct{ read bool }

func (r *readSpy) Read([]byte) (int, error) { r.read = true; return 0, io.EOF }

// --fix and --diff with PATH - are refused before standard input is read:
// on a terminal, reading first would wait for Ctrl-D only to say no.
func TestFixWithStdinRefusedBeforeReading(t *testing.T) {
	for _, opts := range []lintOptions{{fix: true}, {diff: true}} {
		spy := &readSpy{}
		opts.stdin, opts.imageConfig = spy, "off"
		var out, errOut bytes.Buffer
		err := runLint(context.Background(), &out, &errOut, opts, []string{"-"})
		if code := exitCode(io.Discard, err); code != ExitError || !strings.Contains(err.Error(), "do not take PATH -") {
			t.Errorf("fix %v diff %v: exit %d, %v", opts.fix, opts.diff, code, err)
		}
		if spy.read {
			t.Errorf("fix %v diff %v: standard input was read before the usage error", opts.fix, opts.diff)
		}
	}
}
