package heal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeEngine records calls. Restart of an id in fail returns an error; in
// hang it blocks until its context ends (and, if in restartsAnyway, the
// container still gets a new StartedAt); with gate set every restart
// announces itself on entered and waits for a token on gate.
type fakeEngine struct {
	mu             sync.Mutex
	containers     map[string]Container
	calls          []string
	fail           map[string]bool
	hang           map[string]bool
	restartsAnyway map[string]bool
	timeouts       map[string]time.Duration
	inflight, max  int
	gate, entered  chan string
}

func newFake(cs ...Container) *fakeEngine {
	f := &fakeEngine{containers: map[string]Container{}, fail: map[string]bool{}, hang: map[string]bool{},
		restartsAnyway: map[string]bool{}, timeouts: map[string]time.Duration{}}
	for _, c := range cs {
		f.containers[c.ID] = c
	}
	return f
}

func (f *fakeEngine) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
}

func (f *fakeEngine) callLog() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, "\n")
}

func (f *fakeEngine) List(_ context.Context, opts ListOptions) ([]Container, error) {
	f.record(fmt.Sprintf("list all=%v filters=%v", opts.All, opts.Filters))
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Container
	for _, c := range f.containers {
		if h := opts.Filters["health"]; len(h) > 0 && c.Health != h[0] {
			continue
		}
		if !opts.All && c.State != "running" && c.State != "paused" {
			continue
		}
		// What only inspect tells.
		c.Inspected, c.Probes, c.StopTimeout, c.RestartCount, c.OOMKilled = false, nil, nil, 0, false
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeEngine) Inspect(_ context.Context, id string) (Container, error) {
	f.record("inspect " + id)
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return Container{}, fmt.Errorf("container %s: %w", id, ErrNotFound)
	}
	c.Inspected = true
	return c, nil
}

func (f *fakeEngine) Restart(ctx context.Context, id string, timeout time.Duration) error {
	f.record("restart " + id)
	f.mu.Lock()
	f.timeouts[id] = timeout
	f.inflight++
	if f.inflight > f.max {
		f.max = f.inflight
	}
	gate, entered := f.gate, f.entered
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inflight--; f.mu.Unlock() }()
	if gate != nil {
		entered <- id
		<-gate
	}
	if f.hang[id] {
		<-ctx.Done()
		if f.restartsAnyway[id] {
			f.bump(id)
		}
		return ctx.Err()
	}
	if f.fail[id] {
		return errors.New("engine said no")
	}
	f.bump(id)
	return nil
}

func (f *fakeEngine) bump(id string) {
	f.mu.Lock()
	c := f.containers[id]
	c.StartedAt = c.StartedAt.Add(time.Minute)
	c.Health, c.State = HealthStarting, "running"
	f.containers[id] = c
	f.mu.Unlock()
}

func (f *fakeEngine) Stop(_ context.Context, id string, timeout time.Duration) error {
	f.record("stop " + id)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timeouts[id] = timeout
	c := f.containers[id]
	c.State = "exited"
	f.containers[id] = c
	return nil
}

func execute(t *testing.T, f *fakeEngine, pol Policy, cs ...Container) Plan {
	t.Helper()
	plan := Decide(cs, nil, pol, t0)
	x := &Executor{Engine: f, Policy: pol}
	x.Execute(context.Background(), &plan)
	return plan
}

func results(p Plan) string {
	var b strings.Builder
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "%s %s: %s %s\n", s.Kind, s.Container.Name, s.Result, s.Error)
		for _, d := range s.Dependents {
			fmt.Fprintf(&b, "  %s: %s %s\n", d.Container.Name, d.Result, d.Error)
		}
	}
	return b.String()
}

func TestExecuteRestartsWithStopTimeout(t *testing.T) {
	own := 20 * time.Second
	web := with(sick("web"), func(c *Container) { c.StopTimeout = &own })
	api := sick("api", LabelStopTimeout, "45")
	f := newFake(web, api)
	plan := execute(t, f, DefaultPolicy(), web, api)
	if got := results(plan); got != "restart api: success \nrestart web: success \n" {
		t.Errorf("results:\n%s", got)
	}
	if f.timeouts["id-web"] != 20*time.Second || f.timeouts["id-api"] != 45*time.Second {
		t.Errorf("stop timeouts %v", f.timeouts)
	}
	if plan.Failed() {
		t.Error("plan failed")
	}
}

func TestExecuteFailedRestart(t *testing.T) {
	web := sick("web")
	side := with(well("side"), func(c *Container) { c.NetworkMode = "container:id-web" })
	f := newFake(web, side)
	f.fail["id-web"] = true
	plan := execute(t, f, DefaultPolicy(), web, side)
	got := results(plan)
	if !strings.Contains(got, "restart web: failure restarting web: engine said no") {
		t.Errorf("results:\n%s", got)
	}
	if !strings.Contains(got, "side:  not restarted: restarting web failed") {
		t.Errorf("dependent of a failed restart:\n%s", got)
	}
	if strings.Contains(f.callLog(), "restart id-side") {
		t.Error("dependent restarted after its parent failed")
	}
	if !plan.Failed() {
		t.Error("plan with a failed restart did not fail")
	}
}

