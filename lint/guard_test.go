package lint

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A hostile repository must never hang or crash lint: every file the loader
// or compose-go reads is checked first. A regression here hangs, so these
// tests rely on go test's -timeout, not on timing.

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatalf("mkfifo %s: %v", path, err)
	}
}

func deepYAML(depth int) string {
	return "services:\n  base:\n    image: x\n    x-deep: " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n"
}

func TestHostileReferencedFiles(t *testing.T) {
	const okService = "services:\n  web:\n    image: nginx:1.27\n"
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) RunOptions
		// want: the finding's file (relative to dir), line, and message parts.
		file string
		line int
		want []string
	}{
		{
			name: "FIFO as .env",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", okService)
				mkfifo(t, filepath.Join(dir, ".env"))
				return RunOptions{Paths: []string{dir}}
			},
			file: ".env", want: []string{"env file", "named pipe"},
		},
		{
			name: "FIFO as --env-file",
			setup: func(t *testing.T, dir string) RunOptions {
				path := writeFile(t, dir, "compose.yaml", okService)
				mkfifo(t, filepath.Join(dir, "prod.env"))
				return RunOptions{Project: ProjectOptions{ConfigFiles: []string{path}, EnvFiles: []string{filepath.Join(dir, "prod.env")}}}
			},
			file: "prod.env", want: []string{"env file", "named pipe"},
		},
		{
			name: ".env symlink to /dev/zero",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", okService)
				if err := os.Symlink("/dev/zero", filepath.Join(dir, ".env")); err != nil {
					t.Fatal(err)
				}
				return RunOptions{Paths: []string{dir}}
			},
			file: ".env", want: []string{"env file", "character device"},
		},
		{
			name: "FIFO as include target",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", "include:\n  - other.yaml\n"+okService)
				mkfifo(t, filepath.Join(dir, "other.yaml"))
				return RunOptions{Paths: []string{dir}}
			},
			file: "compose.yaml", line: 2, want: []string{"include other.yaml", "named pipe"},
		},
		{
			name: "FIFO as extends.file target",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", "services:\n  web:\n    extends:\n      file: base.yaml\n      service: base\n")
				mkfifo(t, filepath.Join(dir, "base.yaml"))
				return RunOptions{Paths: []string{dir}}
			},
			file: "compose.yaml", line: 4, want: []string{"extends.file base.yaml", "named pipe"},
		},
		{
			name: "FIFO as env_file entry",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", okService+"    env_file:\n      - path: app.env\n        required: false\n")
				mkfifo(t, filepath.Join(dir, "app.env"))
				return RunOptions{Paths: []string{dir}}
			},
			file: "compose.yaml", line: 5, want: []string{"env_file app.env", "named pipe"},
		},
		{
			name: "FIFO as label_file entry",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", okService+"    label_file: app.labels\n")
				mkfifo(t, filepath.Join(dir, "app.labels"))
				return RunOptions{Paths: []string{dir}}
			},
			file: "compose.yaml", line: 4, want: []string{"label_file app.labels", "named pipe"},
		},
		{
			name: "FIFO as an include's env_file",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", "include:\n  - path: sub/compose.yaml\n    env_file: sub.env\n")
				writeFile(t, filepath.Join(dir, "sub"), "compose.yaml", okService)
				mkfifo(t, filepath.Join(dir, "sub.env"))
				return RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}}
			},
			file: "compose.yaml", line: 3, want: []string{"include env_file sub.env", "named pipe"},
		},
		{
			name: "FIFO as an included project's .env",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", "include:\n  - sub/compose.yaml\n")
				writeFile(t, filepath.Join(dir, "sub"), "compose.yaml", okService)
				mkfifo(t, filepath.Join(dir, "sub", ".env"))
				return RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}}
			},
			file: "compose.yaml", line: 2, want: []string{"include sub/.env", "named pipe"},
		},
		{
			name: "5000-deep document through include",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", "include:\n  - deep.yaml\n"+strings.Replace(okService, "web", "front", 1))
				writeFile(t, dir, "deep.yaml", deepYAML(5000))
				return RunOptions{Paths: []string{dir}}
			},
			file: "compose.yaml", line: 2, want: []string{"include deep.yaml", "nested more than"},
		},
		{
			name: "5000-deep document through extends",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", "services:\n  web:\n    extends: {file: deep.yaml, service: base}\n")
				writeFile(t, dir, "deep.yaml", deepYAML(5000))
				return RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}}
			},
			file: "compose.yaml", line: 3, want: []string{"extends.file deep.yaml", "nested more than"},
		},
		{
			name: "5000-deep document through an extends chain",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", "services:\n  web:\n    extends: {file: mid.yaml, service: base}\n")
				writeFile(t, dir, "mid.yaml", "services:\n  base:\n    extends:\n      file: deep.yaml\n      service: base\n")
				writeFile(t, dir, "deep.yaml", deepYAML(5000))
				return RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}}
			},
			file: "mid.yaml", line: 4, want: []string{"extends.file deep.yaml", "nested more than"},
		},
		{
			name: "FIFO as build.dockerfile",
			setup: func(t *testing.T, dir string) RunOptions {
				writeFile(t, dir, "compose.yaml", "services:\n  web:\n    build:\n      context: .\n      dockerfile: app.Dockerfile\n")
				mkfifo(t, filepath.Join(dir, "app.Dockerfile"))
				return RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}}
			},
			file: "compose.yaml", line: 5, want: []string{"build.dockerfile", "app.Dockerfile", "named pipe"},
		},
	}
	rules := []Rule{{ID: InvalidFileRule, Severity: SeverityError}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := c.setup(t, dir)
			res, err := Run(context.Background(), &Checker{Rules: rules}, opts)
			if err != nil {
				t.Fatalf("Run: %v (want an invalid-file finding, not an error)", err)
			}
			if len(res.Findings) != 1 {
				t.Fatalf("findings = %+v, want one invalid-file", res.Findings)
			}
			f := res.Findings[0]
			if f.Rule != InvalidFileRule || f.Pos.File != filepath.Join(dir, c.file) || f.Pos.Line != c.line {
				t.Errorf("finding %s at %v, want invalid-file at %s:%d", f.Rule, f.Pos, c.file, c.line)
			}
			for _, w := range c.want {
				if !strings.Contains(f.Message, w) {
					t.Errorf("message %q does not say %q", f.Message, w)
				}
			}
		})
	}
}

