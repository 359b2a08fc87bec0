package heal

import (
	"context"
	"strings"
	"testing"
	"time"
)

// looping is an enabled container the engine restarts over and over.
func looping(name string, now time.Time, restarts int) Container {
	return Container{ID: "id-" + name, Name: name, State: "running", Health: HealthNone, Inspected: true,
		StartedAt: now.Add(-2 * time.Second), FinishedAt: now.Add(-3 * time.Second), RestartCount: restarts, RestartPolicy: "always",
		Labels: map[string]string{LabelEnable: "true"}}
}

func oomKilled(name string, at time.Time) Container {
	return Container{ID: "id-" + name, Name: name, State: "exited", Health: HealthNone, Inspected: true,
		StartedAt: at.Add(-time.Minute), FinishedAt: at, ExitCode: 137, OOMKilled: true, RestartPolicy: "no",
		Labels: map[string]string{LabelEnable: "true"}}
}

func TestDecideAlerts(t *testing.T) {
	pol := DefaultPolicy()
	tests := []struct {
		name string
		c    Container
		st   *State
		want string
	}{
		{"crash loop", looping("loop", t0, 4), nil,
			"alert loop crash_loop: restarted 4 times by the engine, up 2s since the last; last exit 3s ago\n"},
		{"crash loop already told", looping("loop", t0, 9), state(map[string]*Entry{"loop": {Notified: map[string]bool{EventCrashLoop: true}}}), ""},
		{"crash loop of a container heal does not look after", with(looping("loop", t0, 4), func(c *Container) { c.Labels = nil }), nil, ""},
		{"oom kill", oomKilled("oom", t0.Add(-10*time.Second)), nil,
			"alert oom oom_killed: exit 137 (SIGKILL, out of memory: OOMKilled) 10s ago\n"},
		{"oom kill already told", oomKilled("oom", t0.Add(-10*time.Second)), state(map[string]*Entry{"oom": {LastOOM: t0.Add(-10 * time.Second)}}), ""},
		{"a newer oom kill", oomKilled("oom", t0.Add(-10*time.Second)), state(map[string]*Entry{"oom": {LastOOM: t0.Add(-time.Hour / 2)}}),
			"alert oom oom_killed: exit 137 (SIGKILL, out of memory: OOMKilled) 10s ago\n"},
		{"an oom kill of last week is history", oomKilled("oom", t0.Add(-7*24*time.Hour)), nil, ""},
		{"unhealthy and crash-looping: the engine restarts it, heal does not",
			with(sick("web"), func(c *Container) {
				c.RestartCount, c.RestartPolicy, c.StartedAt = 5, "always", t0.Add(-20*time.Second)
			}),
			state(map[string]*Entry{"web": {FirstSeenUnhealthy: t0.Add(-time.Hour), Notified: map[string]bool{EventCrashLoop: true}}}),
			"skip web: the engine is restarting it (restarted 5 times by the engine, up 20s since the last): not restarted by docker heal\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			if st != nil {
				for id, e := range st.Containers {
					delete(st.Containers, id)
					st.Containers[tt.c.ID] = e
				}
			}
			if got := Decide([]Container{tt.c}, st, pol, t0).String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// Across rounds (once after once, or watch): one notification per crash-loop
// episode and per OOM kill, retried when the hook fails, counted in the
// state for the metrics.
func TestRoundAlertsOncePerEpisode(t *testing.T) {
	f := newFake(looping("loop", t0, 4), oomKilled("oom", t0.Add(-10*time.Second)))
	hook := &recordingNotifier{failures: 1}
	r, store, _, clock := newRunner(f, hook)
	set := func(c Container) { f.mu.Lock(); f.containers[c.ID] = c; f.mu.Unlock() }
	round := func(at time.Time) Round {
		t.Helper()
		clock.now = at
		rd, err := r.RunRound(context.Background(), RoundOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return rd
	}
	first := round(t0)
	if first.Failed() {
		t.Errorf("an alert whose delivery failed must not fail the round: %s", first.Plan)
	}
	// Still looping, more restarts; the OOM-killed one unchanged.
	set(looping("loop", t0.Add(30*time.Second), 7))
	round(t0.Add(30 * time.Second))
	// Out of the loop: up for six minutes.
	stable := looping("loop", t0.Add(7*time.Minute), 7)
	stable.StartedAt = t0.Add(time.Minute)
	set(stable)
	round(t0.Add(7 * time.Minute))
	// Looping again, and a second OOM kill after a restart by hand.
	set(looping("loop", t0.Add(8*time.Minute), 3))
	set(oomKilled("oom", t0.Add(8*time.Minute-5*time.Second)))
	round(t0.Add(8 * time.Minute))
	round(t0.Add(9 * time.Minute))

	got := hook.log()
	if strings.Count(got, "crash_loop loop") != 2 || strings.Count(got, "oom_killed oom") != 2 {
		t.Errorf("want two crash_loop (two episodes) and two oom_killed (two kills), delivered:\n%s", got)
	}
	if hook.attempts != 5 {
		t.Errorf("%d attempts, want 5 (one failed and retried)", hook.attempts)
	}
	st := store.st
	if st.OOMKillsTotal["oom"] != 2 {
		t.Errorf("oom kills %v, want 2", st.OOMKillsTotal)
	}
	// Baseline 4, then 7 (+3), 7, then 3 after a start by hand (+3), 3.
	if st.EngineRestartsTotal["loop"] != 6 {
		t.Errorf("engine restarts %v, want 6", st.EngineRestartsTotal)
	}
	if st.Conditions[CondCrashLoop] != 1 || st.Conditions[CondOOMKilled] != 1 || st.Conditions[CondHealthy] != 0 {
		t.Errorf("conditions %v", st.Conditions)
	}
	if e := st.Containers["id-oom"]; e == nil || len(e.Exits) != 2 || e.Exits[1].ExitCode != 137 || !e.Exits[1].OOMKilled {
		t.Errorf("oom entry %+v", e)
	}
	if log := f.callLog(); strings.Contains(log, "restart ") {
		t.Errorf("docker heal restarted what the engine restarts:\n%s", log)
	}
}

type oomEngine struct {
	*fakeEngine
	kills map[string][]time.Time
	asked int
}

func (o *oomEngine) OOMKills(context.Context, time.Time) (map[string][]time.Time, error) {
	o.asked++
	return o.kills, nil
}

// Engine 20.10 often misses the OOMKilled flag (the exit overtakes the oom
// event); the oom event it keeps tells.
func TestObserveReadsOOMEvents(t *testing.T) {
	killed := oomKilled("oom", t0.Add(-10*time.Second))
	killed.OOMKilled = false
	plain := with(oomKilled("plain", t0.Add(-10*time.Second)), func(c *Container) { c.OOMKilled = false })
	e := &oomEngine{fakeEngine: newFake(killed, plain), kills: map[string][]time.Time{
		"id-oom": {t0.Add(-time.Hour), t0.Add(-10*time.Second + 20*time.Millisecond)}, "id-plain": {t0.Add(-time.Minute)}}}
	snap, err := observe(context.Background(), e, NewState(), DefaultPolicy(), nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range snap.Containers {
		if want := c.Name == "oom"; c.OOMKilled != want {
			t.Errorf("%s: OOMKilled %v, want %v", c.Name, c.OOMKilled, want)
		}
	}
	if e.asked != 1 {
		t.Errorf("oom events asked %d times, want 1", e.asked)
	}
	// Nothing exited with 137, nothing restarted: the events are not asked.
	e2 := &oomEngine{fakeEngine: newFake(looping("fresh", t0, 0))}
	if _, err := observe(context.Background(), e2, NewState(), DefaultPolicy(), nil, t0); err != nil || e2.asked != 0 {
		t.Errorf("asked %d times (%v), want 0", e2.asked, err)
	}
}

func TestMarkOOM(t *testing.T) {
	restarted := looping("r", t0, 1) // exited 3s ago, up 2s
	for _, tt := range []struct {
		name string
		c    Container
		at   time.Time
		want bool
	}{
		{"at the exit", oomKilled("x", t0), t0.Add(-time.Second), true},
		{"long before the exit", oomKilled("x", t0), t0.Add(-time.Minute), false},
		{"before the restart (20.10 keeps the flag)", restarted, t0.Add(-3 * time.Second), true},
		{"during the current run (newer engines)", with(restarted, func(c *Container) { c.FinishedAt = time.Time{} }), t0.Add(-time.Second), true},
	} {
		c := tt.c
		c.OOMKilled = false
		MarkOOM(&c, []time.Time{tt.at})
		if c.OOMKilled != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, c.OOMKilled, tt.want)
		}
	}
}

// watch's die events give the exit code the engine forgot by the time the
// container is inspected again (running): in the alert and the state.
func TestRoundUsesDieEvents(t *testing.T) {
	c := looping("loop", t0, 4)
	f := newFake(c)
	hook := &recordingNotifier{}
	r, store, _, _ := newRunner(f, hook)
	died := map[string]ExitRecord{c.ID: {Time: c.FinishedAt.Add(2 * time.Millisecond), ExitCode: 3}}
	if _, err := r.RunRound(context.Background(), RoundOptions{Only: []string{c.ID}, Died: died}); err != nil {
		t.Fatal(err)
	}
	hook.mu.Lock()
	text := ""
	if len(hook.delivered) == 1 {
		text = hook.delivered[0].Text
	}
	hook.mu.Unlock()
	if !strings.Contains(text, "last exit 3s ago: exit 3") {
		t.Errorf("crash-loop notice %q does not name the exit code", text)
	}
	if e := store.st.Containers[c.ID]; e == nil || len(e.Exits) != 1 || e.Exits[0].ExitCode != 3 {
		t.Errorf("state entry %+v, want the exit with code 3", e)
	}
}

// The engine's oom event comes before the exit it causes: a kill first seen
// while its run went on, then at that run's exit, is one kill, told and
// counted once (Engine 28 in the integration suite told it twice).
func TestOOMSeenInRunThenAtExitIsOneKill(t *testing.T) {
	start := t0.Add(-2 * time.Second)
	inRun := Container{ID: "id-oom", Name: "oom", State: "running", Health: HealthNone, Inspected: true,
		StartedAt: start, OOMKilled: true, RestartPolicy: "no", Labels: map[string]string{LabelEnable: "true"}}
	f := newFake(inRun)
	hook := &recordingNotifier{}
	r, store, _, clock := newRunner(f, hook)
	set := func(c Container) { f.mu.Lock(); f.containers[c.ID] = c; f.mu.Unlock() }
	round := func(at time.Time) {
		t.Helper()
		clock.now = at
		if _, err := r.RunRound(context.Background(), RoundOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	round(t0)
	exited := inRun
	exited.State, exited.FinishedAt, exited.ExitCode = "exited", t0.Add(500*time.Millisecond), 137
	set(exited)
	round(t0.Add(time.Second))
	round(t0.Add(2 * time.Second))
	// A second kill, after a start by hand: news.
	set(oomKilled("oom", t0.Add(time.Minute)))
	round(t0.Add(time.Minute + time.Second))

	if got := hook.log(); strings.Count(got, "oom_killed oom") != 2 {
		t.Errorf("want two oom_killed (one per kill), delivered:\n%s", got)
	}
	if n := store.st.OOMKillsTotal["oom"]; n != 2 {
		t.Errorf("oom kills counted %d, want 2", n)
	}
}

// An alert does not stand in for healing: a container the kernel OOM-killed
// a process of, still running and unhealthy, is told about and restarted in
// the same round (before, the alert skipped it until the next resync).
func TestAlertAndHealInOneRound(t *testing.T) {
	c := sick("app")
	c.OOMKilled = true // the oom event, in this run
	c.StartedAt = t0.Add(-10 * time.Minute)
	plan := Decide([]Container{c}, nil, DefaultPolicy(), t0)
	var kinds []string
	for _, s := range plan.Steps {
		kinds = append(kinds, string(s.Kind))
	}
	if got := strings.Join(kinds, ","); got != string(StepAlert)+","+string(StepRestart) {
		t.Errorf("steps %s, want an alert then a restart:\n%s", got, plan)
	}
}
