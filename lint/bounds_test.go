package lint

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 18: inputs that cost minutes and gigabytes are refused as invalid
// files naming file:line, on a count of the work asked, before any of it is
// done. The inputs are generated, never committed.

func nested(depth int) string {
	v := "x"
	for i := depth - 1; i >= 0; i-- {
		v = fmt.Sprintf("${V%d:-%s}", i, v)
	}
	return v
}

func TestDeepInterpolationIsRefused(t *testing.T) {
	rules := []Rule{{ID: InvalidFileRule, Severity: SeverityError}}
	for name, setup := range map[string]func(dir string) (file string, line int){
		"compose file, 10,000 deep": func(dir string) (string, int) {
			writeFile(t, dir, "compose.yaml", "services:\n  app:\n    image: \""+nested(10000)+"\"\n")
			return "compose.yaml", 3
		},
		".env, 10,000 deep": func(dir string) (string, int) {
			writeFile(t, dir, ".env", "A=1\nIMG="+nested(10000)+"\n")
			writeFile(t, dir, "compose.yaml", "services:\n  app:\n    image: \"${IMG}\"\n")
			return ".env", 2
		},
		"env_file:, 3,000 deep": func(dir string) (string, int) {
			writeFile(t, dir, "app.env", "IMG="+nested(3000)+"\n")
			writeFile(t, dir, "compose.yaml", "services:\n  app:\n    image: x\n    env_file: [app.env]\n")
			return "compose.yaml", 4
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			file, line := setup(dir)
			res, err := Run(context.Background(), &Checker{Rules: rules}, RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(res.Findings) != 1 {
				t.Fatalf("findings %+v, want one invalid-file", res.Findings)
			}
			f := res.Findings[0]
			if f.Rule != InvalidFileRule || f.Pos.File != filepath.Join(dir, file) || f.Pos.Line != line {
				t.Errorf("%s at %v, want invalid-file at %s:%d", f.Rule, f.Pos, file, line)
			}
			if !strings.Contains(f.Message, "nested") || !strings.Contains(f.Message, fmt.Sprint(maxInterpolationDepth)) {
				t.Errorf("message %q does not say what is nested too deep", f.Message)
			}
		})
	}
	// The bound leaves what people write alone.
	if d, _ := interpolationDepth([]byte("a: ${A:-${B:-${C}}} $${LITERAL} {x: y}\n")); d != 3 {
		t.Errorf("depth %d, want 3", d)
	}
}
