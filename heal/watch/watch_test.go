package watch

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

func TestMaxPerRunIsPerResyncWindow(t *testing.T) {
	var cs []heal.Container
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		cs = append(cs, sick(n))
	}
	e := newFake(cs...)
	pol := heal.DefaultPolicy()
	pol.MaxPerRun = 2
	r := start(t, e, pol)
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	held := func(n int) func() bool {
		return func() bool { return strings.Count(r.log.String(), "held back by --max-per-run") >= n }
	}
	eventually(t, "the first round's report", held(1))
	if n := e.count("restart "); n != 2 {
		t.Fatalf("first round: %d restarts, want 2", n)
	}
	// More events in the same window: the cap holds, they are held back.
	for _, c := range cs {
		r.send(t, heal.EngineEvent{Kind: heal.EventHealthStatus, ID: c.ID, Health: heal.HealthUnhealthy, Time: time.Now()})
	}
	eventually(t, "the event round's report", held(2))
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()}) // and a full round
	eventually(t, "the full round's report", held(3))
	if n := e.count("restart "); n != 2 {
		t.Errorf("%d restarts in one window, want 2 (--max-per-run)", n)
	}
}

func TestStopsCleanlyAndSavesTheRoundInFlight(t *testing.T) {
	slow := &slowEngine{fakeEngine: newFake(sick("web")), started: make(chan struct{}), release: make(chan struct{})}
	r := start(t, slow, heal.DefaultPolicy())
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	<-slow.started
	r.cancel() // SIGTERM while the restart runs
	close(slow.release)
	if err := r.stop(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if en := r.store.entry("id-web"); en == nil || len(en.Restarts) != 1 || en.Restarts[0].Result != heal.ResultSuccess {
		t.Errorf("the restart in flight was not saved: %+v", en)
	}
}

// slowEngine's restarts wait for release, ignoring cancellation as the
// engine does once a stop has begun.
type slowEngine struct {
	*fakeEngine
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (s *slowEngine) Restart(ctx context.Context, id string, timeout time.Duration) error {
	s.once.Do(func() { close(s.started) })
	<-s.release
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return s.fakeEngine.Restart(ctx, id, timeout)
}

func TestMinUnhealthyFiresByTimer(t *testing.T) {
	e := newFake(sick("web"))
	pol := heal.DefaultPolicy()
	pol.MinUnhealthy = 300 * time.Millisecond
	r := start(t, e, pol)
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	// No event and no resync follow: only the timer can bring the restart.
	eventually(t, "the restart after --min-unhealthy", func() bool { return e.count("restart ") == 1 })
	if n := e.count("list"); n > 6 {
		t.Errorf("%d lists: it polled instead of waiting for the timer", n)
	}
}

// operatorStopEngine follows stop events: during each restart it reports
// an operator's `docker stop` beside our own.
type operatorStopEngine struct{ *fakeEngine }

func (operatorStopEngine) WatchStops(context.Context, string) (func(bool) int, error) {
	return func(bool) int { return 2 }, nil
}

// issue 18: watch's stopwatch wrapper hid WatchStops, so an operator's stop
// during watch's restart was undone (once honoured it).
func TestHonoursAnOperatorStopDuringItsRestart(t *testing.T) {
	web := sick("web")
	web.Health = heal.HealthHealthy
	e := operatorStopEngine{newFake(web)}
	r := start(t, e, heal.DefaultPolicy(), func(c *Config) { c.Reaction = func(time.Duration) {} })
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	eventually(t, "the first full round", func() bool { return e.count("list") >= 1 })
	e.setHealth(web.ID, heal.HealthUnhealthy)
	r.send(t, heal.EngineEvent{Kind: heal.EventHealthStatus, ID: web.ID, Name: web.Name, Health: heal.HealthUnhealthy, Time: time.Now()})
	eventually(t, "the restart", func() bool { return e.count("restart ") == 1 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.callLog(), "restart id-web\nstop id-web") {
		t.Errorf("the operator's stop was undone: no stop after the restart\n%s", e.callLog())
	}
	if !strings.Contains(r.log.String(), "restart issued") {
		t.Errorf("the restart was not timed through the stopwatch:\n%s", r.log.String())
	}
}

// The storm guard is recognised by the step's cause, whatever its words.
func TestRechecksByWaitCause(t *testing.T) {
	c := func(name string) heal.Container { return heal.Container{ID: "id-" + name, Name: name} }
	plan := heal.Plan{Now: t0, Steps: []heal.Step{
		{Kind: heal.StepWait, Wait: heal.WaitStormGuard, Container: c("storm"), Reason: "backoff until 12:05 (words that mislead)"},
		{Kind: heal.StepWait, Wait: heal.WaitBackoff, WaitUntil: t0.Add(5 * time.Minute), Container: c("backoff"), Reason: "storm guard: 1 action already"},
		{Kind: heal.StepWait, Wait: heal.WaitMinUnhealthy, WaitUntil: t0.Add(30 * time.Second), Container: c("young")},
		{Kind: heal.StepWait, Wait: heal.WaitGrace, WaitUntil: t0.Add(time.Minute), Container: c("grace")},
		{Kind: heal.StepWait, Wait: heal.WaitCircuitClosing, WaitUntil: t0.Add(time.Hour), Container: c("closing")},
		{Kind: heal.StepWait, Wait: heal.WaitPending, Container: c("pending")},
		{Kind: heal.StepRestart, Container: c("acting")},
	}}
	got := Rechecks(plan, t0)
	want := map[string]time.Duration{"id-backoff": 5 * time.Minute, "id-young": 30 * time.Second, "id-grace": time.Minute,
		"id-closing": time.Hour, "id-pending": time.Second}
	if len(got) != len(want) {
		t.Errorf("rechecks %v, want %v", got, want)
	}
	for id, d := range want {
		if at, ok := got[id]; !ok || at.Sub(t0).Round(time.Second) != d {
			t.Errorf("%s: due %v, want %v after t0", id, at.Sub(t0), d)
		}
	}
}

// Decide gives each wait its cause and when it falls due.
func TestDecideTypesItsWaits(t *testing.T) {
	pol := heal.DefaultPolicy()
	pol.MinUnhealthy = time.Minute
	pol.MaxPerRun = 1
	a, b := sick("a"), sick("b")
	a.StartedAt, b.StartedAt = t0.Add(-time.Hour), t0.Add(-time.Hour)
	a.Inspected, b.Inspected = true, true
	st := heal.NewState()
	plan := heal.Decide([]heal.Container{a, b}, st, pol, t0)
	for _, s := range plan.Steps {
		if s.Kind != heal.StepWait || s.Wait != heal.WaitMinUnhealthy || !s.WaitUntil.Equal(t0.Add(time.Minute)) {
			t.Errorf("first sight with --min-unhealthy 1m: %s %s until %v", s.Kind, s.Wait, s.WaitUntil)
		}
	}
	pol.MinUnhealthy = 0
	plan = heal.Decide([]heal.Container{a, b}, st, pol, t0)
	var kinds []string
	for _, s := range plan.Steps {
		kinds = append(kinds, string(s.Kind)+"/"+string(s.Wait))
	}
	if got := strings.Join(kinds, " "); got != "restart/ wait/storm-guard" {
		t.Errorf("two sick with --max-per-run 1: %s", got)
	}
}

// A die event brings a round for its container, and its exit code (which
// the engine forgets once it starts the container again) reaches the state.
func TestDieEventBringsARoundWithItsExitCode(t *testing.T) {
	now := time.Now()
	loop := heal.Container{ID: "id-loop", Name: "loop", State: "running", Health: heal.HealthNone, RestartPolicy: "always",
		RestartCount: 4, StartedAt: now.Add(-2 * time.Second), FinishedAt: now.Add(-3 * time.Second),
		Labels: map[string]string{heal.LabelEnable: "true"}}
	e := newFake(loop)
	r := start(t, e, heal.DefaultPolicy())
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: now})
	eventually(t, "the crash loop seen", func() bool {
		en := r.store.savedEntry(loop.ID)
		return en != nil && len(en.Exits) == 1
	})
	// It dies again, with code 2, and is started again at once.
	died := time.Now()
	e.mu.Lock()
	c := e.containers[loop.ID]
	c.FinishedAt, c.StartedAt, c.RestartCount = died, died.Add(100*time.Millisecond), 5
	e.containers[loop.ID] = c
	e.mu.Unlock()
	r.send(t, heal.EngineEvent{Kind: heal.EventDie, ID: loop.ID, Name: loop.Name, Time: died.Add(time.Millisecond), ExitCode: 2})
	eventually(t, "the exit with its code in the state", func() bool {
		en := r.store.savedEntry(loop.ID)
		if en != nil && len(en.Exits) == 2 && en.Exits[1].ExitCode == 2 && en.RestartCount == 5 {
			return true
		}
		return false
	})
	if n := e.count("restart "); n != 0 {
		t.Errorf("%d restarts of a container the engine restarts", n)
	}
}

// A container removed drops out of the condition gauge on its destroy
// event, not only at the next full round.
func TestDestroyEventDropsItsCondition(t *testing.T) {
	now := time.Now()
	up := func(name string) heal.Container {
		return heal.Container{ID: "id-" + name, Name: name, State: "running", Health: heal.HealthHealthy, StartedAt: now.Add(-time.Hour)}
	}
	e := newFake(up("web"), up("db"))
	r := start(t, e, heal.DefaultPolicy())
	healthy := func() int {
		r.store.mu.Lock()
		defer r.store.mu.Unlock()
		if r.store.saved == nil {
			return -1
		}
		return r.store.saved.Conditions[heal.CondHealthy]
	}
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: now})
	eventually(t, "two healthy containers counted", func() bool { return healthy() == 2 })
	e.mu.Lock()
	delete(e.containers, "id-web")
	e.mu.Unlock()
	r.send(t, heal.EngineEvent{Kind: heal.EventDestroy, ID: "id-web", Name: "web", Time: time.Now()})
	eventually(t, "web dropped from the gauge", func() bool { return healthy() == 1 })
}

