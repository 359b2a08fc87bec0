//go:build integration

package commands

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/internal/enginetest"
	"github.com/docker-heal/docker-heal/lint/render"
	"github.com/docker-heal/docker-heal/lint/rules"
)

// installPlugin builds this checkout's docker-heal into a fresh
// DOCKER_CONFIG's cli-plugins folder and returns that folder.
func installPlugin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "cli-plugins", "docker-heal"), "../cmd/docker-heal").CombinedOutput()
	if err != nil {
		t.Fatalf("building the plugin: %v\n%s", err, out)
	}
	return dir
}

// dockerWithPlugin runs the real docker CLI with the plugin in config, and
// returns stdout.
func dockerWithPlugin(t *testing.T, config string, args ...string) string {
	t.Helper()
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Fatalf("the plugin tests need the docker CLI: %v", err)
	}
	cmd := exec.Command(docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+config)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// completions parses cobra's __complete answer: one value per line (with a
// tab before its description), then ":DIRECTIVE".
func completions(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("no completion directive in:\n%s", out)
	}
	var values []string
	for _, l := range lines[:len(lines)-1] {
		values = append(values, strings.SplitN(l, "\t", 2)[0])
	}
	return values
}

func TestPluginCompletionThroughDockerCLI(t *testing.T) {
	config := installPlugin(t)
	var ids []string
	for _, r := range rules.All() {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	for _, args := range [][]string{
		// What the issue asks for, and what the shell's TAB sends
		// (docker's completion script asks `docker __complete ...`).
		{"heal", "__complete", "lint", "--format", ""},
		{"__complete", "heal", "lint", "--format", ""},
	} {
		if got := completions(t, dockerWithPlugin(t, config, args...)); !slices.Equal(got, render.Formats) {
			t.Errorf("docker %q: %v, want %v", args, got, render.Formats)
		}
	}
	for _, args := range [][]string{
		{"heal", "__complete", "rules", ""},
		{"__complete", "heal", "rules", ""},
	} {
		if got := completions(t, dockerWithPlugin(t, config, args...)); !slices.Equal(got, ids) {
			t.Errorf("docker %q: %v, want every rule id %v", args, got, ids)
		}
	}
	if got := completions(t, dockerWithPlugin(t, config, "heal", "__complete", "")); !slices.Contains(got, "lint") || !slices.Contains(got, "status") {
		t.Errorf("docker heal __complete \"\": %v, want the subcommands", got)
	}
}

func TestPluginCompletesContainerNames(t *testing.T) {
	enginetest.Client(t) // DOCKER_HOST must answer: the plugin asks the same engine
	config := installPlugin(t)
	c := enginetest.RunContainer(t, enginetest.Options{})
	for _, sub := range []string{"status", "audit", "reset"} {
		if got := completions(t, dockerWithPlugin(t, config, "heal", "__complete", sub, "")); !slices.Contains(got, c.Name) {
			t.Errorf("docker heal __complete %s: %v does not offer %s", sub, got, c.Name)
		}
	}
}
