package lint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// everyService is a test rule with one finding per compose service, so a
// test sees which projects were linted.
var everyService = Rule{ID: "every-service", Severity: SeverityInfo, Scope: ScopeCompose,
	CheckService: func(r *Report, svc *Service) { r.Add(svc.Pos, svc.Name, "linted") }}

const asNobodyEnv = "DOCKER_HEAL_TEST_AS_NOBODY"

// TestUnreadableFilesInAWalk: files the walk cannot read (permissions) are
// invalid-file findings each, and the readable projects beside them are
// linted. Permissions do not stop root, and CI runs as root: there the test
// re-runs itself as nobody.
func TestUnreadableFilesInAWalk(t *testing.T) {
	dir := os.Getenv(asNobodyEnv)
	if dir == "" {
		// The tree is made here, by whoever runs the test, world-readable
		// except for the unreadable parts.
		var err error
		if dir, err = os.MkdirTemp("", "dh-unreadable-"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		for name, content := range map[string]string{
			"ok/compose.yaml":        "services:\n  web:\n    image: nginx:1.27\n",
			"locked/compose.yaml":    "services:\n  locked:\n    image: nginx:1.27\n",
			"also-ok/compose.yaml":   "services:\n  worker:\n    image: nginx:1.27\n    env_file: [app.env]\n",
			"secret/compose.yaml":    "services:\n  hidden:\n    image: nginx:1.27\n",
			"envlocked/compose.yaml": "services:\n  envy:\n    image: nginx:${TAG}\n",
			"envlocked/.env":         "TAG=1.27\n",
			"img/Dockerfile":         "FROM scratch\n",
		} {
			writeFile(t, dir, name, content)
		}
		for _, p := range []string{"locked/compose.yaml", "secret", "envlocked/.env", "img/Dockerfile"} {
			if err := os.Chmod(filepath.Join(dir, p), 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 {
			runAsNobody(t, dir)
			return
		}
	}
	rules := []Rule{everyService, {ID: InvalidFileRule, Severity: SeverityError}}
	res, err := Run(context.Background(), &Checker{Rules: rules}, RunOptions{Paths: []string{dir}})
	if err != nil {
		t.Fatalf("Run: %v (want the unreadable files as findings and the rest linted)", err)
	}
	var got []string
	for _, f := range res.Findings {
		rel, _ := filepath.Rel(dir, f.Pos.File)
		got = append(got, fmt.Sprintf("%s %s %s", f.Rule, rel, f.Subject))
		if f.Rule == InvalidFileRule && !strings.Contains(f.Message, "permission denied") {
			t.Errorf("%s: message %q does not say why", rel, f.Message)
		}
	}
	sort.Strings(got)
	want := []string{
		"every-service also-ok/compose.yaml worker",
		"every-service ok/compose.yaml web",
		"invalid-file envlocked/.env .env",
		"invalid-file img/Dockerfile Dockerfile",
		"invalid-file locked/compose.yaml compose.yaml",
		"invalid-file secret secret",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// runAsNobody re-runs the calling test in a copy of the test binary as the
// nobody user, on the tree in dir.
func runAsNobody(t *testing.T, dir string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The build cache that holds the test binary is not nobody's to read.
	bin := filepath.Join(dir, "lint.test")
	copyFile(t, self, bin)
	defer os.Remove(bin)
	cmd := exec.Command(bin, "-test.run", "^"+t.Name()+"$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), asNobodyEnv+"="+dir, "HOME="+dir, "GOCOVERDIR=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	t.Logf("as nobody:\n%s", out)
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// A walk does not follow a compose file that is a symlink out of the linted
// tree; one inside it is linted. Naming the link as PATH follows it.
func TestWalkSymlinksStayInTheTree(t *testing.T) {
	outside, tree := t.TempDir(), t.TempDir()
	writeFile(t, outside, "compose.yaml", "services:\n  outside:\n    image: nginx:1.27\n")
	writeFile(t, tree, "real/docker-compose.yml", "services:\n  inside:\n    image: nginx:1.27\n")
	mustSymlink(t, filepath.Join(outside, "compose.yaml"), filepath.Join(tree, "out/compose.yaml"))
	mustSymlink(t, filepath.Join(outside, "compose.yaml"), filepath.Join(tree, "out/compose.prod.yaml"))
	mustSymlink(t, filepath.Join(tree, "real/docker-compose.yml"), filepath.Join(tree, "in/compose.yaml"))
	lintSubjects := func(path string) string {
		res, err := Run(context.Background(), &Checker{Rules: []Rule{everyService}}, RunOptions{Paths: []string{path}})
		if err != nil {
			t.Fatalf("Run(%s): %v", path, err)
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.Subject)
		}
		sort.Strings(got)
		return strings.Join(got, " ")
	}
	if got := lintSubjects(tree); got != "inside inside" {
		t.Errorf("walk linted %q, want the in-tree file and the link to it (inside inside), not the link out", got)
	}
	if got := lintSubjects(filepath.Join(tree, "out/compose.yaml")); got != "outside" {
		t.Errorf("a link named as PATH: linted %q, want outside", got)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestDockerfileNames(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "dockerfile": true, "Dockerfile.alpine": true, "Dockerfile.auto-setup-tls": true,
		"base.dockerfile": true, "service.Dockerfile": true, "Containerfile": true,
		"dockerfile.yaml": false, "Dockerfile.yml": false, "Dockerfile.json": false, "Dockerfile.md": false,
		"Dockerfile.dockerignore": false, "app.Dockerfile.dockerignore": false, "compose.yaml": false, "Dockerfiles": false,
	} {
		if got := IsDockerfileName(name); got != want {
			t.Errorf("IsDockerfileName(%q) = %v, want %v", name, got, want)
		}
	}
	// A walk lints .github/workflows/dockerfile.yaml as neither.
	dir := t.TempDir()
	writeFile(t, dir, ".github/workflows/dockerfile.yaml", "on: push\njobs: {}\n")
	writeFile(t, dir, "Dockerfile", "FROM scratch\n")
	res, err := Run(context.Background(), &Checker{Rules: []Rule{{ID: InvalidFileRule, Severity: SeverityError}}}, RunOptions{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || len(res.Findings) != 0 {
		t.Errorf("walk: files %v, findings %+v; want only the Dockerfile, no finding", res.Files, res.Findings)
	}
}

// A compose file that is a link to nowhere is named as such, not as "no
// compose file found", whether named as PATH or found in the folder.
func TestDanglingSymlinkIsNamed(t *testing.T) {
	dir := t.TempDir()
	mustSymlink(t, "gone.yaml", filepath.Join(dir, "compose.yaml"))
	for _, opts := range []RunOptions{
		{Paths: []string{filepath.Join(dir, "compose.yaml")}},
		{Project: ProjectOptions{WorkingDir: dir}},
	} {
		_, err := Run(context.Background(), &Checker{Rules: []Rule{everyService}}, opts)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "symlink to gone.yaml, which does not exist") {
			t.Errorf("%+v: %v", opts, err)
		}
	}
}
