package commands

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/command"
	cliflags "github.com/docker/cli/cli/flags"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenRoot is resolved before any test changes directory.
var goldenRoot, _ = filepath.Abs(filepath.Join("testdata", "golden"))

// runCLI runs `docker-heal ARGS...` in dir as a user would and returns what
// it printed and its exit code.
// runCLI runs docker heal in dir, which is the repository root, as a
// checkout in CI is, so paths and golden files do not depend on where this
// repository is.
func runCLI(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCLIInRepo(t, dir, dir, args...)
}

// runCLIInRepo runs docker heal in dir with GITHUB_WORKSPACE set to
// workspace; "" leaves no CI variable, so the root is git's top level.
func runCLIInRepo(t *testing.T, dir, workspace string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCLIWithInput(t, dir, workspace, "", args...)
}

// runCLIWithInput is runCLIInRepo with stdin as standard input.
func runCLIWithInput(t *testing.T, dir, workspace, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Chdir(dir)
	t.Setenv("GITHUB_WORKSPACE", workspace)
	t.Setenv("CI_PROJECT_DIR", "")
	var out, errOut bytes.Buffer
	cli, err := command.NewDockerCli(command.WithOutputStream(&out), command.WithErrorStream(&errOut), command.WithInputStream(io.NopCloser(strings.NewReader(stdin))))
	if err != nil {
		t.Fatal(err)
	}
	// As the plugin framework does: lint's image lookups may ask the engine.
	if err := cli.Initialize(cliflags.NewClientOptions()); err != nil {
		t.Fatal(err)
	}
	root := NewRootCommand(cli, "test")
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	code = exitCode(&errOut, root.Execute())
	return out.String(), errOut.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenRoot, name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./commands -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./commands -update):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func testdataDir(t *testing.T, name string) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestLintFormatsGolden(t *testing.T) {
	project := testdataDir(t, "project")
	// The same output whether or not an engine runs here (the integration
	// suite runs with one): no engine answers this socket.
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	for _, format := range []string{"text", "json", "sarif", "github", "junit", "codeclimate"} {
		t.Run(format, func(t *testing.T) {
			out, errOut, code := runCLI(t, project, "lint", "--format", format)
			if code != ExitFindings {
				t.Errorf("exit %d, want 1 (an error-level finding); stderr: %s", code, errOut)
			}
			// SARIF names the checkout's absolute root; the golden file must not.
			out = strings.ReplaceAll(out, `"uri": "file://`+filepath.ToSlash(project)+`/"`, `"uri": "file:///ROOT/"`)
			golden(t, "project."+format, out)
		})
	}
}

type jsonDoc struct {
	Findings []struct {
		Rule, Severity, File, Subject, Message, URL string
		Line, Column                                int
	}
	NotChecked []struct {
		Rule, File, Subject, Reason, What string
		Line                              int
	}
	NotCheckedSummary []string
	Summary           struct{ Files, Error, Warning, Info int }
}

func lintJSON(t *testing.T, dir string, args ...string) (jsonDoc, int) {
	t.Helper()
	out, errOut, code := runCLI(t, dir, append([]string{"lint", "--format", "json"}, args...)...)
	var doc jsonDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json output does not parse: %v\n%s\nstderr: %s", err, out, errOut)
	}
	return doc, code
}

func has(doc jsonDoc, rule, subject string) bool {
	for _, f := range doc.Findings {
		if f.Rule == rule && f.Subject == subject {
			return true
		}
	}
	return false
}

