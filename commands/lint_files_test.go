package commands

import (
	"testing"
)

// pre-commit passes the changed files, often an override alone: each default
// compose file named stands for its folder's project, base and override
// merged, once, as docker compose loads it there.
func TestLintDefaultComposeFileIsItsFolderProject(t *testing.T) {
	project := testdataDir(t, "project")
	want, _, _ := runCLI(t, project, "lint", "--format", "json")
	for _, args := range [][]string{
		{"compose.override.yaml"},
		{"compose.yaml", "compose.override.yaml", "api/Dockerfile"},
		{"compose.override.yaml", "."},
		{".", "compose.yaml"},
	} {
		got, errOut, _ := runCLI(t, project, append([]string{"lint", "--format", "json"}, args...)...)
		if got != want {
			t.Errorf("lint %v differs from lint of the folder:\n%s\nstderr: %s\nwant:\n%s", args, got, errOut, want)
		}
	}
}
