package rules

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
)

// A value written as a variable is the author's setting to make: a fix that
// wrote a literal over ${DB_STOP:-5s} would drop the operator's .env value
// (DB_STOP=2m would become 1m). The finding stays; the fix is not offered.
func TestSetScalarKeepsVariables(t *testing.T) {
	for _, c := range []struct {
		rule lint.Rule
		in   string
		fix  bool
	}{
		{StopGracePeriodShort, "services:\n  db:\n    image: postgres:16\n    stop_grace_period: ${DB_STOP:-5s}\n    volumes: [d:/var/lib/postgresql/data]\n", false},
		{StopGracePeriodShort, "services:\n  db:\n    image: postgres:16\n    stop_grace_period: 5s\n    volumes: [d:/var/lib/postgresql/data]\n", true},
		{UlimitNofileLow, "services:\n  app:\n    image: example/app:1.0\n    ulimits:\n      nofile: ${NOFILE:-1024}\n", false},
		{UlimitNofileLow, "services:\n  app:\n    image: example/app:1.0\n    ulimits:\n      nofile: 1024\n", true},
	} {
		path := filepath.Join(t.TempDir(), "compose.yaml")
		if err := os.WriteFile(path, []byte(c.in), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := lint.Run(context.Background(), &lint.Checker{Rules: []lint.Rule{c.rule}}, lint.RunOptions{Paths: []string{path}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 1 {
			t.Errorf("%q: %d findings, want 1", c.in, len(res.Findings))
			continue
		}
		plan, err := lint.PlanFixes(res.Findings, lint.FixUnsafe)
		if err != nil {
			t.Fatal(err)
		}
		if _, fixed := plan.Files[path]; fixed != c.fix {
			t.Errorf("%q: fixed %v, want %v: %q", c.in, fixed, c.fix, plan.Files[path].New)
		}
	}
}
