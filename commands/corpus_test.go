package commands

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker-heal/docker-heal/lint/rules"
)

// corpusDir finds ../shared/corpus beside the checkout (real files written by
// others); DOCKER_HEAL_CORPUS overrides. In CI its absence is a failure.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("DOCKER_HEAL_CORPUS"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for dir := wd; ; dir = filepath.Dir(dir) {
		c := filepath.Join(dir, "..", "shared", "corpus")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("../shared/corpus not found beside the checkout (set DOCKER_HEAL_CORPUS)")
	}
	tb.Skip("../shared/corpus not found beside the checkout (set DOCKER_HEAL_CORPUS)")
	return ""
}

// TestCorpus lints every file of the corpus, as a tree and one by one: no
// panic, and every compose file and Dockerfile is accounted for in the result.
func TestCorpus(t *testing.T) {
	corpus := corpusDir(t)
	checker := &lint.Checker{Rules: rules.All()}
	var want, all []string
	filepath.WalkDir(corpus, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		all = append(all, path)
		if lint.IsComposeName(d.Name()) || lint.IsDockerfileName(d.Name()) {
			want = append(want, path)
		}
		return nil
	})
	if len(want) < 100 {
		t.Fatalf("only %d compose files and Dockerfiles under %s", len(want), corpus)
	}
	res, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{corpus}})
	if err != nil {
		t.Fatalf("lint %s: %v", corpus, err)
	}
	seen := map[string]bool{}
	for _, f := range res.Files {
		seen[f] = true
	}
	for _, f := range want {
		if !seen[f] {
			t.Errorf("%s: not accounted for in the result", f)
		}
	}
	invalid := 0
	for _, f := range res.Findings {
		if f.Rule == lint.InvalidFileRule {
			invalid++
			if f.Message == "" || f.Pos.File == "" {
				t.Errorf("invalid-file finding without a message or file: %+v", f)
			}
		}
	}
	t.Logf("corpus: %d files, %d findings, %d invalid files", len(res.Files), len(res.Findings), invalid)

	// Every file on its own, whatever its name: YAML as compose, the rest as
	// Dockerfiles. Nothing may panic or fail as a whole; each file is counted.
	for _, f := range all {
		name := filepath.Base(f)
		ext := strings.ToLower(filepath.Ext(name))
		if ext != ".yaml" && ext != ".yml" && !lint.IsDockerfileName(name) {
			continue
		}
		res, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{f}})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(res.Files) == 0 {
			t.Errorf("%s: not counted", f)
		}
	}
}
