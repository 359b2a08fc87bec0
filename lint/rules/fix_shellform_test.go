package rules

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
)

// shell-form-cmd's fix writes the exec form only for a plain command that
// runs the same without a shell.
func TestShellFormCmdFix(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "" : no fix
		unsafe   bool
	}{
		{"FROM scratch\nCMD /app --port 80\n", "FROM scratch\nCMD [\"/app\", \"--port\", \"80\"]\n", false},
		{"FROM scratch\ncmd   /app  --port 80  \n", "FROM scratch\ncmd   [\"/app\", \"--port\", \"80\"]  \n", false},
		{"FROM scratch\r\nCMD /app\r\n", "FROM scratch\r\nCMD [\"/app\"]\r\n", false},
		{"FROM scratch\nENTRYPOINT /app serve\n", "FROM scratch\nENTRYPOINT [\"/app\", \"serve\"]\n", true},
		{"FROM scratch\nENTRYPOINT [\"/entry\"]\nCMD /app serve\n", "FROM scratch\nENTRYPOINT [\"/entry\"]\nCMD [\"/app\", \"serve\"]\n", true},
		{"FROM scratch\nCMD /app && /other\n", "", false},
		{"FROM scratch\nCMD /app > /log\n", "", false},
		{"FROM scratch\nCMD /app $PORT\n", "", false},
		{"FROM scratch\nCMD /app *.conf\n", "", false},
		{"FROM scratch\nCMD /app \"a b\"\n", "", false},
		{"FROM scratch\nCMD ulimit -n 1024\n", "", false},
		{"FROM scratch\nCMD /app \\\n  --port 80\n", "", false},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "Dockerfile")
		if err := os.WriteFile(path, []byte(c.in), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := lint.Run(context.Background(), &lint.Checker{Rules: []lint.Rule{ShellFormCmd}}, lint.RunOptions{Paths: []string{path}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) == 0 {
			t.Errorf("%q: no finding", c.in)
			continue
		}
		plan, err := lint.PlanFixes(res.Findings, lint.FixUnsafe)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if ch, ok := plan.Files[path]; ok {
			got = string(ch.New)
		}
		if got != c.want {
			t.Errorf("%q: fixed to %q, want %q", c.in, got, c.want)
		}
		if c.want != "" && res.Findings[0].Fix.Unsafe != c.unsafe {
			t.Errorf("%q: unsafe %v, want %v", c.in, res.Findings[0].Fix.Unsafe, c.unsafe)
		}
	}
}
