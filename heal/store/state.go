// Package store holds the writers of docker heal's rounds: the state file
// and its lock, the audit log, the metrics textfile and the webhooks. They
// implement the small interfaces of heal.Runner; heal itself writes nothing.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

// File is the state file as a heal.StateStore. The caller holds the lock
// (AcquireLock) around the rounds that Save.
type File struct {
	Path string
	// ReadOnly never sets a corrupt file aside and never saves: a dry run
	// changes nothing, not even a corrupt file.
	ReadOnly bool
	Log      *slog.Logger
}

// Load reads the state; a corrupt file is set aside (or, read-only, planned
// from as if empty), with a warning.
func (f *File) Load(_ context.Context, now time.Time) (*heal.State, error) {
	log := f.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if f.ReadOnly {
		st, err := ReadState(f.Path)
		if errors.Is(err, ErrCorruptState) {
			log.Warn("state file is unreadable; planning as if it were empty", "error", err.Error())
			err = nil
		}
		return st, err
	}
	return LoadState(f.Path, now, log.Warn)
}

// Save writes the state atomically.
func (f *File) Save(_ context.Context, st *heal.State, now time.Time) error {
	if f.ReadOnly {
		return nil
	}
	return SaveState(f.Path, st, now)
}

// DefaultStatePath is /var/lib/docker-heal/state.json for root, else
// $XDG_STATE_HOME/docker-heal/state.json (~/.local/state when unset).
func DefaultStatePath() (string, error) {
	if os.Geteuid() == 0 {
		return "/var/lib/docker-heal/state.json", nil
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no state folder: $XDG_STATE_HOME and $HOME are unset; pass --state-file")
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "docker-heal", "state.json"), nil
}

// ReadState reads a state file. A missing file is a fresh state. A file that
// is not valid state returns a fresh state and ErrCorruptState (wrapped), so
// callers can set it aside and carry on: a bad file never blocks healing.
func ReadState(path string) (*heal.State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return heal.NewState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	st := &heal.State{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(st); err != nil {
		return heal.NewState(), fmt.Errorf("%w: %s: %v", ErrCorruptState, path, err)
	}
	if st.Version != heal.StateVersion {
		return heal.NewState(), fmt.Errorf("%w: %s: schema version %d, this docker-heal reads %d", ErrCorruptState, path, st.Version, heal.StateVersion)
	}
	if st.Containers == nil {
		st.Containers = map[string]*heal.Entry{}
	}
	for id, e := range st.Containers {
		if e == nil {
			delete(st.Containers, id)
		}
	}
	return st, nil
}

// ErrCorruptState marks a state file that could not be read as state.
var ErrCorruptState = errors.New("corrupt state file")

// SetAside renames a corrupt state file to path.corrupt-<timestamp> and
// returns the new name.
func SetAside(path string, now time.Time) (string, error) {
	aside := fmt.Sprintf("%s.corrupt-%s", path, now.UTC().Format("20060102T150405Z"))
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("setting aside corrupt state file %s: %w", path, err)
	}
	return aside, nil
}

// LoadState reads the state file for a run that will write it back: a
// corrupt file is set aside, and warn is told where it went.
func LoadState(path string, now time.Time, warn func(msg string, args ...any)) (*heal.State, error) {
	st, err := ReadState(path)
	if errors.Is(err, ErrCorruptState) {
		aside, rerr := SetAside(path, now)
		if rerr != nil {
			return nil, rerr
		}
		warn("state file was unreadable; set it aside and starting with fresh state", "error", err.Error(), "moved_to", aside)
		return st, nil
	}
	return st, err
}

// SaveState writes the state atomically: a temporary file in the same
// folder, fsync, rename over the old one, fsync the folder. Mode 0600.
func SaveState(path string, s *heal.State, now time.Time) error {
	s.Version = heal.StateVersion
	s.UpdatedAt = now.UTC()
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("state folder %s: %w", filepath.Dir(path), err)
	}
	return WriteFileAtomic(path, append(data, '\n'), 0o600)
}

// WriteFileAtomic replaces path with data so readers see the old or the new
// content, never a part.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		// Make the rename itself durable; some filesystems refuse, which is fine.
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Lock is an exclusive flock on a sibling file of the state file; it keeps
// two overlapping runs from both acting.
type Lock struct{ f *os.File }

// ErrLocked means another run holds the lock.
var ErrLocked = errors.New("another docker heal run holds the lock")

// AcquireLock takes the lock at path (state file + ".lock"), waiting up to
// timeout (0: try once). It returns ErrLocked when the wait ran out.
func AcquireLock(ctx context.Context, path string, timeout time.Duration) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state folder %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &Lock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock file %s: %w", path, err)
		}
		if !time.Now().Before(deadline) {
			f.Close()
			return nil, fmt.Errorf("%w (%s)", ErrLocked, path)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Release drops the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}