func TestLintProjectSemantics(t *testing.T) {
	project := testdataDir(t, "project")
	doc, _ := lintJSON(t, project)
	checks := []struct {
		rule, subject string
		want          bool
		why           string
	}{
		{"healthcheck-missing", "api", false, "api inherits its Dockerfile's HEALTHCHECK"},
		{"healthcheck-curl-no-fail", "db", true, "db's probe runs curl without -f"},
		{"memory-limit-missing", "db", false, "compose.override.yaml sets db's mem_limit"},
		{"cpu-limit-missing", "db", false, "x-docker-heal ignores it on db"},
		{"ulimit-nofile-low", "db", false, "a global pragma ignores it"},
		{"privileged", "agent", false, "agent's privileged key is silenced by a pragma"},
		{"docker-socket-mounted", "agent", true, "agent is behind the ops profile, and every service is linted by default"},
		{"restart-policy-missing", "api", false, "API_RESTART defaults to unless-stopped"},
		{"shell-form-cmd", "stage 0", true, "api's Dockerfile CMD is in shell form"},
		{"unhealthy-not-acted-on", "api", false, "api opts in with docker-heal.enable=true"},
	}
	for _, c := range checks {
		if has(doc, c.rule, c.subject) != c.want {
			t.Errorf("%s on %s: present=%v, want %v (%s)", c.rule, c.subject, !c.want, c.want, c.why)
		}
	}
	if doc.Summary.Files != 3 {
		t.Errorf("files = %d, want 3 (compose.yaml, compose.override.yaml, api/Dockerfile)", doc.Summary.Files)
	}
	for _, f := range doc.Findings {
		if f.URL == "" || !strings.HasSuffix(f.URL, "/docs/rules/"+f.Rule+".md") {
			t.Errorf("finding %s has url %q", f.Rule, f.URL)
		}
	}

	// --profile narrows as compose does: a profile other than ops leaves the agent out.
	doc, _ = lintJSON(t, project, "--profile", "debug")
	if has(doc, "docker-socket-mounted", "agent") || !has(doc, "healthcheck-curl-no-fail", "db") {
		t.Errorf("--profile debug: the agent (profile ops) must not be linted, db (no profile) must")
	}
	doc, _ = lintJSON(t, project, "--profile", "ops")
	if has(doc, "privileged", "agent") || !has(doc, "docker-socket-mounted", "agent") {
		t.Errorf("--profile ops: privileged must be silenced by its pragma, docker-socket-mounted reported")
	}

	// -f without the override: db has no memory limit again.
	doc, _ = lintJSON(t, project, "-f", "compose.yaml")
	if !has(doc, "memory-limit-missing", "db") {
		t.Error("-f compose.yaml alone must not merge compose.override.yaml")
	}

	// Interpolation from the environment, as docker compose does it.
	t.Setenv("API_RESTART", "always")
	doc, _ = lintJSON(t, project)
	if !has(doc, "restart-always", "api") {
		t.Error("API_RESTART=always must be interpolated into api's restart")
	}
}

func TestLintExtends(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("..", "lint", "testdata", "extends"))
	doc, _ := lintJSON(t, dir)
	// web extends base from common.yaml: its healthcheck and restart policy come from there.
	if has(doc, "healthcheck-missing", "web") || has(doc, "restart-policy-missing", "web") || has(doc, "memory-limit-missing", "web") {
		t.Errorf("extends not applied: %+v", doc.Findings)
	}
	if !has(doc, "log-rotation-missing", "web") || !has(doc, "unhealthy-not-acted-on", "web") {
		t.Errorf("web still lacks log rotation: %+v", doc.Findings)
	}
	for _, f := range doc.Findings {
		if f.Rule == "unhealthy-not-acted-on" && (filepath.Base(f.File) != "common.yaml" || f.Line != 5) {
			t.Errorf("the inherited healthcheck is written in common.yaml:5, finding at %s:%d", f.File, f.Line)
		}
	}
}

func TestLintFailOnAndExitCodes(t *testing.T) {
	project := testdataDir(t, "project")
	clean := testdataDir(t, "clean")
	cases := []struct {
		name string
		dir  string
		args []string
		code int
		msg  string
	}{
		{"default fail-on error", project, nil, 1, ""},
		{"fail-on none", project, []string{"--fail-on", "none"}, 0, ""},
		{"only warnings, fail-on error", project, []string{"--disable", "healthcheck-curl-no-fail"}, 0, ""},
		{"only warnings, fail-on warning", project, []string{"--disable", "healthcheck-curl-no-fail", "--fail-on", "warning"}, 1, ""},
		{"only info, fail-on warning", project, []string{"--only", "init-missing,restart-always", "--fail-on", "warning"}, 0, ""},
		{"only info, fail-on info", project, []string{"--only", "restart-always", "--fail-on", "info"}, 1, ""},
		// The project's images are not inspected: init-missing is not run on
		// them, and a check not run never fails the run.
		{"only checks not run, fail-on info", project, []string{"--only", "init-missing", "--fail-on", "info"}, 0, ""},
		{"clean project", clean, []string{"--fail-on", "info"}, 0, ""},
		{"unknown rule", project, []string{"--only", "no-such-rule"}, 2, "unknown rule \"no-such-rule\""},
		{"unknown disable", project, []string{"--disable", "nope"}, 2, "unknown rule"},
		{"bad fail-on", project, []string{"--fail-on", "critical"}, 2, "unknown severity"},
		{"bad format", project, []string{"--format", "xml"}, 2, "--format"},
		{"missing path", project, []string{"does/not/exist"}, 2, "no such file"},
		{"bad flag", project, []string{"--frobnicate"}, 2, "unknown flag"},
		{"nothing to lint", t.TempDir(), nil, 2, "nothing to lint"},
		{"missing config", project, []string{"--config", "nope.yaml"}, 2, "nope.yaml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, c.dir, append([]string{"lint"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, errOut)
			}
			if c.msg != "" && !strings.Contains(errOut, c.msg) {
				t.Errorf("stderr %q does not say %q", errOut, c.msg)
			}
			if c.code == 2 && strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("a usage error must be one line, got:\n%s", errOut)
			}
		})
	}
}

