//go:build unix

package lint

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func planInsert(t *testing.T, file string) *FixResult {
	t.Helper()
	plan, err := PlanFixes([]Finding{{Rule: "r", Fix: &Fix{Edits: []Edit{{File: file, Start: 0, End: 0, Text: "# x\n"}}}}}, FixSafe)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// A read-only file is not replaced behind its owner's back, even by root
// (the rename needs only the folder to be writable).
func TestWriteFixesRefusesAReadOnlyFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(file, []byte("services: {}\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	err := planInsert(t, file).WriteFixes()
	if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), file) {
		t.Fatalf("read-only file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "services: {}\n" {
		t.Errorf("read-only file written: %q", b)
	}
}

// Root fixing a user's file leaves it the user's.
func TestWriteFixesKeepsTheOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file another owner")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte("services: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(file, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := planInsert(t, file).WriteFixes(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if sys.Uid != 65534 || sys.Gid != 65534 {
		t.Errorf("owner after the fix: %d:%d, want 65534:65534", sys.Uid, sys.Gid)
	}
	if b, _ := os.ReadFile(file); string(b) != "# x\nservices: {}\n" {
		t.Errorf("written %q", b)
	}
}
