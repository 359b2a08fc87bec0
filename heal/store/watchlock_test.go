package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/internal/filelock"
)

// Issue 18: state.json.watch is truncated and written with watch's pid: a
// link another user put there must not make it overwrite the link's target.
func TestWatchLockIsNeverWrittenThroughALink(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	path := WatchLockPath(state)
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	release, err := LockWatch(state)
	if err == nil {
		release()
	}
	if !errors.Is(err, filelock.ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("watch lock through a link: %v, want a refusal naming the link", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the link's target was overwritten: %q", b)
	}
	// A plain folder of ours works.
	release, err = LockWatch(filepath.Join(dir, "other.json"))
	if err != nil {
		t.Fatal(err)
	}
	release()
}
