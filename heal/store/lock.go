package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker-heal/docker-heal/internal/filelock"
)

// The locks beside a state file are named here, and only here.

// LockPath is the round lock of the state file at statePath: every round
// (once, watch, reset) holds it while it reads and writes the state.
func LockPath(statePath string) string { return statePath + ".lock" }

// WatchLockPath is the lock one watch holds for its whole life, so that a
// second watch on the same state file refuses to start.
func WatchLockPath(statePath string) string { return statePath + ".watch" }

// LockRounds takes the round lock of the state file at statePath, waiting
// up to timeout (0: try once). It returns ErrLocked when the wait ran out.
func LockRounds(ctx context.Context, statePath string, timeout time.Duration) (*Lock, error) {
	return AcquireLock(ctx, LockPath(statePath), timeout)
}

// ErrWatchRunning is what a second watch on the same state file gets.
var ErrWatchRunning = errors.New("another docker heal watch is running")

// LockWatch makes sure of one watch per state file: it holds a flock on
// WatchLockPath for the watch's lifetime and writes its pid and host there,
// so a second one can name the first.
func LockWatch(statePath string) (release func(), err error) {
	path := WatchLockPath(statePath)
	if err := filelock.PrepareDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("state folder %s: %w", filepath.Dir(path), err)
	}
	// Never through a link: it is truncated and written below.
	f, err := filelock.Open(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("watch lock %s: %w", path, err)
	}
	if locked, err := filelock.TryLock(f); !locked || err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 200))
		f.Close()
		return nil, watchRunningError(path, strings.TrimSpace(string(holder)))
	}
	host, _ := os.Hostname()
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+" on "+host+"\n"), 0)
	return func() { f.Close() }, nil
}

func watchRunningError(path, holder string) error {
	if holder == "" {
		holder = "unknown pid"
	}
	return fmt.Errorf("%w on this state file (%s, lock %s): stop it first, or give this one its own --state-file", ErrWatchRunning, holder, path)
}
