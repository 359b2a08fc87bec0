//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The module path users install.
const modulePath = "github.com/docker-heal/docker-heal"

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestGoInstallLatestShowsVersionAndCommit publishes HEAD of this checkout
// to a file:// module proxy as a pseudo-version (what the proxy serves for
// an untagged commit), runs `go install module/cmd/docker-heal@latest` the
// way a user does, and checks `docker-heal version` names that version and
// commit, not "dev".
func TestGoInstallLatestShowsVersionAndCommit(t *testing.T) {
	repo := run(t, ".", nil, "git", "rev-parse", "--show-toplevel")
	rev := run(t, repo, nil, "git", "rev-parse", "HEAD")
	stamp := run(t, repo, []string{"TZ=UTC"}, "git", "log", "-1", "--format=%cd", "--date=format-local:%Y%m%d%H%M%S")
	version := "v0.0.0-" + stamp + "-" + rev[:12]

	proxy := t.TempDir()
	dir := filepath.Join(proxy, modulePath, "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A module zip is the tree under "module@version/"; git archive gives
	// exactly the committed files.
	run(t, repo, nil, "git", "archive", "--format=zip", "--prefix="+modulePath+"@"+version+"/", "-o", filepath.Join(dir, version+".zip"), rev)
	gomod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, version+".mod"), gomod, 0o644); err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": stamp[:4] + "-" + stamp[4:6] + "-" + stamp[6:8] + "T" + stamp[8:10] + ":" + stamp[10:12] + ":" + stamp[12:] + "Z"})
	for _, f := range []string{filepath.Join(dir, version+".info"), filepath.Join(proxy, modulePath, "@latest")} {
		if err := os.WriteFile(f, info, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "list"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	upstream := run(t, ".", nil, "go", "env", "GOPROXY")
	gobin := t.TempDir()
	env := []string{
		"GOBIN=" + gobin,
		"GOPROXY=file://" + filepath.ToSlash(proxy) + "," + upstream, // dependencies from the usual proxy (or cache)
		"GONOSUMDB=" + modulePath,                                    // the checksum database has never seen this pseudo-version
		"GOFLAGS=",
	}
	run(t, t.TempDir(), env, "go", "install", modulePath+"/cmd/docker-heal@latest")
	out := run(t, t.TempDir(), nil, filepath.Join(gobin, "docker-heal"), "version")
	if !strings.HasPrefix(out, "docker-heal "+version+" (commit "+rev[:12]+",") {
		t.Errorf("docker-heal version after go install @latest:\n%s\nwant docker-heal %s (commit %s, ...)", out, version, rev[:12])
	}

	// -ldflags (make build, goreleaser) still wins over the build info, and
	// go build in a git clone (what goreleaser and CI build from) stamps the
	// commit. A clone, not this checkout: go does not recognise a git
	// worktree's .git file, so it stamps nothing there.
	clone := t.TempDir()
	run(t, ".", nil, "git", "clone", "--quiet", "--no-checkout", repo, clone)
	run(t, clone, nil, "git", "checkout", "--quiet", rev)
	bin := filepath.Join(t.TempDir(), "docker-heal")
	run(t, clone, []string{"GOFLAGS=-buildvcs=true"}, "go", "build", "-ldflags", "-X main.version=v9.9.9", "-o", bin, "./cmd/docker-heal")
	out = run(t, t.TempDir(), nil, bin, "version")
	if !strings.HasPrefix(out, "docker-heal v9.9.9 (commit "+rev[:12]) {
		t.Errorf("docker-heal version with -ldflags:\n%s\nwant docker-heal v9.9.9 (commit %s...", out, rev[:12])
	}
}
