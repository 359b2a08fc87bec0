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
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/filelock"
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
//
// A path that is not a regular file (a FIFO, a device, a folder) is an
// error, not a hang: it is opened without blocking and checked before any read.
func ReadState(path string) (*heal.State, error) {
	data, err := readRegular(path, maxStateSize)
	if errors.Is(err, os.ErrNotExist) {
		return heal.NewState(), nil
	}
	if errors.Is(err, errTooLarge) {
		return heal.NewState(), fmt.Errorf("%w: %s: %v", ErrCorruptState, path, err)
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

// maxStateSize bounds a state file: a few hundred bytes a container.
const maxStateSize = 64 << 20

var errTooLarge = errors.New("larger than a state file can be")

// readRegular reads path if it is a regular file of at most limit bytes.
// It opens without blocking, so a FIFO cannot hang the read, never follows a
// symbolic link, and checks the open file, not the name.
func readRegular(path string, limit int64) ([]byte, error) {
	f, err := filelock.Open(path, os.O_RDONLY, 0)
	if err != nil {
		if errors.Is(err, filelock.ErrUnsafe) {
			return nil, fmt.Errorf("%w: pass --state-file with the path of a file", err)
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%d bytes, %w (%d)", fi.Size(), errTooLarge, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("%w (%d)", errTooLarge, limit)
	}
	return data, err
}

// SetAside moves a corrupt state file to path.corrupt-<timestamp>, with a
// -2, -3... suffix when that name is taken (two set aside within a second
// never overwrite each other), and returns the new name.
func SetAside(path string, now time.Time) (string, error) {
	base := fmt.Sprintf("%s.corrupt-%s", path, now.UTC().Format("20060102T150405Z"))
	for n := 1; n <= 1000; n++ {
		aside := base
		if n > 1 {
			aside = fmt.Sprintf("%s-%d", base, n)
		}
		// A hard link never replaces an existing file, unlike a rename.
		err := os.Link(path, aside)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err == nil {
			if err := os.Remove(path); err != nil {
				return "", fmt.Errorf("setting aside corrupt state file %s: %w", path, err)
			}
			return aside, nil
		}
		// No hard links here: rename, to a name checked free (the lock
		// keeps other runs out meanwhile).
		if _, serr := os.Lstat(aside); serr == nil {
			continue
		}
		if err := os.Rename(path, aside); err != nil {
			return "", fmt.Errorf("setting aside corrupt state file %s: %w", path, err)
		}
		return aside, nil
	}
	return "", fmt.Errorf("setting aside corrupt state file %s: 1000 files named %s* already; clean them up", path, base)
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
	if err := filelock.PrepareDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("state folder %s: %w", filepath.Dir(path), err)
	}
	return WriteFileAtomic(path, append(data, '\n'), 0o600)
}

// WriteFileAtomic replaces path with data so readers see the old or the new
// content, never a part. The temporary file is created new (O_EXCL,
// O_NOFOLLOW), and the rename replaces a link at path, never its target.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := filelock.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*", 0o600)
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
	if err := filelock.PrepareDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("state folder %s: %w", filepath.Dir(path), err)
	}
	f, err := filelock.Open(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		locked, err := filelock.TryLock(f)
		if locked {
			return &Lock{f: f}, nil
		}
		if err != nil {
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