// A container removed while the event stream was down sends no destroy
// event: the full round after the reconnect must drop what the watcher kept
// about it (its last die event, its unhealthy event's time), or those maps
// grow for as long as the watch runs.
func TestFullRoundForgetsContainersRemovedUnseen(t *testing.T) {
	now := time.Now()
	up := func(name string) heal.Container {
		return heal.Container{ID: "id-" + name, Name: name, State: "running", Health: heal.HealthHealthy, StartedAt: now.Add(-time.Hour)}
	}
	e := newFake(up("a"), up("b"), up("c"))
	var mu sync.Mutex
	rounds, full := 0, 0
	r := start(t, e, heal.DefaultPolicy(), func(c *Config) {
		c.OnRound = func(rd heal.Round) {
			mu.Lock()
			defer mu.Unlock()
			rounds++
			if rd.Snapshot.Complete {
				full++
			}
		}
	})
	count := func() (int, int) { mu.Lock(); defer mu.Unlock(); return rounds, full }
	// The round at start, and one on connecting.
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: now})
	eventually(t, "the first full rounds", func() bool { _, f := count(); return f == 2 })
	r.send(t, heal.EngineEvent{Kind: heal.EventDie, ID: "id-a", Name: "a", Time: time.Now(), ExitCode: 1})
	r.send(t, heal.EngineEvent{Kind: heal.EventHealthStatus, ID: "id-b", Name: "b", Health: heal.HealthUnhealthy, Time: time.Now()})
	// a and b are removed while the stream is down: no destroy event.
	r.send(t, heal.EngineEvent{Kind: heal.StreamDisconnected, Time: time.Now()})
	e.mu.Lock()
	delete(e.containers, "id-a")
	delete(e.containers, "id-b")
	e.mu.Unlock()
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	eventually(t, "the full round after the reconnect", func() bool { _, f := count(); return f == 3 })
	// One more round starts only once the full round's result was taken in.
	n, _ := count()
	r.send(t, heal.EngineEvent{Kind: heal.EventOOM, ID: "id-c", Name: "c", Time: time.Now()})
	eventually(t, "a round after it", func() bool { m, _ := count(); return m > n })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if len(r.w.died) != 0 {
		t.Errorf("die events kept of removed containers: %v", r.w.died)
	}
	r.w.clock.mu.Lock()
	defer r.w.clock.mu.Unlock()
	if len(r.w.clock.pending) != 0 {
		t.Errorf("unhealthy events kept of removed containers: %v", r.w.clock.pending)
	}
}

// A container paused while unhealthy sends no new health_status event when
// it is unpaused (the engine sends one only on a change, and it is still
// unhealthy): its unpause event must bring the look, not the next resync.
func TestUnpauseEventBringsARound(t *testing.T) {
	web := sick("web")
	web.State = "paused"
	e := newFake(web)
	r := start(t, e, heal.DefaultPolicy()) // resync: an hour
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	r.send(t, heal.EngineEvent{Kind: heal.EventPause, ID: web.ID, Name: web.Name, Time: time.Now()})
	eventually(t, "the full rounds", func() bool { return e.count("list") >= 4 })
	if n := e.count("restart "); n != 0 {
		t.Fatalf("%d restarts of a paused container", n)
	}
	e.mu.Lock()
	c := e.containers[web.ID]
	c.State = "running"
	e.containers[web.ID] = c
	e.mu.Unlock()
	r.send(t, heal.EngineEvent{Kind: heal.EventUnpause, ID: web.ID, Name: web.Name, Time: time.Now()})
	eventually(t, "the restart after the unpause", func() bool { return e.count("restart ") == 1 })
}
