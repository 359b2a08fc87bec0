//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const curlNoFail = `services:
  web:
    image: example/web:1.2.3
    restart: unless-stopped
    init: true
    mem_limit: 256m
    healthcheck:
      test: curl http://localhost:8080/healthz
`

const cleanCompose = `services:
  web:
    image: example/web:1.2.3
    restart: unless-stopped
    init: true
    mem_limit: 256m
    memswap_limit: 256m
    cpus: 1
    pids_limit: 256
    labels:
      docker-heal.enable: "true"
    logging:
      driver: local
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:8080/healthz"]
      interval: 10s
      timeout: 3s
`

// preCommitTry runs Debian's `pre-commit try-repo CHECKOUT HOOK --files
// compose.yaml` in a fresh git repository holding that compose file, as a
// user trying the hook would, and returns its output and exit code.
func preCommitTry(t *testing.T, hook, compose string, env []string) (string, int) {
	t.Helper()
	checkout := run(t, ".", nil, "git", "rev-parse", "--show-toplevel")
	repo := t.TempDir()
	run(t, repo, nil, "git", "init", "--quiet")
	if err := os.WriteFile(filepath.Join(repo, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, repo, nil, "git", "add", "compose.yaml")
	cmd := exec.Command("pre-commit", "try-repo", checkout, hook, "--files", "compose.yaml", "--color", "never")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("pre-commit: %v\n%s", err, out)
	}
	return string(out), code
}

func checkHook(t *testing.T, hook string, env []string) {
	t.Helper()
	// One pre-commit home for both runs: the hook is installed once.
	env = append(env, "PRE_COMMIT_HOME="+t.TempDir())
	out, code := preCommitTry(t, hook, curlNoFail, env)
	if code != 1 || !strings.Contains(out, "healthcheck-curl-no-fail") || !strings.Contains(out, "compose.yaml") {
		t.Errorf("%s on a curl probe without -f: exit %d, want 1 with the finding:\n%s", hook, code, out)
	}
	out, code = preCommitTry(t, hook, cleanCompose, env)
	if code != 0 || !strings.Contains(out, "Passed") {
		t.Errorf("%s on a clean compose file: exit %d, want 0:\n%s", hook, code, out)
	}
}

// The system hook runs the docker-heal on PATH: this checkout's, built here.
func TestPreCommitSystemHook(t *testing.T) {
	bin := t.TempDir()
	run(t, ".", nil, "go", "build", "-o", filepath.Join(bin, "docker-heal"), ".")
	checkHook(t, "docker-heal-lint-system", []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")})
}

// The golang hook makes pre-commit `go install ./...` the hook repository
// with the Go on PATH. pre-commit points GOPATH at its own environment;
// GOMODCACHE keeps the module cache this machine already has, so the
// install needs no network (a user's first install fetches through the
// module proxy instead).
func TestPreCommitGolangHook(t *testing.T) {
	cache := run(t, ".", nil, "go", "env", "GOMODCACHE")
	checkHook(t, "docker-heal-lint", []string{"GOMODCACHE=" + cache, "GOFLAGS=", "GOPROXY=off"})
}
