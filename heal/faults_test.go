package heal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Issue 11: never undo an operator, never lose a restart, never hang.

// An operator who stops, pauses or removes a container between the round's
// observation and its action wins: the container is skipped, not restarted,
// and that is no failure.
func TestExecuteSkipsWhatChangedSinceObserved(t *testing.T) {
	pol := DefaultPolicy()
	pol.Concurrency = 1
	cs := []Container{sick("a"), sick("b"), sick("c"), sick("d"), sick("e")}
	f := newFake(cs...)
	plan := Decide(cs, nil, pol, t0)
	f.mu.Lock()
	for id, state := range map[string]string{"id-b": "exited", "id-c": "paused", "id-e": "restarting"} {
		c := f.containers[id]
		c.State = state
		f.containers[id] = c
	}
	delete(f.containers, "id-d")
	f.mu.Unlock()
	(&Executor{Engine: f, Policy: pol}).Execute(context.Background(), &plan)
	want := map[string]string{
		"a": "success ",
		"b": "skipped stopped since the round observed it (exited): an operator's stop wins, left alone",
		"c": "skipped paused since the round observed it: left alone",
		"d": "skipped removed since the round observed it: left alone",
		"e": "skipped restarting since the round observed it: left alone",
	}
	for _, s := range plan.Steps {
		if got := s.Result + " " + s.Note; got != want[s.Container.Name] {
			t.Errorf("%s: %q, want %q", s.Container.Name, got, want[s.Container.Name])
		}
	}
	if plan.Failed() {
		t.Error("skipping what an operator stopped failed the round")
	}
	for _, id := range []string{"id-b", "id-c", "id-d", "id-e"} {
		if strings.Contains(f.callLog(), "restart "+id) {
			t.Errorf("%s was restarted", id)
		}
	}
	st := NewState()
	st.Apply(Snapshot{Containers: cs}, plan, pol)
	for _, id := range []string{"id-b", "id-c", "id-d", "id-e"} {
		if e := st.Entry(id); e != nil && len(e.Restarts) > 0 {
			t.Errorf("%s: a skipped step counts as an attempt: %+v", id, e.Restarts)
		}
	}
}

// goneOnRestart answers the restart call with a 404: the container was
// removed between the re-read and the call.
type goneOnRestart struct{ *fakeEngine }

func (g goneOnRestart) Restart(context.Context, string, time.Duration) error {
	return fmt.Errorf("restarting: %w", ErrNotFound)
}

func TestExecuteRemovedAtTheCallIsSkipped(t *testing.T) {
	a := sick("a")
	plan := Decide([]Container{a}, nil, DefaultPolicy(), t0)
	(&Executor{Engine: goneOnRestart{newFake(a)}, Policy: DefaultPolicy()}).Execute(context.Background(), &plan)
	if s := plan.Steps[0]; s.Result != ResultSkipped || !strings.Contains(s.Note, "removed") || plan.Failed() {
		t.Errorf("a container removed at the restart call: %s %q %q, failed %v", s.Result, s.Error, s.Note, plan.Failed())
	}
}

// watchingFake reports stops seen during each restart.
type watchingFake struct {
	*fakeEngine
	stops int
}

func (w *watchingFake) WatchStops(context.Context, string) (func(bool) int, error) {
	return func(bool) int { return w.stops }, nil
}

func TestExecuteOperatorStopDuringRestartIsHonoured(t *testing.T) {
	for _, stops := range []int{1, 2} {
		a := sick("a", LabelStopTimeout, "7")
		f := &watchingFake{fakeEngine: newFake(a), stops: stops}
		plan := Decide([]Container{a}, nil, DefaultPolicy(), t0)
		(&Executor{Engine: f, Policy: DefaultPolicy()}).Execute(context.Background(), &plan)
		s := plan.Steps[0]
		stoppedAgain := strings.Contains(f.callLog(), "restart id-a\nstop id-a")
		if stops == 1 && (stoppedAgain || s.Note != "") {
			t.Errorf("our own stop taken for an operator's: %q\n%s", s.Note, f.callLog())
		}
		if stops == 2 && (!stoppedAgain || s.Result != ResultSuccess || s.Note != "an operator stopped it during the restart: stopped again" || f.timeouts["id-a"] != 7*time.Second) {
			t.Errorf("operator's stop not honoured: %s %q\n%s", s.Result, s.Note, f.callLog())
		}
	}
}

