package rules

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
)

var update = flag.Bool("update", false, "rewrite testdata/<rule-id>/bad.golden from the current output")

// lintCase lints one testdata case folder the way `docker heal lint DIR` does
// (every compose project and Dockerfile in it, with all rules) and renders
// the findings of one rule, one line each, paths relative to the rule's folder.
func lintCase(t *testing.T, ruleDir, caseDir, id string) string {
	t.Helper()
	abs, err := filepath.Abs(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := lint.Run(context.Background(), &lint.Checker{Rules: All()}, lint.RunOptions{Paths: []string{abs}, Images: fixtureImages(t)})
	if err != nil {
		t.Fatalf("lint %s: %v", caseDir, err)
	}
	// Every fixture must be linted: one the walk skips (a misspelt name, a
	// folder it does not enter) would let the case pass for the wrong reason.
	linted := map[string]bool{}
	for _, f := range res.Files {
		linted[f] = true
	}
	err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		name := d.Name()
		if lint.IsComposeName(name) || lint.IsDockerfileName(name) || strings.HasSuffix(name, ".Dockerfile") {
			if !linted[path] {
				t.Errorf("%s: fixture %s was not linted (not found by the walk?)", caseDir, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", caseDir, err)
	}
	base, _ := filepath.Abs(ruleDir)
	res.Relativize(base)
	var b strings.Builder
	for _, f := range res.Findings {
		// A case that does not parse would pass for the wrong reason.
		if f.Rule == InvalidFile.ID && id != InvalidFile.ID {
			t.Errorf("%s does not load: %s: %s", caseDir, f.Pos, f.Message)
		}
		if f.Rule != id {
			continue
		}
		fmt.Fprintf(&b, "%s:%d:%d %s %s %s: %s\n", filepath.ToSlash(f.Pos.File), f.Pos.Line, f.Pos.Col, f.Severity, f.Rule, f.Subject, f.Message)
	}
	// The checks the rule could not run (an image nobody inspected) are part
	// of its answer: they must stay not-run, never turn into findings.
	for _, n := range res.NotChecked {
		if n.Rule == id {
			fmt.Fprintf(&b, "%s:%d:%d not-checked %s %s: %s %s\n", filepath.ToSlash(n.Pos.File), n.Pos.Line, n.Pos.Col, n.Rule, n.Subject, n.Reason, n.What)
		}
	}
	return b.String()
}

// fixtureImages are the configs of the example/* images the cases run or
// build FROM, as an image lookup would find them; any other image is one
// that was not inspected.
func fixtureImages(t *testing.T) lint.StaticImages {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "images.json"))
	if err != nil {
		t.Fatal(err)
	}
	var images lint.StaticImages
	if err := json.Unmarshal(src, &images); err != nil {
		t.Fatalf("testdata/images.json: %v", err)
	}
	return images
}

// hedgeRe finds a finding that guesses: lint states facts, or nothing (what
// it cannot decide is reported as not checked, never as a finding).
var hedgeRe = regexp.MustCompile(`not inspected|\bmay |\bif it |\bmight\b|\bpossibly\b`)

// TestNoFindingHedges: no bad case's finding says something "may" be so.
func TestNoFindingHedges(t *testing.T) {
	for _, rule := range All() {
		src, err := os.ReadFile(filepath.Join("testdata", rule.ID, "bad.golden"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			if strings.Contains(line, " not-checked ") {
				continue
			}
			if m := hedgeRe.FindString(line); m != "" {
				t.Errorf("%s: a finding hedges (%q): %s", rule.ID, m, line)
			}
		}
	}
}

// TestGolden runs every rule's bad and good case: the bad case's findings for
// that rule must match bad.golden and be at least one; the good case must
// have none.
func TestGolden(t *testing.T) {
	for _, rule := range All() {
		t.Run(rule.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", rule.ID)
			golden := filepath.Join(dir, "bad.golden")
			got := lintCase(t, dir, filepath.Join(dir, "bad"), rule.ID)
			if !strings.Contains(got, " "+rule.ID+" ") || strings.Count(got, "\n") == strings.Count(got, " not-checked ") {
				t.Errorf("the bad case gives no %s finding", rule.ID)
			}
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("bad case, %s differs:\n--- got\n%s--- want\n%s", golden, got, want)
			}
			// A good case may leave checks not run (an image not inspected),
			// never give a finding.
			var findings []string
			for _, line := range strings.SplitAfter(lintCase(t, dir, filepath.Join(dir, "good"), rule.ID), "\n") {
				if line != "" && !strings.Contains(line, " not-checked ") {
					findings = append(findings, line)
				}
			}
			if len(findings) > 0 {
				t.Errorf("the good case gives findings:\n%s", strings.Join(findings, ""))
			}
		})
	}
}
