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

// memStore is a StateStore in memory that round-trips nothing but the pointer.
type memStore struct {
	st    *State
	saves int
}

func (m *memStore) Load(context.Context, time.Time) (*State, error) { return m.st, nil }
func (m *memStore) Save(_ context.Context, st *State, _ time.Time) error {
	m.st = st
	m.saves++
	return nil
}

// recordingNotifier has one target, "hook", that fails while failures > 0.
type recordingNotifier struct {
	mu        sync.Mutex
	failures  int
	delivered []Event
	attempts  int
}

func (n *recordingNotifier) Targets() []string { return []string{"hook"} }

func (n *recordingNotifier) Deliver(_ context.Context, target string, ev Event) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.attempts++
	if n.failures > 0 {
		n.failures--
		return errors.New("HTTP 500 Internal Server Error")
	}
	n.delivered = append(n.delivered, ev)
	return nil
}

func (n *recordingNotifier) log() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var b strings.Builder
	for _, ev := range n.delivered {
		fmt.Fprintf(&b, "hook: %s %s\n", ev.Event, ev.Container)
	}
	return b.String()
}

type memAudit struct{ recs []AuditRecord }

func (a *memAudit) Append(_ context.Context, recs []AuditRecord) error {
	a.recs = append(a.recs, recs...)
	return nil
}

type memMetrics struct{ runs []RunSummary }

func (m *memMetrics) Record(_ context.Context, _ *State, run RunSummary) error {
	m.runs = append(m.runs, run)
	return nil
}

// steppingClock advances a minute per round.
type steppingClock struct{ now time.Time }

func (c *steppingClock) Now() time.Time { return c.now }

func newRunner(f *fakeEngine, n Notifier) (*Runner, *memStore, *memAudit, *steppingClock) {
	store, audit, clock := &memStore{st: NewState()}, &memAudit{}, &steppingClock{now: t0}
	return &Runner{Engine: f, Store: store, Notifier: n, Audit: audit, Metrics: &memMetrics{}, Clock: clock, Policy: DefaultPolicy(), Host: "host1"}, store, audit, clock
}