// snapshotStore keeps what each Save wrote, as JSON: what a process killed
// at that moment leaves on disk.
type snapshotStore struct {
	mu    sync.Mutex
	st    *State
	saved [][]byte
}

func (s *snapshotStore) Load(context.Context, time.Time) (*State, error) { return s.st, nil }
func (s *snapshotStore) Save(_ context.Context, st *State, _ time.Time) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.saved = append(s.saved, b)
	s.mu.Unlock()
	return nil
}

func (s *snapshotStore) last(t *testing.T) *State {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := NewState()
	if err := json.Unmarshal(s.saved[len(s.saved)-1], st); err != nil {
		t.Fatal(err)
	}
	return st
}

// killedDuringRestart reads, at the moment of the restart call, what is on
// disk, and then the engine carries the restart out.
type killedDuringRestart struct {
	*fakeEngine
	store  *snapshotStore
	t      *testing.T
	onDisk *State
}

func (k *killedDuringRestart) Restart(ctx context.Context, id string, timeout time.Duration) error {
	k.onDisk = k.store.last(k.t)
	k.mu.Lock()
	c := k.containers[id]
	c.StartedAt, c.Health = t0.Add(time.Second), HealthStarting
	k.containers[id] = c
	k.mu.Unlock()
	return nil
}

