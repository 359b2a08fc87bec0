package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// bomb is a billion-laughs document: level n is ten aliases of level n-1,
// so expanding its top means 10^levels nodes. indent places it under a key.
func bomb(levels int, indent string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sl0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n", indent)
	for i := 1; i <= levels; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 10), ",")
		fmt.Fprintf(&b, "%sl%d: &l%d [%s]\n", indent, i, i, refs)
	}
	return b.String()
}

// Alias bombs and unknown keys are refused with file:line, at once: the
// loader never expands what it does not know.
func TestLoadRefusesAliasBombs(t *testing.T) {
	cases := map[string]string{
		"top level":             bomb(12, "") + "heal:\n  all: *l12\n",
		"under heal":            "heal:\n" + bomb(12, "  "),
		"as webhooks":           "x-anchors: &w " + "[\"a\"]\n" + "heal:\n  webhooks: [" + strings.TrimSuffix(strings.Repeat("*w,", 50), ",") + "]\n",
		"as ignore rules":       "ignore:\n  - path: a\n    rules: &r0 [x, x, x, x, x, x, x, x, x, x]\n  - path: b\n    rules: &r1 [*r0, *r0, *r0, *r0, *r0, *r0, *r0, *r0, *r0, *r0]\n  - path: c\n    rules: [*r1, *r1, *r1, *r1, *r1, *r1, *r1, *r1, *r1, *r1]\n",
		"merge key of a bomb":   "heal:\n  <<: &m {all: true}\n",
		"unknown key with bomb": "heal:\n  all: true\n  extra: &e [a, a, a]\n  more: [*e, *e, *e]\n",
	}
	lineRef := regexp.MustCompile(`\.docker-heal\.yaml:\d+`)
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".docker-heal.yaml")
			if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := Load(path)
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Fatalf("accepted:\n%s", doc)
				}
				if !lineRef.MatchString(err.Error()) {
					t.Errorf("error does not name file:line: %v", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("Load hangs on an alias bomb")
			}
		})
	}
}
