package commands

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/cli/cli/command"

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

// BenchmarkLintAwesomeCompose is what scripts/bench-peers.sh times, in
// process (so -cpuprofile sees it): `lint --fail-on none` over the
// awesome-compose files, through the command, rendering included. Process
// start-up is not in it (GODEBUG=inittrace=1 on the binary shows that part).
func BenchmarkLintAwesomeCompose(b *testing.B) {
	dir := filepath.Join(corpusDir(b), "compose", "awesome-compose")
	if _, err := os.Stat(dir); err != nil {
		dir = filepath.Join(corpusDir(b), "awesome-compose")
	}
	var files []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil || d.IsDir():
		case d.Name() == "compose.yaml", d.Name() == "compose.yml", d.Name() == "docker-compose.yml", d.Name() == "docker-compose.yaml":
			files = append(files, path)
		}
		return nil
	})
	if len(files) == 0 {
		b.Fatalf("no compose files under %s", dir)
	}
	args := append([]string{"lint", "--fail-on", "none", "--image-config", "off"}, files...)
	for b.Loop() {
		var out, errOut bytes.Buffer
		cli, err := command.NewDockerCli(command.WithOutputStream(&out), command.WithErrorStream(&errOut))
		if err != nil {
			b.Fatal(err)
		}
		root := NewRootCommand(cli, "bench")
		root.SetArgs(args)
		root.SetOut(&out)
		root.SetErr(&errOut)
		if code := exitCode(&errOut, root.Execute()); code != ExitOK || out.Len() == 0 {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
	}
	b.ReportMetric(float64(len(files)), "files")
}
