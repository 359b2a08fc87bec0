package ghaction

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/docker-heal/docker-heal/internal/sarifcheck"
)

// githubBash is the command line GitHub runs a `shell: bash` step with
// (https://docs.github.com/actions/reference/workflows-and-actions/workflow-syntax#exit-codes-and-error-action-preference).
var githubBash = []string{"bash", "--noprofile", "--norc", "-eo", "pipefail"}

type action struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []step `yaml:"steps"`
	} `yaml:"runs"`
}

type step struct {
	Name             string            `yaml:"name"`
	ID               string            `yaml:"id"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	Shell            string            `yaml:"shell"`
	Run              string            `yaml:"run"`
	Env              map[string]string `yaml:"env"`
	WorkingDirectory string            `yaml:"working-directory"`
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func loadAction(t *testing.T) *action {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(src, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return &a
}

// runner plays one job: the workspace, the runner's temp folder, the PATH
// that GITHUB_PATH grew, and the outputs of the steps so far.
type runner struct {
	t         *testing.T
	action    *action
	inputs    map[string]string
	workspace string
	temp      string
	path      []string
	outputs   map[string]map[string]string
	log       strings.Builder
}

var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// expand substitutes the expressions GitHub evaluates before a step runs;
// one this runner does not know fails the test, so the action uses none
// it was not tested with.
func (r *runner) expand(s string) string {
	return expression.ReplaceAllStringFunc(s, func(m string) string {
		expr := expression.FindStringSubmatch(m)[1]
		switch {
		case strings.HasPrefix(expr, "inputs."):
			name := strings.TrimPrefix(expr, "inputs.")
			in, ok := r.action.Inputs[name]
			if !ok {
				r.t.Fatalf("expression %s: no input %s", m, name)
			}
			if v, ok := r.inputs[name]; ok {
				return v
			}
			return in.Default
		case expr == "runner.temp":
			return r.temp
		case expr == "runner.os":
			return "Linux"
		case expr == "github.run_id", expr == "github.run_attempt":
			return "1"
		case expr == "github.action_path":
			return repoRoot(r.t)
		case strings.HasPrefix(expr, "steps."):
			parts := strings.SplitN(expr, ".", 4)
			if len(parts) != 4 || parts[2] != "outputs" {
				r.t.Fatalf("expression %s: not steps.ID.outputs.NAME", m)
			}
			return r.outputs[parts[1]][parts[3]]
		}
		r.t.Fatalf("expression %s: this test does not know it", m)
		return ""
	})
}

// baseEnv is the test's environment without what the runner sets itself.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GITHUB_") || strings.HasPrefix(name, "RUNNER_") || strings.HasPrefix(name, "INPUT_") ||
			strings.HasPrefix(name, "DOCKER_HEAL_") || name == "CI_PROJECT_DIR" || name == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// run runs one run: step as GitHub does and returns its exit status.
func (r *runner) run(s step) int {
	t := r.t
	t.Helper()
	if s.Shell != "bash" {
		t.Fatalf("step %q: shell %q; every run step must say shell: bash", s.Name, s.Shell)
	}
	script := filepath.Join(r.temp, "step.sh")
	if err := os.WriteFile(script, []byte(r.expand(s.Run)), 0o644); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(r.temp, "output")
	pathFile := filepath.Join(r.temp, "path")
	for _, f := range []string{outFile, pathFile} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(githubBash[0], append(githubBash[1:], script)...)
	cmd.Dir = filepath.Join(r.workspace, r.expand(s.WorkingDirectory))
	cmd.Env = append(baseEnv(),
		"PATH="+strings.Join(append(append([]string{}, r.path...), os.Getenv("PATH")), string(os.PathListSeparator)),
		"GITHUB_WORKSPACE="+r.workspace, "GITHUB_OUTPUT="+outFile, "GITHUB_PATH="+pathFile,
		"GITHUB_ACTION_PATH="+repoRoot(t), "RUNNER_TEMP="+r.temp, "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "CI=true", "GITHUB_ACTIONS=true")
	for name := range r.action.Inputs {
		cmd.Env = append(cmd.Env, "INPUT_"+strings.ToUpper(name)+"="+r.expand("${{ inputs."+name+" }}"))
	}
	for k, v := range s.Env {
		cmd.Env = append(cmd.Env, k+"="+r.expand(v))
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	fmt.Fprintf(&r.log, "--- %s (in %s)\n%s", s.Name, cmd.Dir, out.String())
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("step %q: %v", s.Name, err)
	}
	if s.ID != "" {
		r.outputs[s.ID] = readOutputs(t, outFile)
	}
	for _, p := range readLines(t, pathFile) {
		r.path = append([]string{p}, r.path...)
	}
	return code
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sc.Text() != "" {
			lines = append(lines, sc.Text())
		}
	}
	return lines
}

func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range readLines(t, path) {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q is not NAME=VALUE", line)
		}
		out[k] = v
	}
	return out
}

// The action's steps on a compose project in svc/ (working-directory: svc):
// one that lints clean, one with an error finding, one lint cannot run
// (a config file it refuses). Annotations and SARIF name svc/compose.yaml,
// and every case leaves sarif-file and exit-code in GITHUB_OUTPUT.
func TestActionStepsAsGitHubRunsThem(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to run the action's steps:", err)
	}
	a := loadAction(t)
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", a.Runs.Using)
	}
	checkCacheSteps(t, a)
	schema, err := sarifcheck.Schema()
	if err != nil {
		t.Fatal(err)
	}

	// The install step once, from this checkout (version: source), as a
	// job's first step; each project below is a job of its own after it.
	temp := t.TempDir()
	install := &runner{t: t, action: a, inputs: map[string]string{"version": "source"}, workspace: t.TempDir(), temp: temp, outputs: map[string]map[string]string{}}
	var installed []string
	for _, s := range a.Runs.Steps {
		if s.Name == "Install docker-heal" {
			if code := install.run(s); code != 0 {
				t.Fatalf("install step: exit %d\n%s", code, install.log.String())
			}
			installed = install.path
		}
	}
	if len(installed) != 1 {
		t.Fatalf("the install step added %v to GITHUB_PATH, want one folder\n%s", installed, install.log.String())
	}

	const healthy = "services:\n  web:\n    image: nginx:1.27\n"
	for _, tc := range []struct {
		name     string
		files    map[string]string
		exit     string
		sarif    bool
		wantLog  []string
		wantURIs int
	}{
		{"clean", map[string]string{"svc/compose.yaml": healthy}, "0", true, nil, 0},
		{"findings", map[string]string{"svc/compose.yaml": healthy + "    healthcheck:\n      test: curl http://localhost/\n"}, "1", true,
			[]string{"::error file=svc/compose.yaml,line=5,col=", "::error::docker-heal lint: findings at or above fail-on (error)"}, 1},
		{"cannot lint", map[string]string{"svc/compose.yaml": healthy, "svc/.docker-heal.yaml": "fail-on: sometimes\n"}, "2", false,
			[]string{"::error::docker-heal lint could not lint (exit 2)"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := t.TempDir()
			for name, content := range tc.files {
				p := filepath.Join(ws, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// A stale report must not survive a run that writes none.
			if err := os.WriteFile(filepath.Join(ws, "docker-heal.sarif"), []byte("stale"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := &runner{t: t, action: a, workspace: ws, temp: t.TempDir(), path: installed, outputs: map[string]map[string]string{},
				inputs: map[string]string{"version": "source", "working-directory": "svc", "image-config": "off"}}
			last := -1
			for _, s := range a.Runs.Steps {
				if s.Uses != "" || s.Name == "Install docker-heal" {
					continue // actions/cache: checked by checkCacheSteps
				}
				if s.If != "" {
					t.Fatalf("step %q has if: %s; this test runs every step", s.Name, s.If)
				}
				last = r.run(s)
			}
			log := r.log.String()
			wantExit := map[string]int{"0": 0, "1": 1, "2": 2}[tc.exit]
			if last != wantExit {
				t.Errorf("the action ends with exit %d, want %d (lint's)\n%s", last, wantExit, log)
			}
			outputs := map[string]string{}
			for name, o := range a.Outputs {
				outputs[name] = r.expand(o.Value)
			}
			sarifPath := filepath.Join(ws, "docker-heal.sarif")
			if outputs["sarif-file"] != sarifPath {
				t.Errorf("output sarif-file %q, want %s (the repository root, not working-directory)\n%s", outputs["sarif-file"], sarifPath, log)
			}
			if outputs["exit-code"] != tc.exit {
				t.Errorf("output exit-code %q, want %s", outputs["exit-code"], tc.exit)
			}
			for _, w := range tc.wantLog {
				if !strings.Contains(log, w) {
					t.Errorf("log lacks %q:\n%s", w, log)
				}
			}
			if tc.exit == "0" && strings.Contains(log, "::error") {
				t.Errorf("a clean project has an error line:\n%s", log)
			}
			sarif, err := os.ReadFile(sarifPath)
			if !tc.sarif {
				if err == nil {
					t.Errorf("lint could not run, yet %s holds %q", sarifPath, sarif)
				}
				return
			}
			if err != nil {
				t.Fatalf("no SARIF report: %v\n%s", err, log)
			}
			if err := sarifcheck.Validate(schema, sarif); err != nil {
				t.Errorf("SARIF does not validate: %v", err)
			}
			if n := strings.Count(string(sarif), `"uri": "svc/compose.yaml",`+"\n"+`                  "uriBaseId": "%SRCROOT%"`); n < tc.wantURIs {
				t.Errorf("SARIF names svc/compose.yaml from %%SRCROOT%% %d times, want at least %d:\n%s", n, tc.wantURIs, sarif)
			}
			if !strings.Contains(string(sarif), `"uri": "file://`+filepath.ToSlash(ws)+`/"`) {
				t.Errorf("SARIF's %%SRCROOT%% is not the workspace %s", ws)
			}
		})
	}
}

// The image-config cache is restored before lint and saved after it, at the
// folder lint is told to use.
func checkCacheSteps(t *testing.T, a *action) {
	t.Helper()
	var order []string
	var cacheDir string
	paths := map[string]string{}
	for _, s := range a.Runs.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "actions/cache/restore@"), strings.HasPrefix(s.Uses, "actions/cache/save@"):
			kind := strings.TrimPrefix(strings.SplitN(s.Uses, "@", 2)[0], "actions/cache/")
			order = append(order, kind)
			paths[kind] = s.With["path"]
			if s.With["key"] == "" {
				t.Errorf("%s: no key", s.Uses)
			}
		case s.Uses != "":
			t.Errorf("step %q uses %s: only actions/cache is expected", s.Name, s.Uses)
		case s.ID == "lint":
			order = append(order, "lint")
			cacheDir = s.Env["DOCKER_HEAL_CACHE_DIR"]
		}
	}
	if strings.Join(order, ",") != "restore,lint,save" {
		t.Errorf("steps %v, want the cache restored before lint and saved after it", order)
	}
	if cacheDir == "" || paths["restore"] != cacheDir || paths["save"] != cacheDir {
		t.Errorf("cache paths %v, lint's DOCKER_HEAL_CACHE_DIR %q: want the same folder", paths, cacheDir)
	}
}

// The install step for a release, under GitHub's shell line, against a
// local copy of the release (a curl on PATH that serves files from a folder):
// the archive for the runner is checked against checksums.txt, and one that
// does not match fails the step with an ::error:: line.
func TestActionInstallsARelease(t *testing.T) {
	a := loadAction(t)
	var install step
	for _, s := range a.Runs.Steps {
		if s.Name == "Install docker-heal" {
			install = s
		}
	}
	if install.Run == "" {
		t.Fatal("no Install docker-heal step")
	}
	// The archive's binary only has to answer `docker-heal version`.
	bin := filepath.Join(t.TempDir(), "docker-heal")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho \"docker-heal $1 v9.9.9 (released)\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	release := t.TempDir()
	const archive = "docker-heal_Linux_x86_64.tar.gz"
	if out, err := exec.Command("tar", "-czf", filepath.Join(release, archive), "-C", filepath.Dir(bin), "docker-heal").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	sum, err := exec.Command("sha256sum", filepath.Join(release, archive)).Output()
	if err != nil {
		t.Fatal(err)
	}
	// A fake curl: -o FILE URL copies the URL's base name from the release folder.
	fake := t.TempDir()
	curl := "#!/usr/bin/env bash\nout=; url=\nwhile [[ $# -gt 0 ]]; do case $1 in -o) out=$2; shift 2 ;; -*) shift ;; *) url=$1; shift ;; esac; done\n" +
		"echo \"$url\" >> \"" + filepath.Join(fake, "urls") + "\"\ncp \"" + release + "/${url##*/}\" \"$out\"\n"
	if err := os.WriteFile(filepath.Join(fake, "curl"), []byte(curl), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, checksum string
		exit           int
		want           string
	}{
		{"matching checksum", strings.Fields(string(sum))[0], 0, "docker-heal version v9.9.9 (released)"},
		{"wrong checksum", strings.Repeat("0", 64), 1, "::error::" + archive + ": checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(release, "checksums.txt"), []byte(tc.checksum+"  "+archive+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := &runner{t: t, action: a, inputs: map[string]string{"version": "v9.9.9"}, workspace: t.TempDir(), temp: t.TempDir(),
				path: []string{fake}, outputs: map[string]map[string]string{}}
			code := r.run(install)
			log := r.log.String()
			if code != tc.exit || !strings.Contains(log, tc.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tc.exit, tc.want, log)
			}
			urls, _ := os.ReadFile(filepath.Join(fake, "urls"))
			if !strings.Contains(string(urls), "https://github.com/docker-heal/docker-heal/releases/download/v9.9.9/"+archive) {
				t.Errorf("curl was asked for %s", urls)
			}
			if tc.exit == 0 && (len(r.path) != 2 || r.path[0] != filepath.Join(r.temp, "docker-heal-bin")) {
				t.Errorf("GITHUB_PATH gained %v, want the install folder", r.path)
			}
		})
	}
}
