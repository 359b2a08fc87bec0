package commands

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/docker-heal/docker-heal/lint/render"
)

// Identical input gives byte-identical output in every format: a project
// with several compose errors in one file (compose-go reports them in map
// order), a fragment, a refused include and Dockerfiles, linted N times.
func TestLintOutputIsByteIdentical(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"errors/compose.yaml":         "services:\n  c:\n    command: [x]\n  a:\n    image: x:1\n    depends_on: [zz, yy]\n  b:\n    image: x:1\n    networks: [nope]\n",
		"app/compose.yaml":            "services:\n  web:\n    build: .\n  db:\n    image: postgres:17\n",
		"app/compose.monitoring.yaml": "services:\n  prometheus:\n    image: prom/prometheus:v2\n    depends_on: [web, db]\n",
		"app/Dockerfile":              "FROM alpine:3.20\nCMD run --it\n",
		"deep/compose.yaml":           "include:\n  - deep.yaml\nservices:\n  x:\n    image: x:1\n",
		"deep/deep.yaml":              "services:\n  y:\n    x-deep: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, format := range render.Formats {
		first, _, code := runCLI(t, dir, "lint", ".", "--format", format)
		if code != 1 || first == "" {
			t.Fatalf("%s: exit %d, output %q", format, code, first)
		}
		for i := range 5 {
			if out, _, _ := runCLI(t, dir, "lint", ".", "--format", format); out != first {
				t.Fatalf("%s: run %d differs from run 0:\n%s\n---\n%s", format, i+1, out, first)
			}
		}
	}
}
