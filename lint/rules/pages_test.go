package rules

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
)

// pageExample finds the sections, the compose examples of a rule page and
// the .env files (```dotenv blocks) shown with them.
var pageExample = regexp.MustCompile("(?ms)^## ([^\n]*)$|^```(yaml|dotenv)\n(.*?)^```")

// TestRulePageExamplesLoad checks that a user who copies a page's Bad or Good
// compose example gets a file compose loads: the rule's finding, or none,
// never invalid-file for a mistake of the page (an undeclared volume, a typo).
// A variable an example requires (${X:?...}) is not set by the test: the
// page must show the .env that sets it (a ```dotenv block before the
// example, in its section), which is written beside the compose file.
func TestRulePageExamplesLoad(t *testing.T) {
	required := regexp.MustCompile(`\$\{(\w+):\?`)
	for _, r := range All() {
		if r.ID == lint.InvalidFileRule {
			continue // its Bad examples are meant not to load
		}
		page, err := os.ReadFile(filepath.Join("..", "..", "docs", "rules", r.ID+".md"))
		if err != nil {
			continue // TestEveryRuleHasDocsAndCases reports it
		}
		section, dotenv := "", ""
		for i, m := range pageExample.FindAllStringSubmatch(string(page), -1) {
			if m[1] != "" {
				section, dotenv = m[1], ""
				continue
			}
			if m[2] == "dotenv" {
				dotenv = m[3]
				continue
			}
			example := m[3]
			if (section != "Bad" && section != "Good") || !strings.Contains(example, "services:") {
				dotenv = ""
				continue
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(path, []byte(example), 0o644); err != nil {
				t.Fatal(err)
			}
			if dotenv != "" {
				if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			dotenv = ""
			for _, v := range required.FindAllStringSubmatch(example, -1) {
				t.Setenv(v[1], "") // restored after the test
				os.Unsetenv(v[1])
			}
			if _, err := lint.LoadProject(context.Background(), lint.ProjectOptions{ConfigFiles: []string{path}}); err != nil {
				t.Errorf("docs/rules/%s.md, %s example %d: compose cannot load it: %v", r.ID, section, i, err)
				continue
			}
			if section != "Good" {
				continue
			}
			res, err := lint.Run(context.Background(), &lint.Checker{Rules: []lint.Rule{r}}, lint.RunOptions{Paths: []string{dir}, Images: fixtureImages(t)})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Findings {
				t.Errorf("docs/rules/%s.md, Good example %d: %s at %d: %s", r.ID, i, f.Rule, f.Pos.Line, f.Message)
			}
		}
	}
}
