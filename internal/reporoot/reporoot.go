// Package reporoot finds the root of the repository a command runs in, the
// folder reports name files from: code scanning, annotations and Code Quality
// place a finding by its path in the repository, whatever folder lint ran in.
package reporoot

import (
	"os"
	"path/filepath"
)

// CIVariables name the repository's checkout in CI, first match wins:
// GitHub Actions' GITHUB_WORKSPACE and GitLab CI's CI_PROJECT_DIR.
var CIVariables = []string{"GITHUB_WORKSPACE", "CI_PROJECT_DIR"}

// Find returns the absolute root for dir: the folder a CI variable names when
// dir is inside it, else the nearest folder at or above dir holding .git (a
// folder, or the file of a worktree or submodule: git's top level), else dir
// itself. lookup reads the environment (os.LookupEnv).
func Find(dir string, lookup func(string) (string, bool)) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	abs = resolve(abs)
	for _, name := range CIVariables {
		v, ok := lookup(name)
		if !ok || v == "" {
			continue
		}
		root, err := filepath.Abs(v)
		if err != nil {
			continue
		}
		root = resolve(root)
		if within(abs, root) {
			return root
		}
	}
	for d := abs; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return abs
		}
		d = parent
	}
}

// resolve follows symbolic links (a /tmp that is a link on macOS), so a
// path and its root compare alike; a path that cannot be resolved stays.
func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// within says whether p is root or below it.
func within(p, root string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !filepath.IsAbs(rel) && (len(rel) < 3 || rel[:3] != ".."+string(filepath.Separator))
}
