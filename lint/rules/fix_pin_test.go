package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
)

// image-unpinned's fix pins to the digest the engine recorded for the tag,
// in compose and in a FROM, and only when one is known.
func TestImageUnpinnedFixPinsToTheRecordedDigest(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	compose := write("compose.yaml", "services:\n  cache:\n    image: \"redis:latest\"  # the cache\n  other:\n    image: busybox\n")
	dockerfile := write("Dockerfile", "FROM redis:latest AS base\nFROM busybox\nCMD [\"true\"]\n")
	images := lint.StaticImages{
		"redis:latest": {Source: "redis:latest", OS: "linux", RepoDigest: digest},
		"busybox":      {Source: "busybox", OS: "linux"}, // inspected, no digest recorded
	}
	checker := &lint.Checker{Rules: []lint.Rule{ImageUnpinned}}
	res, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{compose, dockerfile}, Images: images})
	if err != nil {
		t.Fatal(err)
	}
	safe, err := lint.PlanFixes(res.Findings, lint.FixSafe)
	if err != nil || len(safe.Files) != 0 {
		t.Fatalf("safe fixes pin images: %v %v", safe.Files, err)
	}
	plan, err := lint.PlanFixes(res.Findings, lint.FixUnsafe)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(plan.Files[compose].New), "services:\n  cache:\n    image: \"redis:latest@"+digest+"\"  # the cache\n  other:\n    image: busybox\n"; got != want {
		t.Errorf("compose:\n%s\nwant:\n%s", got, want)
	}
	if got, want := string(plan.Files[dockerfile].New), "FROM redis:latest@"+digest+" AS base\nFROM busybox\nCMD [\"true\"]\n"; got != want {
		t.Errorf("Dockerfile:\n%s\nwant:\n%s", got, want)
	}
	if n := plan.Applied[ImageUnpinned.ID]; n != 2 {
		t.Errorf("%d pins, want 2 (busybox has no recorded digest): %s", n, strings.Join(keys(plan.Files), ", "))
	}
}

func keys(m map[string]lint.FileChange) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