// Messages never quote the content of a file that is not a compose file or
// a Dockerfile: build.dockerfile or .env may name a file full of secrets.
func TestMessagesDoNotQuoteOtherFiles(t *testing.T) {
	const secret = "s3cr3t-t0ken"
	rules := []Rule{{ID: InvalidFileRule, Severity: SeverityError}}
	cases := map[string]func(t *testing.T, dir string) RunOptions{
		"build.dockerfile names a secrets file": func(t *testing.T, dir string) RunOptions {
			writeFile(t, dir, "shadow", "root:"+secret+":19000:0:99999:7:::\n")
			writeFile(t, dir, "compose.yaml", "services:\n  web:\n    build:\n      context: .\n      dockerfile: "+filepath.Join(dir, "shadow")+"\n")
			return RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}}
		},
		"include names a secrets file": func(t *testing.T, dir string) RunOptions {
			writeFile(t, dir, "shadow", "root:"+secret+":19000:0:99999:7:::\n")
			writeFile(t, dir, "compose.yaml", "include:\n  - "+filepath.Join(dir, "shadow")+"\nservices:\n  web:\n    image: nginx:1.27\n")
			return RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}}
		},
		"extends.file names a secrets file": func(t *testing.T, dir string) RunOptions {
			writeFile(t, dir, "shadow", "root:"+secret+":19000:0:99999:7:::\n")
			writeFile(t, dir, "compose.yaml", "services:\n  web:\n    extends: {file: shadow, service: web}\n")
			return RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}}
		},
		".env that is not an env file": func(t *testing.T, dir string) RunOptions {
			writeFile(t, dir, ".env", "A=1\nroot "+secret+" x\n")
			writeFile(t, dir, "compose.yaml", "services:\n  web:\n    image: nginx:1.27\n")
			return RunOptions{Paths: []string{dir}}
		},
		"an include's env_file that is not an env file": func(t *testing.T, dir string) RunOptions {
			writeFile(t, dir, "sub.env", "root "+secret+" x\n")
			writeFile(t, filepath.Join(dir, "sub"), "compose.yaml", "services:\n  web:\n    image: nginx:1.27\n")
			writeFile(t, dir, "compose.yaml", "include:\n  - path: sub/compose.yaml\n    env_file: sub.env\n")
			return RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}}
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := Run(context.Background(), &Checker{Rules: rules}, setup(t, t.TempDir()))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(res.Findings) == 0 {
				t.Fatal("no finding: the file should be reported invalid")
			}
			for _, f := range res.Findings {
				if strings.Contains(f.Message, secret) || strings.Contains(f.Message, "root") {
					t.Errorf("message quotes the file: %q", f.Message)
				}
			}
		})
	}
}

