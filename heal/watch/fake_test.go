package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

// fakeEngine is a heal.Engine over a map, recording calls. Its containers
// stay as they are: the tests drive health themselves.
type fakeEngine struct {
	mu         sync.Mutex
	containers map[string]heal.Container
	calls      []string
	// hang makes List block until its context ends (an engine that hangs,
	// as dockerd stopped with SIGSTOP does).
	hang bool
}

func newFake(cs ...heal.Container) *fakeEngine {
	e := &fakeEngine{containers: map[string]heal.Container{}}
	for _, c := range cs {
		e.containers[c.ID] = c
	}
	return e
}

func (e *fakeEngine) record(call string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, call)
}

func (e *fakeEngine) List(ctx context.Context, opts heal.ListOptions) ([]heal.Container, error) {
	e.record("list")
	e.mu.Lock()
	hang := e.hang
	e.mu.Unlock()
	if hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []heal.Container
	for _, c := range e.containers {
		if h := opts.Filters["health"]; len(h) > 0 && c.Health != h[0] {
			continue
		}
		c.Inspected = false
		out = append(out, c)
	}
	return out, nil
}

func (e *fakeEngine) Inspect(_ context.Context, id string) (heal.Container, error) {
	e.record("inspect " + id)
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[id]
	if !ok {
		return c, heal.ErrNotFound
	}
	c.Inspected = true
	return c, nil
}

func (e *fakeEngine) Restart(_ context.Context, id string, _ time.Duration) error {
	e.record("restart " + id)
	return nil
}

func (e *fakeEngine) Stop(_ context.Context, id string, _ time.Duration) error {
	e.record("stop " + id)
	return nil
}

func (e *fakeEngine) WatchStops(context.Context, string) (func(bool) int, error) {
	return nil, heal.ErrStopsUnwatched
}

func (e *fakeEngine) setHealth(id, health string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[id]
	c.Health = health
	e.containers[id] = c
}

func (e *fakeEngine) count(prefix string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (e *fakeEngine) callLog() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.calls, "\n")
}

// memStore is a heal.StateStore in memory.
type memStore struct {
	mu    sync.Mutex
	st    *heal.State
	saved *heal.State
}

func (m *memStore) Load(context.Context, time.Time) (*heal.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st == nil {
		m.st = heal.NewState()
	}
	return m.st, nil
}

// Save keeps a copy of what was saved, for savedEntry.
func (m *memStore) Save(_ context.Context, st *heal.State, _ time.Time) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	saved := heal.NewState()
	if err := json.Unmarshal(raw, saved); err != nil {
		return err
	}
	m.mu.Lock()
	m.saved = saved
	m.mu.Unlock()
	return nil
}

// savedEntry is the entry of id as last saved: read while a round runs.
func (m *memStore) savedEntry(id string) *heal.Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.saved.Entry(id)
}

func (m *memStore) entry(id string) *heal.Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st == nil {
		return nil
	}
	return m.st.Entry(id)
}

// fakeEvents is a Follower the test feeds by hand.
type fakeEvents struct{ ch chan heal.EngineEvent }

func (f *fakeEvents) Follow(ctx context.Context, _ heal.FollowOptions, out chan<- heal.EngineEvent) {
	defer close(out)
	for {
		select {
		case ev := <-f.ch:
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the watcher's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func sick(name string) heal.Container {
	return heal.Container{ID: "id-" + name, Name: name, State: "running", Health: heal.HealthUnhealthy, FailingStreak: 4,
		StartedAt: time.Now().Add(-time.Hour), Labels: map[string]string{heal.LabelEnable: "true"},
		Probes: []heal.Probe{{ExitCode: 1, Output: "connection refused"}}}
}

// eventually polls cond (no timing is asserted; the bound only stops a hang).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type run struct {
	w      *Watcher
	cancel context.CancelFunc
	done   chan error
	events *fakeEvents
	log    *syncBuffer
	store  *memStore
}

// start runs a Watcher over e with policy pol (resync an hour unless
// changed by adjust).
func start(t *testing.T, e heal.Engine, pol heal.Policy, adjust ...func(*Config)) *run {
	t.Helper()
	r := &run{done: make(chan error, 1), events: &fakeEvents{ch: make(chan heal.EngineEvent)}, log: &syncBuffer{}, store: &memStore{}}
	log := slog.New(slog.NewTextHandler(r.log, nil))
	cfg := Config{Runner: &heal.Runner{Engine: e, Store: r.store, Policy: pol, Log: log}, Events: r.events, Resync: time.Hour, Log: log}
	for _, a := range adjust {
		a(&cfg)
	}
	r.w = New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			t.Error("watch did not stop")
		}
	})
	return r
}

func (r *run) send(t *testing.T, ev heal.EngineEvent) {
	t.Helper()
	select {
	case r.events.ch <- ev:
	case err := <-r.done:
		t.Fatalf("watch ended: %v\n%s", err, r.log.String())
	case <-time.After(20 * time.Second):
		t.Fatal("watch does not read events")
	}
}

func (r *run) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not stop")
	}
	return errors.New("unreachable")
}

func (e *fakeEngine) OOMKills(context.Context, time.Time) (map[string][]time.Time, error) {
	return nil, nil
}