func TestExecuteTimedOutRestartIsInspectedAgain(t *testing.T) {
	pol := DefaultPolicy()
	pol.RestartMargin = time.Millisecond
	happened := sick("happened", LabelStopTimeout, "0")
	stuck := sick("stuck", LabelStopTimeout, "0")
	f := newFake(happened, stuck)
	f.hang["id-happened"], f.hang["id-stuck"] = true, true
	f.restartsAnyway["id-happened"] = true
	plan := execute(t, f, pol, happened, stuck)
	got := results(plan)
	if !strings.Contains(got, "restart happened: success") {
		t.Errorf("a restart that happened despite the timeout counts as success:\n%s", got)
	}
	if !strings.Contains(got, "restart stuck: failure restarting stuck: no answer within 1ms") {
		t.Errorf("a restart that timed out and did not happen fails, saying why:\n%s", got)
	}
	log := f.callLog()
	for _, id := range []string{"id-happened", "id-stuck"} {
		if !strings.Contains(log, "inspect "+id) {
			t.Errorf("%s was not inspected again after the failed call:\n%s", id, log)
		}
	}
}

func TestExecuteConcurrencyBound(t *testing.T) {
	pol := DefaultPolicy()
	pol.Concurrency, pol.MaxPerRun = 3, 100
	var cs []Container
	for i := 0; i < 10; i++ {
		cs = append(cs, sick(fmt.Sprintf("c%02d", i)))
	}
	f := newFake(cs...)
	f.gate, f.entered = make(chan string), make(chan string, len(cs))
	done := make(chan Plan)
	go func() { done <- execute(t, f, pol, cs...) }()
	// Let exactly three in, then release one per arrival: a broken bound
	// would let more in while we hold the first three.
	for i := 0; i < pol.Concurrency; i++ {
		<-f.entered
	}
	for i := pol.Concurrency; i < len(cs); i++ {
		f.gate <- ""
		<-f.entered
	}
	for i := 0; i < pol.Concurrency; i++ {
		f.gate <- ""
	}
	plan := <-done
	if f.max != pol.Concurrency {
		t.Errorf("at most %d restarts at once, want exactly %d", f.max, pol.Concurrency)
	}
	if strings.Count(results(plan), "success") != len(cs) {
		t.Errorf("results:\n%s", results(plan))
	}
}

func TestExecuteDependentsInOrder(t *testing.T) {
	db := with(sick("p-db-1"), func(c *Container) { c.Project, c.Service = "p", "db" })
	api := with(well("p-api-1", LabelComposeDependsOn, "db:service_healthy:true"), func(c *Container) { c.Project, c.Service = "p", "api" })
	web := with(well("p-web-1", LabelComposeDependsOn, "api:service_healthy:true"), func(c *Container) { c.Project, c.Service = "p", "web" })
	side := with(well("side"), func(c *Container) { c.NetworkMode = "container:id-p-web-1" })
	f := newFake(db, api, web, side)
	plan := execute(t, f, DefaultPolicy(), db, api, web, side)
	var restarts []string
	for _, call := range f.calls {
		if strings.HasPrefix(call, "restart ") {
			restarts = append(restarts, strings.TrimPrefix(call, "restart "))
		}
	}
	if got := strings.Join(restarts, " "); got != "id-p-db-1 id-p-api-1 id-p-web-1 id-side" {
		t.Errorf("restart order %s", got)
	}
	// Dependents come from the list, not inspected: inspected before their restart.
	if !strings.Contains(f.callLog(), "inspect id-p-api-1\nrestart id-p-api-1") {
		t.Errorf("dependent not inspected before restart:\n%s", f.callLog())
	}
	if plan.Failed() {
		t.Errorf("results:\n%s", results(plan))
	}
}