func TestLintConfigFile(t *testing.T) {
	dir := t.TempDir()
	src := testdataDir(t, "project")
	copyTree(t, src, dir)
	write := func(content string) {
		if err := os.WriteFile(filepath.Join(dir, ".docker-heal.yaml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("fail-on: info\nrules:\n  healthcheck-curl-no-fail: warning\n  init-missing: off\nignore:\n  - service: db\n    rules: [restart-always]\n  - path: api/**\n    rules: [shell-form-cmd]\n")
	doc, code := lintJSON(t, dir)
	if code != 1 {
		t.Errorf("config fail-on info: exit %d, want 1", code)
	}
	for _, f := range doc.Findings {
		switch {
		case f.Rule == "healthcheck-curl-no-fail" && f.Severity != "warning":
			t.Errorf("severity override not applied: %s", f.Severity)
		case f.Rule == "init-missing", f.Rule == "restart-always" && f.Subject == "db", f.Rule == "shell-form-cmd":
			t.Errorf("config should have silenced %s on %s", f.Rule, f.Subject)
		}
	}
	// --fail-on on the command line wins over the config's.
	if _, _, code := runCLI(t, dir, "lint", "--fail-on", "none"); code != 0 {
		t.Errorf("--fail-on none: exit %d, want 0", code)
	}
	// The format can come from the config too.
	write("format: github\n")
	out, _, _ := runCLI(t, dir, "lint")
	if !strings.HasPrefix(out, "::") {
		t.Errorf("config format github: output starts %q", out[:min(len(out), 40)])
	}
	write("rules:\n  not-a-rule: off\n")
	if _, errOut, code := runCLI(t, dir, "lint"); code != 2 || !strings.Contains(errOut, "not-a-rule") {
		t.Errorf("unknown rule in config: exit %d, stderr %q", code, errOut)
	}
	write("fail_on: error\n")
	if _, errOut, code := runCLI(t, dir, "lint"); code != 2 || !strings.Contains(errOut, "fail_on") {
		t.Errorf("unknown key in config: exit %d, stderr %q", code, errOut)
	}
}

func TestLintMachineFormatsParse(t *testing.T) {
	project := testdataDir(t, "project")
	out, _, _ := runCLI(t, project, "lint", "--format", "sarif")
	var sarif struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID      string
						HelpURI string `json:"helpUri"`
					}
				}
			}
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						Region struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 {
		t.Fatalf("sarif: %v version %q", err, sarif.Version)
	}
	run := sarif.Runs[0]
	if len(run.Tool.Driver.Rules) < 25 || run.Tool.Driver.Rules[0].HelpURI == "" {
		t.Errorf("sarif rules: %d", len(run.Tool.Driver.Rules))
	}
	for _, r := range run.Results {
		if r.RuleID == "" || r.Level == "" || len(r.Locations) != 1 || r.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("sarif result incomplete: %+v", r)
		}
	}
	out, _, _ = runCLI(t, project, "lint", "--format", "junit")
	var junit struct {
		Suites []struct {
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &junit); err != nil || len(junit.Suites) != 3 {
		t.Errorf("junit: %v, %d suites", err, len(junit.Suites))
	}
	out, _, _ = runCLI(t, project, "lint", "--format", "github")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "::error file=") && !strings.HasPrefix(line, "::warning file=") && !strings.HasPrefix(line, "::notice file=") {
			t.Errorf("github line: %q", line)
		}
	}
}

func TestRulesCommand(t *testing.T) {
	out, _, code := runCLI(t, t.TempDir(), "rules")
	if code != 0 || !strings.Contains(out, "healthcheck-curl-no-fail") || !strings.Contains(out, "D C R") {
		t.Errorf("rules: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, t.TempDir(), "rules", "privileged")
	if code != 0 || !strings.Contains(out, "privileged") {
		t.Errorf("rules privileged: exit %d\n%s", code, out)
	}
	if _, errOut, code := runCLI(t, t.TempDir(), "rules", "nope"); code != 2 || !strings.Contains(errOut, "unknown rule") {
		t.Errorf("rules nope: exit %d %q", code, errOut)
	}
	if out, _, code := runCLI(t, t.TempDir(), "version"); code != 0 || !strings.HasPrefix(out, "docker-heal test") {
		t.Errorf("version: %d %q", code, out)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A folder name and a YAML value holding terminal escapes (set the title,
// ring the bell, clear the screen) reach the user escaped in text and github
// output, never as escape sequences (issue 11).
func TestLintEscapesControlCharacters(t *testing.T) {
	const hostile = "\x1b]0;owned\x07\x1b[2J"
	dir := filepath.Join(t.TempDir(), "proj"+hostile)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// YAML's double-quoted \e and \a are ESC and BEL.
	compose := "services:\n  web:\n    image: \"example/web\\e]0;owned\\a\\e[2J\"\n    restart: unless-stopped\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "github"} {
		out, errOut, code := runCLI(t, filepath.Dir(dir), "lint", "--format", format, "--only", "image-unpinned", filepath.Base(dir))
		if code != ExitOK {
			t.Fatalf("%s: exit %d; stderr: %s", format, code, errOut)
		}
		if strings.ContainsAny(out+errOut, "\x1b\x07") {
			t.Errorf("%s: raw control characters reach the terminal: %q %q", format, out, errOut)
		}
		if !strings.Contains(out, `proj\x1b]0;owned\a\x1b[2J`) {
			t.Errorf("%s: the folder name is not shown escaped: %q", format, out)
		}
		if !strings.Contains(out, `image example/web\x1b]0;owned\a\x1b[2J has no tag`) {
			t.Errorf("%s: the image value is not shown escaped: %q", format, out)
		}
	}
}

// An error naming a hostile path reaches stderr escaped too.
func TestLintErrorEscapesControlCharacters(t *testing.T) {
	_, errOut, code := runCLI(t, t.TempDir(), "lint", "missing\x1b]0;owned\x07\x1b[2J")
	if code != ExitError {
		t.Fatalf("exit %d, want 2; stderr %q", code, errOut)
	}
	if strings.ContainsAny(errOut, "\x1b\x07") || !strings.Contains(errOut, `missing\x1b]0;owned\a\x1b[2J`) {
		t.Errorf("stderr %q: the path is not shown escaped", errOut)
	}
}

func TestLintImageConfigFlag(t *testing.T) {
	project := testdataDir(t, "project")
	if _, errOut, code := runCLI(t, project, "lint", "--image-config", "pull"); code != ExitError || !strings.Contains(errOut, "use engine, registry or off") {
		t.Errorf("--image-config pull: exit %d, stderr %q; want 2 naming the choices", code, errOut)
	}
	if _, errOut, code := runCLI(t, project, "lint", "--image-config", "off", "--format", "json"); code == ExitError {
		t.Errorf("--image-config off: exit 2: %s", errOut)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    image: nginx:1.27\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".docker-heal.yaml"), []byte("image-config: nowhere\n"), 0o644)
	if _, errOut, code := runCLI(t, dir, "lint"); code != ExitError || !strings.Contains(errOut, "nowhere") {
		t.Errorf("config image-config: nowhere: exit %d, stderr %q", code, errOut)
	}
	os.WriteFile(filepath.Join(dir, ".docker-heal.yaml"), []byte("image-config: off\n"), 0o644)
	if _, errOut, code := runCLI(t, dir, "lint"); code == ExitError {
		t.Errorf("config image-config: off: exit 2: %s", errOut)
	}
}

// A .docker-heal.yaml that is a directory is an error naming it, exit 2,
// not a config silently ignored.
func TestLintConfigDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    image: x\n"), 0o600)
	os.Mkdir(filepath.Join(dir, ".docker-heal.yaml"), 0o755)
	_, errOut, code := runCLI(t, dir, "lint")
	if code != ExitError || !strings.Contains(errOut, filepath.Join(dir, ".docker-heal.yaml")) || !strings.Contains(errOut, "directory") {
		t.Errorf("exit %d, stderr %q: want 2 and the path", code, errOut)
	}
}
