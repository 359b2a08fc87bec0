package lint

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDiffBase(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a"), 0o755)
	r := &FixResult{Files: map[string]FileChange{filepath.Join(root, "b", "compose.yaml"): {}}}
	if got := r.DiffBase(filepath.Join(root, "b"), root); got != filepath.Join(root, "b") {
		t.Errorf("under wd: %q", got)
	}
	if got := r.DiffBase(filepath.Join(root, "a"), root); got != root {
		t.Errorf("beside wd, in the repository: %q, want the root %q", got, root)
	}
	other := &FixResult{Files: map[string]FileChange{"/elsewhere/compose.yaml": {}}}
	if got := other.DiffBase(filepath.Join(root, "a"), root); got != "" {
		t.Errorf("outside the repository: %q, want absolute paths", got)
	}
	if d := other.Diff(""); d != "" {
		t.Errorf("no change, no diff: %q", d)
	}
}

func TestPlanFixesRejectsOverlaps(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, []byte("abcdef"), 0o644)
	fix := func(s, e int, text string) Finding {
		return Finding{Rule: "r" + text, Fix: &Fix{Edits: []Edit{{File: file, Start: s, End: e, Text: text}}}}
	}
	plan, err := PlanFixes([]Finding{
		fix(1, 3, "X"), // bc -> X
		fix(2, 4, "Y"), // overlaps: skipped
		fix(3, 3, "I"), // an insertion at the end of a replaced range: fits
		fix(0, 0, "S"),
		fix(0, 0, "T"), // two insertions at one offset: in order
		fix(1, 3, "X"), // the same edit again: counted once
	}, FixSafe)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(plan.Files[file].New); got != "STaXIdef" {
		t.Errorf("got %q, want STaXIdef", got)
	}
	if plan.Skipped != 1 {
		t.Errorf("skipped %d, want 1", plan.Skipped)
	}
	unsafe := Finding{Rule: "u", Fix: &Fix{Unsafe: true, Edits: []Edit{{File: file, Start: 0, End: 0, Text: "U"}}}}
	if plan, _ := PlanFixes([]Finding{unsafe}, FixSafe); len(plan.Files) != 0 {
		t.Error("an unsafe fix applied without FixUnsafe")
	}
}

func TestWriteFixesRefusesAFileChangedSinceRead(t *testing.T) {
	file := filepath.Join(t.TempDir(), "compose.yaml")
	os.WriteFile(file, []byte("services: {}\n"), 0o600)
	plan, err := PlanFixes([]Finding{{Rule: "r", Fix: &Fix{Edits: []Edit{{File: file, Start: 0, End: 0, Text: "# x\n"}}}}}, FixSafe)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, []byte("services: {}\n# edited meanwhile\n"), 0o600)
	if err := plan.WriteFixes(); err == nil {
		t.Fatal("a file changed since it was read was overwritten")
	}
	os.WriteFile(file, []byte("services: {}\n"), 0o600)
	if err := plan.WriteFixes(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	st, _ := os.Stat(file)
	if string(b) != "# x\nservices: {}\n" || st.Mode().Perm() != 0o600 {
		t.Errorf("written %q, mode %v", b, st.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("files left beside it: %d entries", len(entries))
	}
}

// A file linted through a symlink and by its own name (a walk reaches both)
// is planned and written once: the same fix from both counts once, and the
// write does not trip over its own first write.
func TestPlanFixesOneFileThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "docker-compose.yml")
	link := filepath.Join(dir, "in", "compose.yaml")
	os.MkdirAll(filepath.Dir(real), 0o755)
	os.MkdirAll(filepath.Dir(link), 0o755)
	os.WriteFile(real, []byte("services: {}\n"), 0o644)
	if err := os.Symlink(filepath.Join("..", "real", "docker-compose.yml"), link); err != nil {
		t.Fatal(err)
	}
	fix := func(file string) Finding {
		return Finding{Rule: "r", Fix: &Fix{Edits: []Edit{{File: file, Start: 0, End: 0, Text: "# x\n"}}}}
	}
	plan, err := PlanFixes([]Finding{fix(real), fix(link)}, FixSafe)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Files) != 1 || plan.Applied["r"] != 1 {
		t.Fatalf("planned %d files, %d fixes; want 1 and 1", len(plan.Files), plan.Applied["r"])
	}
	if err := plan.WriteFixes(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(real); string(b) != "# x\nservices: {}\n" {
		t.Errorf("written %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link: %v %v", fi, err)
	}
}
