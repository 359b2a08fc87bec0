package reporoot

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	base, _ := filepath.EvalSymlinks(t.TempDir())
	repo := filepath.Join(base, "repo")
	svc := filepath.Join(repo, "svc", "api")
	worktree := filepath.Join(base, "wt")
	for _, d := range []string{filepath.Join(repo, ".git"), svc, filepath.Join(worktree, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A worktree's .git is a file.
	if err := os.WriteFile(filepath.Join(worktree, ".git"), []byte("gitdir: /elsewhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(base, "plain", "dir")
	if err := os.MkdirAll(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	none := func(string) (string, bool) { return "", false }
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	for _, tc := range []struct {
		name, dir string
		lookup    func(string) (string, bool)
		want      string
	}{
		{"git top level from a subfolder", svc, none, repo},
		{"git top level itself", repo, none, repo},
		{"worktree .git file", filepath.Join(worktree, "sub"), none, worktree},
		{"no repository: the folder itself", plain, none, plain},
		{"GITHUB_WORKSPACE wins over .git", svc, env(map[string]string{"GITHUB_WORKSPACE": filepath.Join(repo, "svc")}), filepath.Join(repo, "svc")},
		{"CI_PROJECT_DIR", plain, env(map[string]string{"CI_PROJECT_DIR": filepath.Join(base, "plain")}), filepath.Join(base, "plain")},
		{"a workspace the folder is not in is ignored", svc, env(map[string]string{"GITHUB_WORKSPACE": plain}), repo},
	} {
		if got := Find(tc.dir, tc.lookup); got != tc.want {
			t.Errorf("%s: Find(%s) = %s, want %s", tc.name, tc.dir, got, tc.want)
		}
	}
}