// FuzzLoadMultiFileProject loads a generated project of four files (main,
// include target, extends target, .env) with one of them optionally swapped
// for a FIFO or a link to /dev/zero: loading must end, with a project or a
// ParseError, never an error of another kind, a panic or a hang.
func FuzzLoadMultiFileProject(f *testing.F) {
	f.Add("include:\n  - inc.yaml\nservices:\n  web:\n    extends: {file: base.yaml, service: base}\n    env_file: [app.env]\n",
		"services:\n  inc:\n    image: x:${TAG}\n", "services:\n  base:\n    image: y\n    restart: always\n", "TAG=1\n", uint8(0))
	f.Add("include:\n  - path: [inc.yaml]\n    env_file: app.env\nservices:\n  web:\n    image: z\n", "services:\n  inc:\n    extends:\n      file: base.yaml\n      service: base\n",
		"services:\n  base:\n    image: y\n", "A=\"unterminated\n", uint8(1))
	f.Add("services:\n  web:\n    extends: {file: ${BASE:-base.yaml}, service: base}\n", "", "services:\n  base:\n    extends: {file: inc.yaml, service: inc}\n", "BASE=base.yaml\n", uint8(3))
	f.Add("include: [inc.yaml]\n", "include: [compose.yaml]\n", "[[[[[[[[", "", uint8(2))
	f.Fuzz(func(t *testing.T, main, inc, base, env string, hostile uint8) {
		dir := t.TempDir()
		files := map[string]string{"compose.yaml": main, "inc.yaml": inc, "base.yaml": base, ".env": env, "app.env": env}
		names := []string{".env", "inc.yaml", "base.yaml", "app.env"}
		swap := ""
		if hostile%8 != 0 && int(hostile%8) <= 2*len(names) {
			swap = names[(int(hostile%8)-1)%len(names)]
		}
		for name, content := range files {
			path := filepath.Join(dir, name)
			switch {
			case name == swap && hostile%2 == 1:
				if err := syscall.Mkfifo(path, 0o644); err != nil {
					t.Fatal(err)
				}
			case name == swap:
				if err := os.Symlink("/dev/zero", path); err != nil {
					t.Fatal(err)
				}
			default:
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, err := LoadProject(context.Background(), ProjectOptions{WorkingDir: dir, NoUpwardSearch: true})
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("error is not a ParseError: %T %v", err, err)
		}
		rules := []Rule{{ID: InvalidFileRule, Severity: SeverityError}}
		if _, err := Run(context.Background(), &Checker{Rules: rules}, RunOptions{Paths: []string{dir}}); err != nil {
			t.Fatalf("Run: %v (a hostile project is an invalid-file finding, not a failed run)", err)
		}
	})
}
