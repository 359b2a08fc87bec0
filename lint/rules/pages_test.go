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

// pageExample finds the sections and the compose examples of a rule page.
var pageExample = regexp.MustCompile("(?ms)^## ([^\n]*)$|^```yaml\n(.*?)^```")

// TestRulePageExamplesLoad checks that a user who copies a page's Bad or Good
// compose example gets a file compose loads: the rule's finding, or none,
// never invalid-file for a mistake of the page (an undeclared volume, a typo).
// An example that requires a variable (${X:?...}) needs it set, as a user would.
func TestRulePageExamplesLoad(t *testing.T) {
	for _, r := range All() {
		if r.ID == lint.InvalidFileRule {
			continue // its Bad examples are meant not to load
		}
		page, err := os.ReadFile(filepath.Join("..", "..", "docs", "rules", r.ID+".md"))
		if err != nil {
			continue // TestEveryRuleHasDocsAndCases reports it
		}
		section := ""
		for i, m := range pageExample.FindAllStringSubmatch(string(page), -1) {
			if m[1] != "" {
				section = m[1]
				continue
			}
			if (section != "Bad" && section != "Good") || !strings.Contains(m[2], "services:") {
				continue
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(path, []byte(m[2]), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, v := range regexp.MustCompile(`\$\{(\w+):\?`).FindAllStringSubmatch(m[2], -1) {
				t.Setenv(v[1], "/set-by-the-test")
			}
			if _, err := lint.LoadProject(context.Background(), lint.ProjectOptions{ConfigFiles: []string{path}}); err != nil {
				t.Errorf("docs/rules/%s.md, %s example %d: compose cannot load it: %v", r.ID, section, i, err)
			}
		}
	}
}
