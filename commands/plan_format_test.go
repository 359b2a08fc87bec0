package commands

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/heal"
)

// issue 16: once and watch print through docker/cli's formatter, templates
// as docker ps takes them.
func TestOncePrintsThroughDockersFormatter(t *testing.T) {
	web := sickContainer("web")
	web.Project, web.Service = "shop", "web"
	web.Name = "web\x1b[31m" // a name with an escape sequence
	for _, tc := range []struct {
		name, format string
		check        func(t *testing.T, out string)
	}{
		{"default table", "table", func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "CONTAINER") || !strings.Contains(lines[0], "PROJECT/SERVICE") ||
				!strings.Contains(lines[1], "shop/web") || !strings.Contains(lines[1], "success") {
				t.Errorf("table:\n%s", out)
			}
			if strings.Index(lines[0], "DECISION") != strings.Index(lines[1], "restart") {
				t.Errorf("columns not aligned:\n%s", out)
			}
		}},
		{"table template", `table {{.Container}}\t{{.Decision}}`, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "CONTAINER") || strings.Contains(out, `\t`) ||
				strings.Index(lines[0], "DECISION") != strings.Index(lines[1], "restart") {
				t.Errorf("table template: header and aligned columns wanted:\n%q", out)
			}
		}},
		{"bare template", `{{.ID}} {{.Result}}`, func(t *testing.T, out string) {
			if out != "id-web success\n" {
				t.Errorf("template: %q", out)
			}
		}},
		{"json per line", `{{json .}}`, func(t *testing.T, out string) {
			var step onceStep
			if err := json.Unmarshal([]byte(out), &step); err != nil || step.ID != "id-web" || step.Result != heal.ResultSuccess {
				t.Errorf("{{json .}}: %q (%v)", out, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newOnceEngine(web)
			opts := testOpts(t)
			opts.format = tc.format
			out, errOut, exit := run(t, e, opts)
			if exit != ExitOK {
				t.Fatalf("exit %d\n%s%s", exit, out, errOut)
			}
			if strings.Contains(out, "\x1b") {
				t.Errorf("an escape sequence from a container name reached the output: %q", out)
			}
			tc.check(t, out)
		})
	}
	e := newOnceEngine(web)
	opts := testOpts(t)
	opts.format = "{{.Nope}}"
	if _, _, exit := run(t, e, opts); exit != ExitError || e.restarts() != 0 {
		t.Errorf("a template naming an unknown field: exit %d, %d restarts; want exit 2 before any round", exit, e.restarts())
	}
}