// A process killed during the restart call leaves a pending attempt on
// disk; the next round reads its outcome from the engine and counts it, so
// the budget holds.
func TestRoundWritesAttemptsAhead(t *testing.T) {
	a := sick("a", LabelMaxRestarts, "1")
	store := &snapshotStore{st: NewState()}
	k := &killedDuringRestart{fakeEngine: newFake(a), store: store, t: t}
	pol := DefaultPolicy()
	pol.Backoff = 0
	r := &Runner{Engine: k, Store: store, Policy: pol, Clock: ClockFunc(func() time.Time { return t0 })}
	if _, err := r.RunRound(context.Background(), RoundOptions{}); err != nil {
		t.Fatal(err)
	}
	e := k.onDisk.Entry("id-a")
	if e == nil || len(e.Restarts) != 1 || e.Restarts[0].Result != ResultPending || e.Restarts[0].Action != ActionRestart {
		t.Fatalf("on disk during the call: %+v, want one pending restart", e)
	}

	// The process died there: the next one starts from what was on disk.
	next := &snapshotStore{st: k.onDisk}
	f := k.fakeEngine
	f.mu.Lock()
	c := f.containers["id-a"]
	c.Health = HealthUnhealthy // sick again
	f.containers["id-a"] = c
	f.mu.Unlock()
	r2 := &Runner{Engine: f, Store: next, Policy: pol, Clock: ClockFunc(func() time.Time { return t0.Add(time.Minute) })}
	round, err := r2.RunRound(context.Background(), RoundOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := round.Plan.String(); !strings.HasPrefix(got, "open circuit a: 1 restart in 1h") {
		t.Errorf("the killed round's restart was not counted:\n%s", got)
	}
	rec := next.last(t).Entry("id-a").Restarts[0]
	if rec.Result != ResultSuccess || !strings.Contains(rec.Note, "read from the engine") {
		t.Errorf("pending attempt not resolved from the engine: %+v", rec)
	}
	if strings.Count(f.callLog(), "restart id-a") != 0 {
		t.Errorf("restarted past the budget:\n%s", f.callLog())
	}
}

// A round past its deadline leaves the restart in flight pending; the next
// round waits while it is pending and reads its outcome once the engine
// shows it.
func TestRoundTimeoutLeavesRestartsPending(t *testing.T) {
	a := sick("a")
	f := newFake(a)
	f.hang["id-a"] = true
	pol := DefaultPolicy()
	store := &memStore{st: NewState()}
	now := t0
	r := &Runner{Engine: f, Store: store, Policy: pol, Clock: ClockFunc(func() time.Time { return now })}
	round, err := r.RunRound(context.Background(), RoundOptions{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s := round.Plan.Steps[0]
	if s.Result != ResultPending || !strings.Contains(s.Note, "--round-timeout") || round.Failed() {
		t.Fatalf("restart in flight at the deadline: %s %q %q", s.Result, s.Error, s.Note)
	}
	if rec := store.st.Entry("id-a").Restarts; len(rec) != 1 || rec[0].Result != ResultPending {
		t.Fatalf("state: %+v", rec)
	}

	// Still in flight: the next round waits, it does not restart on top.
	f.hang["id-a"] = false
	now = t0.Add(10 * time.Second)
	round, err = r.RunRound(context.Background(), RoundOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := round.Plan.String(); !strings.HasPrefix(got, "wait a: the attempt of 12:00:00 has no known outcome yet (pending)") {
		t.Errorf("round 2:\n%s", got)
	}
	// The engine finished it.
	f.mu.Lock()
	c := f.containers["id-a"]
	c.StartedAt, c.Health = t0.Add(5*time.Second), HealthHealthy
	f.containers["id-a"] = c
	f.mu.Unlock()
	now = t0.Add(20 * time.Second)
	if _, err := r.RunRound(context.Background(), RoundOptions{}); err != nil {
		t.Fatal(err)
	}
	if rec := store.st.Entry("id-a").Restarts[0]; rec.Result != ResultSuccess || store.st.Entry("id-a").RestartsTotal[ResultSuccess] != 1 {
		t.Errorf("round 3 did not read the outcome: %+v %v", rec, store.st.Entry("id-a").RestartsTotal)
	}
}

// A signal (ctx cancelled) during a round: the restart in flight finishes
// and is recorded; nothing new starts; the state is saved.
func TestRoundInterruptedFinishesWhatIsInFlight(t *testing.T) {
	pol := DefaultPolicy()
	pol.Concurrency = 1
	a, b := sick("a"), sick("b")
	a.FailingStreak, b.FailingStreak = 9, 3
	f := newFake(a, b)
	f.gate, f.entered = make(chan string), make(chan string, 2)
	store := &memStore{st: NewState()}
	r := &Runner{Engine: f, Store: store, Policy: pol, Clock: ClockFunc(func() time.Time { return t0 })}
	ctx, interrupt := context.WithCancelCause(context.Background())
	done := make(chan Round)
	go func() {
		round, err := r.RunRound(ctx, RoundOptions{})
		if err != nil {
			t.Error(err)
		}
		done <- round
	}()
	first := <-f.entered
	interrupt(fmt.Errorf("interrupted by terminated"))
	f.gate <- ""
	round := <-done
	var other string
	for _, s := range round.Plan.Steps {
		if s.Container.ID == first {
			if s.Result != ResultSuccess {
				t.Errorf("the restart in flight: %s %s", s.Result, s.Error)
			}
			continue
		}
		other = s.Container.ID
		if s.Result != ResultFailure || s.Error != "not attempted: interrupted by terminated" {
			t.Errorf("the restart not yet begun: %s %q", s.Result, s.Error)
		}
	}
	if strings.Contains(f.callLog(), "restart "+other) {
		t.Errorf("new work started after the signal:\n%s", f.callLog())
	}
	if e := store.st.Entry(first); e == nil || len(e.Restarts) != 1 || e.Restarts[0].Result != ResultSuccess {
		t.Errorf("the finished restart is not recorded: %+v", e)
	}
	if e := store.st.Entry(other); e != nil && len(e.Restarts) > 0 {
		t.Errorf("a restart never attempted spent budget: %+v", e.Restarts)
	}
}

// A write-ahead record that cannot be saved stops the attempt: an attempt
// the state could not count is not made.
type failingSave struct{ memStore }

func (f *failingSave) Save(context.Context, *State, time.Time) error {
	return fmt.Errorf("disk full")
}

func TestRoundNoAttemptWithoutWriteAhead(t *testing.T) {
	a := sick("a")
	f := newFake(a)
	r := &Runner{Engine: f, Store: &failingSave{memStore{st: NewState()}}, Policy: DefaultPolicy(), Clock: ClockFunc(func() time.Time { return t0 })}
	round, err := r.RunRound(context.Background(), RoundOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := round.Plan.Steps[0]; s.Result != ResultFailure || !strings.Contains(s.Error, "disk full") || strings.Contains(f.callLog(), "restart id-a") {
		t.Errorf("%s %q\n%s", s.Result, s.Error, f.callLog())
	}
}

func TestDefaultRoundTimeout(t *testing.T) {
	pol := DefaultPolicy() // margin 30s, concurrency 4, cap 2m
	plan := Plan{Steps: []Step{
		{Kind: StepRestart, StopTimeout: 10 * time.Second},
		{Kind: StepRestart, StopTimeout: 2 * time.Minute},
		{Kind: StepStop, StopTimeout: 5 * time.Second},
		{Kind: StepSkip},
	}}
	if got, want := DefaultRoundTimeout(plan, pol), 2*time.Minute+30*time.Second+30*time.Second; got != want {
		t.Errorf("one wave: %s, want %s", got, want)
	}
	pol.Concurrency = 1
	if got, want := DefaultRoundTimeout(plan, pol), 3*(2*time.Minute+30*time.Second)+30*time.Second; got != want {
		t.Errorf("three waves: %s, want %s", got, want)
	}
	if got := DefaultRoundTimeout(Plan{}, pol); got != 30*time.Second {
		t.Errorf("nothing to do: %s", got)
	}
}

// status's HEAL column shows an attempt whose outcome is not known yet.
func TestHealColumnShowsPending(t *testing.T) {
	a := sick("a")
	st := state(map[string]*Entry{"a": {Restarts: []RestartRecord{{Time: t0, Action: ActionRestart, Result: ResultPending}}}})
	if got, want := HealColumn(a, st, DefaultPolicy(), t0.Add(time.Minute)), "pending since 12:00 (1/3 restarts in 1h)"; got != want {
		t.Errorf("HEAL %q, want %q", got, want)
	}
}

// A dependent known only from the list (no start time) whose restart call
// timed out is judged by the start time re-read before the call: the engine
// did restart it, so it is a success, not a failure.
func TestExecuteTimedOutDependentJudgedByItsReread(t *testing.T) {
	pol := DefaultPolicy()
	pol.RestartMargin = time.Millisecond
	web := sick("web")
	side := with(well("side", LabelStopTimeout, "0"), func(c *Container) {
		c.NetworkMode = "container:id-web"
		c.StartedAt = time.Time{} // as the list gives it
	})
	f := newFake(web, with(side, func(c *Container) { c.StartedAt = t0.Add(-time.Hour) }))
	f.hang["id-side"], f.restartsAnyway["id-side"] = true, true
	plan := execute(t, f, pol, web, side)
	if got := results(plan); !strings.Contains(got, "side: success") {
		t.Errorf("results:\n%s", got)
	}
}

// removedDuringRestart is `docker rm -f` landing while our restart is in
// flight: the call fails with the engine's words (err), and the container is
// then in state (or gone when state is "").
type removedDuringRestart struct {
	*fakeEngine
	err   error
	state string
}

func (r removedDuringRestart) Restart(_ context.Context, id string, _ time.Duration) error {
	r.record("restart " + id)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == "" {
		delete(r.containers, id)
	} else {
		c := r.containers[id]
		c.State = r.state
		r.containers[id] = c
	}
	return r.err
}

// Issue 18: a container removed during our restart is skipped, as the
// README says, whatever words the engine used.
func TestExecuteRemovedDuringRestartIsSkipped(t *testing.T) {
	marked := errors.New("restarting container id-a on unix:///x: Error response from daemon: Cannot restart container id-a: container is marked for removal and cannot be started")
	for name, r := range map[string]removedDuringRestart{
		"classified by the engine":      {err: fmt.Errorf("restarting: %w", ErrRemoving), state: "removing"},
		"marked for removal, then gone": {err: marked},
		"marked for removal, removing":  {err: marked, state: "removing"},
		"marked for removal, dead":      {err: marked, state: "dead"},
		"unclassified error, then gone": {err: errors.New("Error response from daemon: conflict")},
	} {
		t.Run(name, func(t *testing.T) {
			a := sick("a")
			r.fakeEngine = newFake(a)
			plan := Decide([]Container{a}, nil, DefaultPolicy(), t0)
			(&Executor{Engine: r, Policy: DefaultPolicy()}).Execute(context.Background(), &plan)
			s := plan.Steps[0]
			if s.Result != ResultSkipped || !strings.Contains(s.Note, "removed") || plan.Failed() {
				t.Errorf("removed during the restart: %s %q %q, failed %v", s.Result, s.Error, s.Note, plan.Failed())
			}
		})
	}
	// A failure that is not a removal stays a failure.
	a := sick("a")
	r := removedDuringRestart{fakeEngine: newFake(a), err: errors.New("Error response from daemon: OCI runtime failed"), state: "exited"}
	plan := Decide([]Container{a}, nil, DefaultPolicy(), t0)
	(&Executor{Engine: r, Policy: DefaultPolicy()}).Execute(context.Background(), &plan)
	if s := plan.Steps[0]; s.Result != ResultFailure {
		t.Errorf("a restart that failed on a container still there: %s %q", s.Result, s.Note)
	}
}
