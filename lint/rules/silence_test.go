package rules

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/docs"
	"github.com/docker-heal/docker-heal/internal/config"
	"github.com/docker-heal/docker-heal/lint"
	"go.yaml.in/yaml/v4"
)

// silencer is one documented way of silencing a rule. It edits a copy of
// the rule's bad case (or writes a config, or sets --disable) and says which
// of the findings it addresses; those must then be gone, the others stay.
type silencer struct {
	name string
	// documented says whether the rule's page lists this way (its "How to
	// silence it" section), so the test follows the docs, not a hand list.
	documented func(id, howTo string) bool
	apply      func(t *testing.T, c *silenceCase) (addressed []lint.Finding)
}

// silenceCase is one rule's bad case copied to a temp folder.
type silenceCase struct {
	id       string
	root     string // holds case/ and .docker-heal.yaml
	findings []lint.Finding
	disable  []string
	config   string
}

func (c *silenceCase) dir() string { return filepath.Join(c.root, "case") }

var silencers = []silencer{
	{
		name:       "pragma on the line above",
		documented: func(id, howTo string) bool { return strings.Contains(howTo, "`# docker-heal ignore="+id) },
		apply: func(t *testing.T, c *silenceCase) []lint.Finding {
			var addressed []lint.Finding
			lines := map[string][]int{}
			for _, f := range c.findings {
				if f.Pos.Line > 0 {
					lines[f.Pos.File] = append(lines[f.Pos.File], f.Pos.Line)
					addressed = append(addressed, f)
				}
			}
			for file, ls := range lines {
				insertLines(t, file, ls, func(line string) string {
					return leadingSpace(line) + "# docker-heal ignore=" + c.id + " silenced by the test"
				})
			}
			return addressed
		},
	},
	{
		name:       "global pragma",
		documented: func(id, howTo string) bool { return strings.Contains(howTo, "`# docker-heal global ignore="+id) },
		apply: func(t *testing.T, c *silenceCase) []lint.Finding {
			files := map[string]bool{}
			for _, f := range c.findings {
				files[f.Pos.File] = true
			}
			for file := range files {
				src := readText(t, file)
				// After a Dockerfile's parser directives (# syntax=, # escape=).
				at := 1
				for i, l := range strings.Split(src, "\n") {
					if !strings.HasPrefix(l, "# syntax=") && !strings.HasPrefix(l, "# escape=") {
						at = i + 1
						break
					}
				}
				insertLines(t, file, []int{at}, func(string) string { return "# docker-heal global ignore=" + c.id + " silenced by the test" })
			}
			return c.findings
		},
	},
	{
		name:       "x-docker-heal on the service",
		documented: func(id, howTo string) bool { return strings.Contains(howTo, "`x-docker-heal: {ignore: ["+id+"]}`") },
		apply: func(t *testing.T, c *silenceCase) []lint.Finding {
			var addressed []lint.Finding
			inserts := map[string]map[int]string{}
			for _, f := range c.findings {
				line, indent, ok := serviceBody(t, f.Pos.File, f.Subject)
				if !ok {
					continue
				}
				addressed = append(addressed, f)
				if inserts[f.Pos.File] == nil {
					inserts[f.Pos.File] = map[int]string{}
				}
				inserts[f.Pos.File][line] = indent + "x-docker-heal: {ignore: [" + c.id + "]}"
			}
			for file, at := range inserts {
				var ls []int
				for l := range at {
					ls = append(ls, l)
				}
				insertLines(t, file, ls, func(string) string { return "" }, at)
			}
			return addressed
		},
	},
	{
		name:       "--disable",
		documented: func(id, howTo string) bool { return strings.Contains(howTo, "--disable "+id) },
		apply: func(t *testing.T, c *silenceCase) []lint.Finding {
			c.disable = []string{c.id}
			return c.findings
		},
	},
	{
		name:       "config rules: off",
		documented: func(id, howTo string) bool { return strings.Contains(howTo, "`rules: {"+id+": off}`") },
		apply: func(t *testing.T, c *silenceCase) []lint.Finding {
			c.config = fmt.Sprintf("rules:\n  %s: off\n", c.id)
			return c.findings
		},
	},
	{
		name:       "config path ignore",
		documented: func(id, howTo string) bool { return strings.Contains(howTo, "`path:`") },
		apply: func(t *testing.T, c *silenceCase) []lint.Finding {
			c.config = fmt.Sprintf("ignore:\n  - path: case/**\n    rules: [%s]\n", c.id)
			return c.findings
		},
	},
	{
		name:       "config service ignore",
		documented: func(id, howTo string) bool { return strings.Contains(howTo, "`service:`") },
		apply: func(t *testing.T, c *silenceCase) []lint.Finding {
			var addressed []lint.Finding
			subjects := map[string]bool{}
			for _, f := range c.findings {
				// A finding about a whole file (invalid-file outside any
				// service) has no service to name.
				if f.Subject != filepath.Base(f.Pos.File) {
					subjects[f.Subject] = true
					addressed = append(addressed, f)
				}
			}
			cfg := "ignore:\n"
			for _, s := range sortedKeys(subjects) {
				cfg += fmt.Sprintf("  - service: %q\n    rules: [%s]\n", s, c.id)
			}
			c.config = cfg
			return addressed
		},
	},
}

