package lint

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunCountsEveryFileAndReportsInvalid(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "compose.yaml", "services:\n  web:\n    image: x:1\n")
	writeFile(t, dir, "docker-compose.prod.yml", "services: [\n")
	writeFile(t, dir, "Dockerfile", "FROM alpine:3.20\nCMD [\"sh\"]\n")
	writeFile(t, dir, "kustomization.yaml", "resources: []\n") // not compose: skipped in a walk
	os.Mkdir(filepath.Join(dir, "svc"), 0o755)
	writeFile(t, filepath.Join(dir, "svc"), "api.Dockerfile", "# only comments\n")
	rules := []Rule{{ID: InvalidFileRule, Severity: SeverityError}}
	res, err := Run(context.Background(), &Checker{Rules: rules}, RunOptions{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 4 {
		t.Errorf("files = %v, want compose.yaml, docker-compose.prod.yml, Dockerfile, svc/api.Dockerfile", res.Files)
	}
	var invalid []string
	for _, f := range res.Findings {
		if f.Rule == InvalidFileRule {
			invalid = append(invalid, filepath.Base(f.Pos.File))
		}
	}
	if strings.Join(invalid, ",") != "docker-compose.prod.yml,api.Dockerfile" {
		t.Errorf("invalid-file findings on %v", invalid)
	}
	if _, err := Run(context.Background(), &Checker{}, RunOptions{Paths: []string{filepath.Join(dir, "missing")}}); err == nil {
		t.Error("a PATH that does not exist must be an error")
	}
	var ue *UsageError
	_, err = Run(context.Background(), &Checker{}, RunOptions{Project: ProjectOptions{WorkingDir: t.TempDir(), NoUpwardSearch: true}})
	if !errors.As(err, &ue) {
		t.Errorf("nothing to lint: err = %v, want a UsageError", err)
	}
	_, err = Run(context.Background(), &Checker{}, RunOptions{Paths: []string{t.TempDir()}})
	if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "nothing to lint") {
		t.Errorf("an empty folder: err = %v, want a UsageError saying nothing to lint", err)
	}
}

func TestSpecialFilesAreNotRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "compose.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	rules := []Rule{{ID: InvalidFileRule, Severity: SeverityError}}
	done := make(chan struct{})
	var res *Result
	var err error
	go func() {
		defer close(done)
		res, err = Run(context.Background(), &Checker{Rules: rules}, RunOptions{Paths: []string{fifo}})
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("linting a FIFO hangs")
	}
	if err != nil || len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Message, "not a regular file") {
		t.Errorf("FIFO: %v %+v", err, res)
	}
	// A dangling symlink named on the command line is a missing path.
	link := filepath.Join(dir, "Dockerfile")
	os.Symlink(filepath.Join(dir, "gone"), link)
	if _, err := Run(context.Background(), &Checker{Rules: rules}, RunOptions{Paths: []string{link}}); err == nil {
		t.Error("a dangling symlink must be an error")
	}
}

func FuzzParseDockerfile(f *testing.F) {
	f.Add([]byte("FROM alpine\nCMD echo hi\n"))
	f.Add([]byte("ARG X=1\nFROM scratch AS a\nHEALTHCHECK --interval=1s CMD [\"/app\"]\nFROM a\nUSER 0\n"))
	f.Add([]byte("FROM x\nRUN <<EOF\necho\nEOF\n"))
	f.Add([]byte("# docker-heal ignore=all\n\\\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		df, err := ParseDockerfile("Dockerfile", src)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %T %v", err, err)
			}
			return
		}
		_ = df.Image("")
	})
}

func FuzzLoadCompose(f *testing.F) {
	f.Add("services:\n  web:\n    image: x\n")
	f.Add("services:\n  web:\n    build: .\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n")
	f.Add("x-a: &a {restart: always}\nservices:\n  web:\n    <<: *a\n    image: y\n")
	f.Add("services:\n  a:\n    extends: b\n    image: x\n  b:\n    image: y\n")
	f.Add("include:\n  - other.yaml\nservices: {}\n")
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := LoadProject(context.Background(), ProjectOptions{ConfigFiles: []string{path}})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %T %v", err, err)
			}
			return
		}
		for _, s := range p.Services {
			_ = s.EffectiveHealthcheck()
			_, _ = s.Process()
		}
	})
}
