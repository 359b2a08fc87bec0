package heal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// StateVersion is the schema version written in every state file.
const StateVersion = 1

// Restart results as kept in state and in docker_heal_restarts_total.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// State is what docker heal remembers between runs, keyed by container id.
type State struct {
	Version    int               `json:"version"`
	UpdatedAt  time.Time         `json:"updated_at,omitzero"`
	Containers map[string]*Entry `json:"containers"`
}

// Entry is the memory of one container.
type Entry struct {
	Name    string `json:"name"` // for humans; the key is the id
	Project string `json:"project,omitempty"`
	Service string `json:"service,omitempty"`
	// FirstSeenUnhealthy starts the current unhealthy episode.
	FirstSeenUnhealthy time.Time `json:"first_seen_unhealthy,omitzero"`
	// HealthySince is when the container was first seen not unhealthy after
	// being tracked; an open circuit closes after a window of it.
	HealthySince    time.Time        `json:"healthy_since,omitzero"`
	Restarts        []RestartRecord  `json:"restarts,omitempty"`
	BackoffUntil    time.Time        `json:"backoff_until,omitzero"`
	CircuitOpen     bool             `json:"circuit_open,omitempty"`
	CircuitOpenedAt time.Time        `json:"circuit_opened_at,omitzero"`
	Notified        map[string]bool  `json:"notified,omitempty"` // event -> sent in this episode
	RestartsTotal   map[string]int64 `json:"restarts_total,omitempty"`
}

// RestartRecord is one restart (or stop) attempt.
type RestartRecord struct {
	Time   time.Time `json:"time"`
	Action Action    `json:"action"`
	Result string    `json:"result"`
	Error  string    `json:"error,omitempty"`
	Cause  string    `json:"cause,omitempty"` // "dependent of web" for dependents
}

// NewState returns an empty state.
func NewState() *State { return &State{Version: StateVersion, Containers: map[string]*Entry{}} }

// Entry returns the entry for a container, or nil.
func (s *State) Entry(id string) *Entry {
	if s == nil {
		return nil
	}
	return s.Containers[id]
}

// entryFor returns the entry for c, creating it.
func (s *State) entryFor(c Container) *Entry {
	e := s.Containers[c.ID]
	if e == nil {
		e = &Entry{}
		s.Containers[c.ID] = e
	}
	e.Name, e.Project, e.Service = c.Name, c.Project, c.Service
	return e
}

// RestartsIn counts attempts since now-window.
func (e *Entry) RestartsIn(window time.Duration, now time.Time) int {
	if e == nil {
		return 0
	}
	n := 0
	for _, r := range e.Restarts {
		if r.Time.After(now.Add(-window)) && !r.Time.After(now) {
			n++
		}
	}
	return n
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
func ReadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return NewState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	st := &State{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(st); err != nil {
		return NewState(), fmt.Errorf("%w: %s: %v", ErrCorruptState, path, err)
	}
	if st.Version != StateVersion {
		return NewState(), fmt.Errorf("%w: %s: schema version %d, this docker-heal reads %d", ErrCorruptState, path, st.Version, StateVersion)
	}
	if st.Containers == nil {
		st.Containers = map[string]*Entry{}
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
func LoadState(path string, now time.Time, warn func(msg string, args ...any)) (*State, error) {
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

// Save writes the state atomically: a temporary file in the same folder,
// fsync, rename over the old one, fsync the folder. Mode 0600.
func (s *State) Save(path string, now time.Time) error {
	s.Version = StateVersion
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

// Prune drops entries of containers that no longer exist (exists is every
// container the engine knows, stopped ones included) and entries of living
// containers that carry nothing worth remembering.
func (s *State) Prune(exists map[string]bool, pol Policy, now time.Time) (removed []string) {
	for id, e := range s.Containers {
		if !exists[id] {
			removed = append(removed, id)
			delete(s.Containers, id)
			continue
		}
		// Forget attempts older than the window: they no longer count.
		kept := e.Restarts[:0]
		for _, r := range e.Restarts {
			if r.Time.After(now.Add(-pol.Window)) {
				kept = append(kept, r)
			}
		}
		e.Restarts = kept
		if e.FirstSeenUnhealthy.IsZero() && !e.CircuitOpen && len(e.Restarts) == 0 &&
			!e.BackoffUntil.After(now) && len(e.RestartsTotal) == 0 {
			removed = append(removed, id)
			delete(s.Containers, id)
		}
	}
	sort.Strings(removed)
	return removed
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