func TestRoundUndeliveredNotificationIsRetried(t *testing.T) {
	note := sick("noteme", LabelAction, "notify")
	hook := &recordingNotifier{failures: 1}
	r, store, audit, clock := newRunner(newFake(note), hook)

	round1, err := r.RunRound(context.Background(), RoundOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := results(round1.Plan); !strings.HasPrefix(got, "notify noteme: failure notification not delivered (retried next round): HTTP 500") {
		t.Errorf("round 1 results:\n%s", got)
	}
	if !round1.Failed() || len(store.st.Outbox) != 1 || hook.log() != "" {
		t.Fatalf("round 1: failed %v, outbox %+v, delivered %q", round1.Failed(), store.st.Outbox, hook.log())
	}
	if len(audit.recs) != 2 || audit.recs[1].Decision != "deliver" || !strings.Contains(audit.recs[1].Error, "retried next round") {
		t.Errorf("round 1 audit: %+v", audit.recs)
	}

	clock.now = t0.Add(time.Minute)
	round2, err := r.RunRound(context.Background(), RoundOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := round2.Plan.String(); !strings.Contains(got, "skip noteme: action notify: delivery pending, attempt 1 of 5 failed") {
		t.Errorf("round 2 plan:\n%s", got)
	}
	if round2.Failed() || len(store.st.Outbox) != 0 || hook.log() != "hook: unhealthy noteme\n" {
		t.Fatalf("round 2: failed %v, outbox %+v, delivered %q", round2.Failed(), store.st.Outbox, hook.log())
	}
	if !hook.delivered[0].Time.Equal(t0) {
		t.Errorf("the retried event is not the same: time %v, want %v", hook.delivered[0].Time, t0)
	}
	if got := store.st.NotificationsTotal; got[ResultSuccess] != 1 || got[ResultFailure] != 1 {
		t.Errorf("notifications_total %v", got)
	}

	// Round 3: still sick, already notified: nothing more is sent.
	clock.now = t0.Add(2 * time.Minute)
	if _, err := r.RunRound(context.Background(), RoundOptions{}); err != nil {
		t.Fatal(err)
	}
	if hook.log() != "hook: unhealthy noteme\n" || hook.attempts != 2 {
		t.Errorf("after round 3: %d attempts, delivered %q", hook.attempts, hook.log())
	}
}

func TestRoundDeliversEachEventOnce(t *testing.T) {
	web := sick("web")
	f := newFake(web)
	hook := &recordingNotifier{}
	r, store, _, clock := newRunner(f, hook)
	for i := range 3 {
		clock.now = t0.Add(time.Duration(i) * 30 * time.Second)
		if _, err := r.RunRound(context.Background(), RoundOptions{}); err != nil {
			t.Fatal(err)
		}
		c := f.containers["id-web"]
		c.Health = HealthHealthy
		f.containers["id-web"] = c
	}
	if got := hook.log(); got != "hook: restarted web\nhook: recovered web\n" || hook.attempts != 2 {
		t.Errorf("%d attempts, delivered:\n%s", hook.attempts, got)
	}
	if len(store.st.Outbox) != 0 {
		t.Errorf("outbox %+v", store.st.Outbox)
	}
}

func TestRoundDropsAfterMaxAttempts(t *testing.T) {
	web := sick("web")
	hook := &recordingNotifier{failures: 100}
	r, store, audit, clock := newRunner(newFake(web), hook)
	for i := range MaxNotifyAttempts + 2 {
		clock.now = t0.Add(time.Duration(i) * time.Second)
		if _, err := r.RunRound(context.Background(), RoundOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if hook.attempts != MaxNotifyAttempts || len(store.st.Outbox) != 0 {
		t.Errorf("%d attempts, outbox %+v; want %d attempts then given up", hook.attempts, store.st.Outbox, MaxNotifyAttempts)
	}
	if store.st.NotificationsTotal[NotificationDropped] != 1 {
		t.Errorf("notifications_total %v", store.st.NotificationsTotal)
	}
	last := ""
	for _, rec := range audit.recs {
		if rec.Decision == "deliver" {
			last = rec.Error
		}
	}
	if !strings.HasSuffix(last, "given up") {
		t.Errorf("last delivery record %q", last)
	}
}

func TestRoundNotifyWithoutTargetFails(t *testing.T) {
	note := sick("noteme", LabelAction, "notify")
	r, _, _, _ := newRunner(newFake(note), nil)
	round, err := r.RunRound(context.Background(), RoundOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := results(round.Plan); !strings.Contains(got, "notify noteme: failure no notification target") || !round.Failed() {
		t.Errorf("results:\n%s", got)
	}
}

func TestRoundOnly(t *testing.T) {
	web, db := sick("web"), sick("db")
	f := newFake(web, db)
	hook := &recordingNotifier{}
	r, store, _, _ := newRunner(f, hook)
	// cache is remembered as sick since before, and is sick still: a round
	// for db must neither call it recovered nor forget its episode.
	cache := sick("cache")
	f.containers[cache.ID] = cache
	store.st.Containers[cache.ID] = &Entry{Name: "cache", FirstSeenUnhealthy: t0.Add(-time.Hour), Restarts: restarts(t0.Add(-time.Minute))}
	round, err := r.RunRound(context.Background(), RoundOptions{Only: []string{"id-db"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := round.Plan.String(); got != "restart db (unhealthy, streak 5)\n" {
		t.Errorf("plan:\n%s", got)
	}
	if strings.Contains(f.callLog(), "restart id-web") || store.st.Entry("id-web") != nil {
		t.Errorf("a round for db touched web:\n%s\n%+v", f.callLog(), store.st.Containers)
	}
	if store.st.Entry("id-db") == nil {
		t.Error("db's restart is not remembered")
	}
	if e := store.st.Entry("id-cache"); e == nil || !e.FirstSeenUnhealthy.Equal(t0.Add(-time.Hour)) || !e.HealthySince.IsZero() || hook.log() != "hook: restarted db\n" {
		t.Errorf("a round for db changed cache: %+v, delivered %q", e, hook.log())
	}
}

func TestRoundDryRunWritesNothing(t *testing.T) {
	web := sick("web")
	f := newFake(web)
	hook := &recordingNotifier{}
	r, store, audit, _ := newRunner(f, hook)
	round, err := r.RunRound(context.Background(), RoundOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if round.Plan.String() != "restart web (unhealthy, streak 5)\n" || strings.Contains(f.callLog(), "restart") ||
		store.saves != 0 || len(audit.recs) != 0 || hook.attempts != 0 || len(r.Metrics.(*memMetrics).runs) != 0 {
		t.Errorf("dry run did something: %s / %s", round.Plan.String(), f.callLog())
	}
}

// The condition gauge follows a watcher's rounds for one container too:
// the others keep their last condition, a container gone drops out.
func TestRoundConditionsAfterPartialRounds(t *testing.T) {
	web, db := sick("web", LabelEnable, "<delete>"), sick("db", LabelEnable, "<delete>")
	f := newFake(web, db)
	r, store, _, _ := newRunner(f, nil)
	run := func(only ...string) map[Condition]int {
		t.Helper()
		if _, err := r.RunRound(context.Background(), RoundOptions{Only: only}); err != nil {
			t.Fatal(err)
		}
		return store.st.Conditions
	}
	// Before any full round, a partial one has nothing to count from.
	if got := run("id-db"); got != nil {
		t.Errorf("a partial round first: %v, want nothing yet", got)
	}
	if got := run(); got[CondUnhealthy] != 2 || got[CondHealthy] != 0 {
		t.Errorf("full round: %v, want 2 unhealthy", got)
	}
	db.Health, db.FailingStreak = HealthHealthy, 0
	f.containers[db.ID] = db
	if got := run("id-db"); got[CondUnhealthy] != 1 || got[CondHealthy] != 1 {
		t.Errorf("after db recovered, a round for db: %v, want 1 unhealthy (web, as last seen), 1 healthy", got)
	}
	delete(f.containers, web.ID)
	if got := run("id-db"); got[CondUnhealthy] != 0 || got[CondHealthy] != 1 {
		t.Errorf("after web was removed, a round for db: %v, want web dropped", got)
	}
	if c := store.st.ContainerConditions; len(c) != 1 || c[db.ID] != CondHealthy {
		t.Errorf("per container: %v", c)
	}
}

// With --filter (a scope), the list is not every container the engine knows,
// so it cannot say which are gone; the entries of removed containers were
// then kept for ever. A full round prunes them by an unscoped list of ids.
func TestScopedRoundPrunesRemovedContainers(t *testing.T) {
	web := well("web", "com.example.team", "a")
	f := newFake(web)
	r, store, _, _ := newRunner(f, nil)
	r.Policy.Scope = map[string][]string{"label": {"com.example.team=a"}}
	store.st.Containers["id-gone"] = &Entry{Name: "gone", CircuitOpen: true, CircuitOpenedAt: t0.Add(-time.Minute),
		Restarts: []RestartRecord{{Time: t0.Add(-time.Minute), Action: ActionRestart, Result: ResultFailure}}}
	store.st.Containers[web.ID] = &Entry{Name: "web", CircuitOpen: true, CircuitOpenedAt: t0.Add(-time.Minute)}
	if _, err := r.RunRound(context.Background(), RoundOptions{}); err != nil {
		t.Fatal(err)
	}
	if store.st.Entry("id-gone") != nil {
		t.Errorf("the entry of a removed container was kept by a scoped round")
	}
	if store.st.Entry(web.ID) == nil {
		t.Errorf("the entry of a living container was pruned")
	}
	// A focused round (a watcher's) lists no more than the scope: it prunes nothing.
	store.st.Containers["id-gone"] = &Entry{Name: "gone", CircuitOpen: true}
	if _, err := r.RunRound(context.Background(), RoundOptions{Only: []string{web.ID}}); err != nil {
		t.Fatal(err)
	}
	if store.st.Entry("id-gone") == nil {
		t.Errorf("a focused round pruned")
	}
}
