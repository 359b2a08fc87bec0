package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What the README promises a fresh machine, checked where it is set up.
func TestFreshMachineSetup(t *testing.T) {
	read := func(parts ...string) string {
		b, err := os.ReadFile(filepath.Join(append([]string{".."}, parts...)...))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	makefile := read("Makefile")
	for _, line := range strings.Split(makefile, "\n") {
		// make integration starts the registry the image lookup tests push to,
		// and the engine, as make test does.
		if strings.HasPrefix(line, "\t") && strings.Contains(line, "-tags integration") && !strings.Contains(line, "scripts/registry.sh run scripts/engine.sh run") {
			t.Errorf("Makefile runs integration tests without the registry and engine scripts: %q", line)
		}
	}
	example := read("examples", "watch", "compose.yaml")
	if !strings.Contains(example, "- ${DOCKER_SOCK:-/var/run/docker.sock}:/var/run/docker.sock") {
		t.Error("examples/watch/compose.yaml does not take the socket from ${DOCKER_SOCK:-/var/run/docker.sock}")
	}
	if !strings.Contains(example, "compose v2") {
		t.Error("examples/watch/compose.yaml does not say it needs compose v2")
	}
	readme := read("README.md")
	for _, want := range []string{"~/.docker/cli-plugins/docker-heal completion bash", "DOCKER_SOCK", "compose v2"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q", want)
		}
	}
}