// TestEveryDocumentedSilencingWorks: for every rule in the registry, each way
// of silencing its page documents silences its bad case's findings.
func TestEveryDocumentedSilencingWorks(t *testing.T) {
	for _, rule := range All() {
		page, err := fs.ReadFile(docs.Rules, "rules/"+rule.ID+".md")
		if err != nil {
			t.Fatalf("%s: %v", rule.ID, err)
		}
		_, howTo, _ := strings.Cut(string(page), "## How to silence it")
		for _, s := range silencers {
			if !s.documented(rule.ID, howTo) {
				continue
			}
			t.Run(rule.ID+"/"+s.name, func(t *testing.T) {
				c := newSilenceCase(t, rule.ID)
				before := c.findings
				if len(before) == 0 {
					t.Fatalf("the bad case has no %s finding", rule.ID)
				}
				addressed := s.apply(t, c)
				if len(addressed) == 0 {
					t.Fatalf("documented, but no finding of the bad case can be silenced this way: add a case it applies to")
				}
				after := c.lint(t)
				if want := len(before) - len(addressed); len(after) != want {
					t.Errorf("%d of %d findings addressed, %d remain, want %d:\n%s", len(addressed), len(before), len(after), want, describe(after))
				}
			})
		}
	}
}

func newSilenceCase(t *testing.T, id string) *silenceCase {
	t.Helper()
	c := &silenceCase{id: id, root: t.TempDir()}
	if err := os.CopyFS(c.dir(), os.DirFS(filepath.Join("testdata", id, "bad"))); err != nil {
		t.Fatal(err)
	}
	c.findings = c.lint(t)
	return c
}

// lint runs the rules as `docker heal lint` does: the config file chooses
// and filters them, --disable removes some.
func (c *silenceCase) lint(t *testing.T) []lint.Finding {
	t.Helper()
	var cfg *lint.Config
	if c.config != "" {
		path := filepath.Join(c.root, lint.ConfigFileName)
		if err := os.WriteFile(path, []byte(c.config), 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if cfg, err = file.Lint(lint.KnownIDs(All())); err != nil {
			t.Fatal(err)
		}
	}
	selected, err := lint.SelectRules(All(), nil, c.disable, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := lint.Run(context.Background(), &lint.Checker{Rules: selected, Config: cfg}, lint.RunOptions{Paths: []string{c.dir()}, Images: fixtureImages(t)})
	if err != nil {
		t.Fatal(err)
	}
	var out []lint.Finding
	for _, f := range res.Findings {
		if f.Rule == c.id {
			out = append(out, f)
		}
	}
	return out
}

// insertLines inserts a line before each of the 1-based lines of file,
// made by text from the line it precedes (or taken from fixed).
func insertLines(t *testing.T, file string, at []int, text func(line string) string, fixed ...map[int]string) {
	t.Helper()
	lines := strings.Split(readText(t, file), "\n")
	sort.Sort(sort.Reverse(sort.IntSlice(at)))
	done := map[int]bool{}
	for _, n := range at {
		if done[n] || n < 1 || n > len(lines)+1 {
			continue
		}
		done[n] = true
		var ins string
		if len(fixed) > 0 {
			ins = fixed[0][n]
		} else if n <= len(lines) {
			ins = text(lines[n-1])
		} else {
			ins = text("")
		}
		lines = append(lines[:n-1], append([]string{ins}, lines[n-1:]...)...)
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// serviceBody finds where a key can be added to service name in a compose
// file: the line of its first key and that key's indentation.
func serviceBody(t *testing.T, file, name string) (int, string, bool) {
	ext := strings.ToLower(filepath.Ext(file))
	if ext != ".yaml" && ext != ".yml" {
		return 0, "", false
	}
	var doc yaml.Node
	if yaml.Unmarshal([]byte(readText(t, file)), &doc) != nil || len(doc.Content) == 0 {
		return 0, "", false
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "services" {
			continue
		}
		svcs := root.Content[i+1]
		for j := 0; j+1 < len(svcs.Content); j += 2 {
			body := svcs.Content[j+1]
			if svcs.Content[j].Value == name && body.Kind == yaml.MappingNode && body.Style&yaml.FlowStyle == 0 && len(body.Content) > 0 {
				first := body.Content[0]
				return first.Line, strings.Repeat(" ", first.Column-1), true
			}
		}
	}
	return 0, "", false
}

func readText(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func leadingSpace(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " \t"))] }

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func describe(fs []lint.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s: %s\n", f.Pos, f.Subject, f.Message)
	}
	return b.String()
}
