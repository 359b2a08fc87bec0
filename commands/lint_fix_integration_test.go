//go:build integration

package commands

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// image-unpinned's unsafe fix pins a tag to the digest the engine recorded
// when it pushed the image to the registry, and only with --unsafe-fixes.
func TestLintFixPinsToTheEngineDigest(t *testing.T) {
	cli := enginetest.Client(t)
	registry := registryHost(t)
	local := "docker-heal-test/pin:" + strings.ReplaceAll(enginetest.RunID(), "_", "-")
	enginetest.BuildConfigImage(t, local, "FROM scratch\nCOPY marker /marker\nCMD [\"/app\"]\n")
	pushed := registry + "/docker-heal-test/pin:latest"
	enginetest.TagImage(t, local, pushed)
	enginetest.PushImage(t, pushed)
	inspect, err := cli.ImageInspect(context.Background(), pushed)
	if err != nil {
		t.Fatal(err)
	}
	if len(inspect.RepoDigests) == 0 {
		t.Fatalf("the engine recorded no digest for %s after the push", pushed)
	}
	_, digest, _ := strings.Cut(inspect.RepoDigests[0], "@")

	dir := t.TempDir()
	compose := "services:\n  app:\n    image: " + pushed + "   # pinned by the fix\n    restart: unless-stopped\n    logging: {driver: local}\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := runCLI(t, dir, "lint", "--only", "image-unpinned", "--image-config", "engine", "--diff")
	if code != 0 || out != "" {
		t.Errorf("safe --diff pins the image (exit %d):\n%s", code, out)
	}
	out, errOut, code := runCLI(t, dir, "lint", "--only", "image-unpinned", "--image-config", "engine", "--diff", "--unsafe-fixes")
	want := "+    image: " + pushed + "@" + digest + "   # pinned by the fix\n"
	if code != 1 || !strings.Contains(out, want) {
		t.Fatalf("--diff --unsafe-fixes: exit %d, want 1 and %q in:\n%s\nstderr: %s", code, want, out, errOut)
	}
	_, errOut, code = runCLI(t, dir, "lint", "--only", "image-unpinned", "--image-config", "engine", "--fix", "--unsafe-fixes", "--fail-on", "info")
	if code != 0 || !strings.Contains(errOut, "image-unpinned 1") {
		t.Errorf("--fix --unsafe-fixes: exit %d (findings left?), stderr: %s", code, errOut)
	}
}
