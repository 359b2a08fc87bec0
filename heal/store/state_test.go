package store

import (
	"github.com/docker-heal/docker-heal/heal"

	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.json")
	st := heal.NewState()
	st.Containers["abc"] = &heal.Entry{Name: "web", FirstSeenUnhealthy: t0, Restarts: restarts(t0), BackoffUntil: t0.Add(time.Minute),
		CircuitOpen: true, CircuitOpenedAt: t0, Notified: map[string]bool{heal.EventCircuitOpened: true}, RestartsTotal: map[string]int64{heal.ResultSuccess: 2}}
	if err := SaveState(path, st, t0); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("state folder mode %v, want 0700", di.Mode().Perm())
	}
	got, err := ReadState(path)
	if err != nil {
		t.Fatal(err)
	}
	e := got.Containers["abc"]
	if got.Version != heal.StateVersion || e == nil || e.Name != "web" || !e.CircuitOpen || e.RestartsTotal[heal.ResultSuccess] != 2 ||
		!e.BackoffUntil.Equal(t0.Add(time.Minute)) || len(e.Restarts) != 1 || !e.Notified[heal.EventCircuitOpened] {
		t.Errorf("round trip lost something: %+v", e)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".state.json.tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestReadStateMissingIsFresh(t *testing.T) {
	st, err := ReadState(filepath.Join(t.TempDir(), "none.json"))
	if err != nil || st == nil || len(st.Containers) != 0 {
		t.Fatalf("got %v, %v", st, err)
	}
}

func TestCorruptStateIsSetAside(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":       "{not json",
		"truncated":     `{"version":1,"containers":{"a":{"name":`,
		"wrong version": `{"version":99,"containers":{}}`,
		"wrong type":    `{"version":1,"containers":[1,2]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadState(path); !errors.Is(err, ErrCorruptState) {
				t.Fatalf("ReadState: %v, want ErrCorruptState", err)
			}
			var warned string
			st, err := LoadState(path, t0, func(msg string, args ...any) { warned = msg })
			if err != nil || st == nil || len(st.Containers) != 0 {
				t.Fatalf("LoadState: %v, %v", st, err)
			}
			if warned == "" {
				t.Error("no warning")
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("set aside: %v", aside)
			}
			if b, _ := os.ReadFile(aside[0]); string(b) != content {
				t.Error("the corrupt content was not kept")
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Error("corrupt file still in place")
			}
		})
	}
}

func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json.lock")
	ctx := context.Background()
	first, err := AcquireLock(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireLock(ctx, path, 0); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := AcquireLock(ctx, path, 0)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}

func TestLockWaitsForRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json.lock")
	ctx := context.Background()
	first, err := AcquireLock(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		l, err := AcquireLock(ctx, path, time.Minute)
		if err == nil {
			l.Release()
		}
		got <- err
	}()
	first.Release()
	if err := <-got; err != nil {
		t.Fatalf("waiting lock: %v", err)
	}
}

func TestLockFolderUnusable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	_, err := AcquireLock(context.Background(), filepath.Join(file, "state.json.lock"), 0)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("got %v, want an error naming %s", err, file)
	}
}

func TestDefaultStatePath(t *testing.T) {
	p, err := DefaultStatePath()
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if p != "/var/lib/docker-heal/state.json" {
			t.Errorf("root: %s", p)
		}
		return
	}
	t.Setenv("XDG_STATE_HOME", "/x/state")
	if p, _ := DefaultStatePath(); p != "/x/state/docker-heal/state.json" {
		t.Errorf("xdg: %s", p)
	}
}
