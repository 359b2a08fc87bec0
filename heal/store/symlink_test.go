package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/filelock"
)

// Issue 18: in a folder another user can write to, they make state.json,
// state.json.lock and audit.jsonl links to files of ours; docker heal (root)
// must not create, truncate, overwrite or append to the targets.
func TestStateFilesAreNeverWrittenThroughLinks(t *testing.T) {
	victims := t.TempDir()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	const precious = "precious\n"
	target := func(name string) string {
		p := filepath.Join(victims, name)
		if err := os.WriteFile(p, []byte(precious), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(name, to string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	statePath := link("state.json", target("passwd"))
	lockPath := link("state.json.lock", filepath.Join(victims, "created-by-lock")) // dangling: O_CREAT would make it
	auditPath := link("audit.jsonl", target("shadow"))
	hardTarget := target("hard")
	hardPath := filepath.Join(dir, "hard.jsonl")
	if err := os.Link(hardTarget, hardPath); err != nil {
		t.Fatal(err)
	}

	err := SaveState(statePath, heal.NewState(), t0)
	if err != nil {
		t.Fatalf("SaveState over a link: %v (the rename replaces the link itself)", err)
	}
	if fi, err := os.Lstat(statePath); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("state.json is still a link after the save: %v", err)
	}
	if _, err := ReadState(filepath.Join(dir, "state.json")); err != nil {
		t.Errorf("reading back: %v", err)
	}
	link("state2.json", filepath.Join(victims, "passwd"))
	if _, err := ReadState(filepath.Join(dir, "state2.json")); !errors.Is(err, filelock.ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("ReadState of a link: %v, want a refusal naming the link", err)
	}
	if _, err := AcquireLock(context.Background(), lockPath, 0); !errors.Is(err, filelock.ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("AcquireLock through a link: %v, want a refusal naming the link", err)
	}
	recs := []heal.AuditRecord{{Container: "evil", Error: "root::0:0::/:/bin/sh"}}
	if err := AppendAudit(auditPath, recs); !errors.Is(err, filelock.ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("AppendAudit through a link: %v, want a refusal", err)
	}
	if err := AppendAudit(hardPath, recs); !errors.Is(err, filelock.ErrUnsafe) || !strings.Contains(err.Error(), "hard links") {
		t.Errorf("AppendAudit to a hard link: %v, want a refusal", err)
	}
	for _, name := range []string{"passwd", "shadow", "hard"} {
		if b, err := os.ReadFile(filepath.Join(victims, name)); err != nil || string(b) != precious {
			t.Errorf("%s was changed: %q %v", name, b, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(victims, "created-by-lock")); err == nil {
		t.Error("the lock created the file its link points to")
	}
}

// A state folder every user can write to is refused, saying why, unless it
// is sticky and ours; one that is ours and private is fine.
func TestStateFolderWritableByOthersIsRefused(t *testing.T) {
	base := t.TempDir()
	for _, tc := range []struct {
		mode os.FileMode
		ok   bool
		why  string
	}{
		{0o700, true, ""},
		{0o755, true, ""},
		{0o777, false, "writable by every user and not sticky"},
		{0o777 | os.ModeSticky, true, ""}, // ours and sticky: others cannot replace our files
	} {
		dir := filepath.Join(base, tc.mode.String())
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, tc.mode); err != nil {
			t.Fatal(err)
		}
		state := filepath.Join(dir, "state.json")
		lock, err := AcquireLock(context.Background(), state+".lock", 0)
		if err == nil {
			lock.Release()
		}
		serr := SaveState(state, heal.NewState(), t0)
		for what, err := range map[string]error{"AcquireLock": err, "SaveState": serr} {
			switch {
			case tc.ok && err != nil:
				t.Errorf("%s in a %s folder: %v", what, tc.mode, err)
			case !tc.ok && (!errors.Is(err, filelock.ErrUnsafe) || !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), dir)):
				t.Errorf("%s in a %s folder: %v, want a refusal saying %q", what, tc.mode, err, tc.why)
			}
		}
	}
}

// Folders owned by another user or writable by another group (needs root to
// make them).
func TestStateFolderOfAnotherUserIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making a folder owned by another user needs root")
	}
	base := t.TempDir()
	for _, tc := range []struct {
		mode     os.FileMode
		uid, gid int
		why      string
	}{
		{0o777 | os.ModeSticky, 65534, 0, "owned by uid 65534, not us"},
		{0o770, 0, 65534, "writable by group 65534, not ours"},
	} {
		dir := filepath.Join(base, tc.why[:8])
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, tc.uid, tc.gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := AcquireLock(context.Background(), filepath.Join(dir, "state.json.lock"), 0)
		if !errors.Is(err, filelock.ErrUnsafe) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%s: %v, want a refusal saying %q", dir, err, tc.why)
		}
	}
}