func TestExecuteStopAndNotify(t *testing.T) {
	stop := sick("stopme", LabelAction, "stop", LabelStopTimeout, "5s")
	note := sick("noteme", LabelAction, "notify")
	f := newFake(stop, note)
	hook := &recordingNotifier{}
	r := &Runner{Engine: f, Store: &memStore{st: NewState()}, Notifier: hook, Policy: DefaultPolicy(), Clock: ClockFunc(func() time.Time { return t0 })}
	round, err := r.RunRound(context.Background(), RoundOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan := round.Plan
	if got := results(plan); got != "notify noteme: success \nstop stopme: success \n" {
		t.Errorf("results:\n%s", got)
	}
	acted := f.callLog()[strings.LastIndex(f.callLog(), "inspect "):] // what came after observing
	if strings.Contains(acted[strings.Index(acted, "\n")+1:], "noteme") || f.timeouts["id-stopme"] != 5*time.Second {
		t.Errorf("calls:\n%s\ntimeouts %v", f.callLog(), f.timeouts)
	}
	if got := hook.log(); got != "hook: unhealthy noteme\nhook: stopped stopme\n" {
		t.Errorf("a notify step must really send; delivered:\n%s", got)
	}
}

func TestObserveCallsAndApply(t *testing.T) {
	web := sick("web")
	other := sick("other", LabelEnable, "<delete>")
	fine := well("fine")
	f := newFake(web, other, fine)
	pol := DefaultPolicy()
	st := NewState()

	// Nothing remembered and nothing enabled is sick: two lists (the
	// unhealthy ones, and all for crash loops and OOM kills), no inspect.
	f2 := newFake(other, fine)
	if _, err := Observe(context.Background(), f2, st, pol); err != nil {
		t.Fatal(err)
	}
	if n := len(f2.calls); n != 2 || strings.Contains(f2.callLog(), "inspect") {
		t.Errorf("quiet host: %d calls, want 2 lists:\n%s", n, f2.callLog())
	}

	snap, err := Observe(context.Background(), f, st, pol)
	if err != nil {
		t.Fatal(err)
	}
	if log := f.callLog(); strings.Count(log, "inspect") != 1 || !strings.Contains(log, "inspect id-web") || strings.Count(log, "list") != 2 {
		t.Errorf("calls:\n%s", log)
	}
	if snap.Unhealthy != 2 || !snap.Complete {
		t.Errorf("snapshot %+v", snap)
	}
	plan := Decide(snap.Containers, st, pol, t0)
	(&Executor{Engine: f, Policy: pol}).Execute(context.Background(), &plan)
	st.Apply(snap, plan, pol)
	e := st.Containers["id-web"]
	if e == nil || len(e.Restarts) != 1 || e.RestartsTotal[ResultSuccess] != 1 || !e.BackoffUntil.Equal(t0.Add(time.Minute)) || !e.FirstSeenUnhealthy.Equal(t0) {
		t.Fatalf("state after a restart: %+v", e)
	}
	if st.Containers["id-other"] != nil || st.Containers["id-fine"] != nil {
		t.Error("untracked containers got state entries")
	}

	// Next run, a minute later: web is healthy again, recovered is reported.
	later := t0.Add(time.Minute)
	c := f.containers["id-web"]
	if c.Health != HealthStarting {
		t.Fatalf("restarted container health %q", c.Health)
	}
	snapStarting, _ := Observe(context.Background(), f, st, pol)
	if got := Decide(snapStarting.Containers, st, pol, later).String(); strings.Contains(got, "web") {
		t.Errorf("a starting container is not yet recovered:\n%s", got)
	}
	c.Health = HealthHealthy
	f.containers["id-web"] = c
	snap2, err := Observe(context.Background(), f, st, pol)
	if err != nil {
		t.Fatal(err)
	}
	plan2 := Decide(snap2.Containers, st, pol, later)
	if got := plan2.String(); !strings.Contains(got, "recovered web: healthy again after 1 restart") {
		t.Errorf("plan:\n%s", got)
	}
	plan2.Now = later
	st.Apply(snap2, plan2, pol)
	if e := st.Containers["id-web"]; !e.FirstSeenUnhealthy.IsZero() || !e.HealthySince.Equal(later) {
		t.Errorf("after recovery: %+v", e)
	}

	// The container is removed: its entry is pruned.
	delete(f.containers, "id-web")
	snap3, _ := Observe(context.Background(), f, st, pol)
	st.Apply(snap3, Decide(snap3.Containers, st, pol, later), pol)
	if st.Containers["id-web"] != nil {
		t.Error("entry of a removed container kept")
	}
}

func TestApplyBudgetBackoffAndCircuit(t *testing.T) {
	pol := DefaultPolicy()
	web := sick("web")
	st := NewState()
	f := newFake(web)
	now := t0
	var kinds []string
	for run := 0; run < 8; run++ {
		snap, err := Observe(context.Background(), f, st, pol)
		if err != nil {
			t.Fatal(err)
		}
		plan := Decide(snap.Containers, st, pol, now)
		(&Executor{Engine: f, Policy: pol}).Execute(context.Background(), &plan)
		st.Apply(snap, plan, pol)
		kinds = append(kinds, string(plan.Steps[0].Kind))
		// It stays sick after each restart.
		c := f.containers["id-web"]
		c.Health = HealthUnhealthy
		f.containers["id-web"] = c
		now = now.Add(90 * time.Second)
	}
	// Every 90s: restart (backoff 1m), restart (backoff 2m, until 3m30s),
	// wait, restart (third: backoff 4m), then the budget is spent.
	got := strings.Join(kinds, " ")
	want := "restart restart wait restart open-circuit skip skip skip"
	if got != want {
		t.Errorf("runs: %s\nwant: %s", got, want)
	}
	if e := st.Containers["id-web"]; !e.CircuitOpen || e.RestartsTotal[ResultSuccess] != 3 {
		t.Errorf("entry %+v", e)
	}
}

// WatchStops: the fake follows no events.
func (f *fakeEngine) WatchStops(context.Context, string) (func(bool) int, error) {
	return nil, ErrStopsUnwatched
}

// OOMKills: the fake keeps no oom history.
func (f *fakeEngine) OOMKills(context.Context, time.Time) (map[string][]time.Time, error) {
	return nil, nil
}
