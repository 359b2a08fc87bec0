package commands

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker-heal/docker-heal/lint/rules"
)

func corpusFiles(b *testing.B, match func(string) bool) []string {
	var out []string
	filepath.WalkDir(corpusDir(b), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && match(d.Name()) {
			out = append(out, path)
		}
		return nil
	})
	return out
}

// BenchmarkLintCorpus is the whole lint of the corpus tree: discovery,
// compose-go loading, position mapping, Dockerfiles and every rule.
func BenchmarkLintCorpus(b *testing.B) {
	corpus := corpusDir(b)
	checker := &lint.Checker{Rules: rules.All()}
	files := 0
	for b.Loop() {
		res, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{corpus}})
		if err != nil {
			b.Fatal(err)
		}
		files = len(res.Files)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(files)/1000, "ms/file")
}

// BenchmarkDockerfileRules runs only the Dockerfile rule set on parsed files.
func BenchmarkDockerfileRules(b *testing.B) {
	var dfs []*lint.Dockerfile
	for _, f := range corpusFiles(b, lint.IsDockerfileName) {
		if df, err := lint.LoadDockerfile(f); err == nil {
			dfs = append(dfs, df)
		}
	}
	checker := &lint.Checker{Rules: rules.All()}
	for b.Loop() {
		for _, df := range dfs {
			checker.CheckDockerfile(df)
		}
	}
	b.ReportMetric(float64(len(dfs)), "files")
}

// BenchmarkComposeRules runs only the compose rule set on loaded services.
func BenchmarkComposeRules(b *testing.B) {
	var svcs []*lint.Service
	for _, f := range corpusFiles(b, func(n string) bool { return n == "compose.yaml" }) {
		if p, err := lint.LoadProject(context.Background(), lint.ProjectOptions{ConfigFiles: []string{f}}); err == nil {
			svcs = append(svcs, p.Services...)
		}
	}
	checker := &lint.Checker{Rules: rules.All()}
	for b.Loop() {
		for _, s := range svcs {
			checker.CheckService(s, nil)
		}
	}
	b.ReportMetric(float64(len(svcs)), "services")
}

// BenchmarkComposeLoad is compose-go loading plus our position index, per file.
func BenchmarkComposeLoad(b *testing.B) {
	files := corpusFiles(b, func(n string) bool { return n == "compose.yaml" })
	for b.Loop() {
		for _, f := range files {
			lint.LoadProject(context.Background(), lint.ProjectOptions{ConfigFiles: []string{f}})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(files))/1000, "ms/file")
}
