//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

type actionFile struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			Name             string            `yaml:"name"`
			Shell            string            `yaml:"shell"`
			Env              map[string]string `yaml:"env"`
			Run              string            `yaml:"run"`
			WorkingDirectory string            `yaml:"working-directory"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

var inputExpr = regexp.MustCompile(`\$\{\{\s*inputs\.([a-z-]+)\s*\}\}`)

// runAction runs action.yml's composite steps with bash, as a Linux runner
// would, with version: source (the release download needs the network),
// and returns the lint step's output, exit code and the workspace.
func runAction(t *testing.T, compose string, with map[string]string) (string, int, string) {
	t.Helper()
	repo := run(t, ".", nil, "git", "rev-parse", "--show-toplevel")
	src, err := os.ReadFile(filepath.Join(repo, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action actionFile
	if err := yaml.Unmarshal(src, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if action.Runs.Using != "composite" {
		t.Fatalf("action.yml runs.using %q, want composite", action.Runs.Using)
	}
	inputs := map[string]string{"version": "source"}
	for k, v := range with {
		inputs[k] = v
	}
	expand := func(s string) string {
		return inputExpr.ReplaceAllStringFunc(s, func(m string) string {
			name := inputExpr.FindStringSubmatch(m)[1]
			in, ok := action.Inputs[name]
			if !ok {
				t.Fatalf("action.yml uses undeclared input %q", name)
			}
			if v, ok := inputs[name]; ok {
				return v
			}
			return in.Default
		})
	}
	workspace, temp := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(workspace, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	pathFile, outputFile := filepath.Join(temp, "path"), filepath.Join(temp, "output")
	var out string
	code := 0
	for _, step := range action.Runs.Steps {
		if step.Shell != "bash" {
			t.Fatalf("step %q: shell %q, want bash (it runs on every runner OS)", step.Name, step.Shell)
		}
		cmd := exec.Command("bash", "-e", "-c", expand(step.Run))
		cmd.Dir = workspace
		if step.WorkingDirectory != "" {
			cmd.Dir = filepath.Join(workspace, expand(step.WorkingDirectory))
		}
		extraPath, _ := os.ReadFile(pathFile)
		cmd.Env = append(os.Environ(),
			"RUNNER_OS=Linux", "RUNNER_ARCH=X64", "RUNNER_TEMP="+temp,
			"GITHUB_ACTION_PATH="+repo, "GITHUB_PATH="+pathFile, "GITHUB_OUTPUT="+outputFile,
			"PATH="+strings.TrimSpace(string(extraPath))+string(os.PathListSeparator)+os.Getenv("PATH"))
		for k, v := range step.Env {
			cmd.Env = append(cmd.Env, k+"="+expand(v))
		}
		b, err := cmd.CombinedOutput()
		out = string(b)
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	outputs, _ := os.ReadFile(outputFile)
	if !strings.Contains(string(outputs), "sarif-file=") {
		t.Errorf("no sarif-file output; step output:\n%s", out)
	}
	return out, code, workspace
}

func TestActionLintsAndWritesSARIF(t *testing.T) {
	out, code, ws := runAction(t, curlNoFail, nil)
	if code != 1 || !strings.Contains(out, "::error file=compose.yaml,line=8") || !strings.Contains(out, "healthcheck-curl-no-fail") {
		t.Errorf("action on a curl probe without -f: exit %d, want 1 with a github annotation:\n%s", code, out)
	}
	var sarif struct {
		Version string
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(ws, "docker-heal.sarif"))
	if err != nil || json.Unmarshal(b, &sarif) != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 {
		t.Fatalf("docker-heal.sarif: %v\n%s", err, b)
	}
	found := false
	for _, r := range sarif.Runs[0].Results {
		found = found || r.RuleID == "healthcheck-curl-no-fail"
	}
	if !found {
		t.Errorf("SARIF lacks the finding:\n%s", b)
	}

	// fail-on none passes the step; the SARIF is still written.
	if out, code, ws := runAction(t, curlNoFail, map[string]string{"fail-on": "none", "format": "text", "sarif-file": "out.sarif"}); code != 0 || !strings.Contains(out, "healthcheck-curl-no-fail") {
		t.Errorf("fail-on none: exit %d:\n%s", code, out)
	} else if _, err := os.Stat(filepath.Join(ws, "out.sarif")); err != nil {
		t.Errorf("sarif-file input ignored: %v", err)
	}
	if out, code, _ := runAction(t, cleanCompose, nil); code != 0 {
		t.Errorf("clean compose file: exit %d:\n%s", code, out)
	}
}
