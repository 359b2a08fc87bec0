package heal

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sick is an inspected, enabled, unhealthy running container started an hour ago.
func sick(name string, labels ...string) Container {
	c := Container{
		ID: "id-" + name, Name: name, State: "running", Health: HealthUnhealthy, FailingStreak: 5,
		StartedAt: t0.Add(-time.Hour), HasHealthcheck: true, Inspected: true,
		Labels: map[string]string{LabelEnable: "true"},
	}
	for i := 0; i+1 < len(labels); i += 2 {
		if labels[i+1] == "<delete>" {
			delete(c.Labels, labels[i])
			continue
		}
		c.Labels[labels[i]] = labels[i+1]
	}
	return c
}

func well(name string, labels ...string) Container {
	c := sick(name, labels...)
	c.Health, c.FailingStreak, c.Inspected = HealthHealthy, 0, false
	return c
}

func with(c Container, f func(*Container)) Container { f(&c); return c }

func state(entries map[string]*Entry) *State {
	st := NewState()
	for name, e := range entries {
		if e.Name == "" {
			e.Name = name
		}
		st.Containers["id-"+name] = e
	}
	return st
}

func restarts(times ...time.Time) []RestartRecord {
	var rs []RestartRecord
	for _, t := range times {
		rs = append(rs, RestartRecord{Time: t, Action: ActionRestart, Result: ResultSuccess})
	}
	return rs
}

func TestDecide(t *testing.T) {
	def := DefaultPolicy()
	all := def
	all.All = true
	minUnhealthy := def
	minUnhealthy.MinUnhealthy = 2 * time.Minute
	grace := def
	grace.Grace = 2 * time.Hour
	maxOne := def
	maxOne.MaxPerRun = 1
	override := def
	override.StopTimeout = 42 * time.Second
	stop10s := 10 * time.Second
	stop5s := 5 * time.Second

	tests := []struct {
		name string
		cs   []Container
		st   *State
		pol  Policy
		want string
	}{
		{name: "nothing at all", want: ""},
		{name: "healthy untracked containers say nothing", cs: []Container{well("web")}, want: ""},
		{name: "labelled sick container is restarted", cs: []Container{sick("web")},
			want: "restart web (unhealthy, streak 5)\n"},
		{name: "enable label is case-insensitive", cs: []Container{sick("web", LabelEnable, "TRUE")},
			want: "restart web (unhealthy, streak 5)\n"},
		{name: "autoheal=true is honoured", cs: []Container{sick("web", LabelEnable, "<delete>", LabelAutoheal, "True")},
			want: "restart web (unhealthy, streak 5)\n"},
		{name: "unlabelled sick container is skipped", cs: []Container{sick("web", LabelEnable, "<delete>")},
			want: "skip web: not enabled (label docker-heal.enable=true, or --all)\n"},
		{name: "enable=false is skipped", cs: []Container{sick("web", LabelEnable, "False")},
			want: "skip web: not enabled (label docker-heal.enable=true, or --all)\n"},
		{name: "--all takes unlabelled", pol: all, cs: []Container{sick("web", LabelEnable, "<delete>")},
			want: "restart web (unhealthy, streak 5)\n"},
		{name: "--all still honours enable=false", pol: all, cs: []Container{sick("web", LabelEnable, "no")},
			want: "skip web: not enabled (label docker-heal.enable=true, or --all)\n"},
		{name: "bad enable label", cs: []Container{sick("web", LabelEnable, "maybe")},
			want: "skip web: label docker-heal.enable=\"maybe\" is not a boolean (true or false); fix the label to let docker heal act\n"},
		{name: "bad max-restarts label", cs: []Container{sick("web", LabelMaxRestarts, "lots")},
			want: "skip web: label docker-heal.max-restarts=\"lots\" must be a whole number of at least 1; fix the label to let docker heal act\n"},
		{name: "bad action label", cs: []Container{sick("web", LabelAction, "reboot")},
			want: "skip web: label docker-heal.action=\"reboot\" must be restart, stop or notify; fix the label to let docker heal act\n"},
		{name: "bad stop-timeout label", cs: []Container{sick("web", LabelStopTimeout, "soon")},
			want: "skip web: label docker-heal.stop-timeout: \"soon\" is not a number of seconds or a duration like 30s; fix the label to let docker heal act\n"},
		{name: "exited never started", cs: []Container{with(sick("web"), func(c *Container) { c.State = "exited" })},
			want: "skip web: exited (docker heal never starts what was stopped)\n"},
		{name: "paused", cs: []Container{with(sick("web"), func(c *Container) { c.State = "paused" })},
			want: "skip web: paused\n"},
		{name: "restarting", cs: []Container{with(sick("web"), func(c *Container) { c.State = "restarting" })},
			want: "skip web: restarting\n"},
		{name: "swarm task", cs: []Container{sick("web", LabelSwarmTask, "abc")},
			want: "skip web: Swarm task (Swarm replaces unhealthy tasks itself)\n"},
		{name: "kubernetes", cs: []Container{sick("web", "io.kubernetes.pod.name", "web-1")},
			want: "skip web: managed by Kubernetes\n"},
		{name: "listed but not inspected: no step", cs: []Container{with(sick("web"), func(c *Container) { c.Inspected = false })},
			want: ""},
		{name: "inside healthcheck start period",
			cs:   []Container{with(sick("web"), func(c *Container) { c.StartedAt = t0.Add(-30 * time.Second); c.StartPeriod = time.Minute })},
			want: "wait web: in grace until 12:00:30 (started 30s ago)\n"},
		{name: "past start period", cs: []Container{with(sick("web"), func(c *Container) { c.StartedAt = t0.Add(-2 * time.Minute); c.StartPeriod = time.Minute })},
			want: "restart web (unhealthy, streak 5)\n"},
		{name: "--grace longer than start period", pol: grace,
			cs:   []Container{with(sick("web"), func(c *Container) { c.StartPeriod = time.Minute })},
			want: "wait web: in grace until 13:00:00 (started 1h ago)\n"},
		{name: "min-unhealthy: first sighting waits", pol: minUnhealthy, cs: []Container{sick("web")},
			want: "wait web: unhealthy for 0s, acting after 2m (--min-unhealthy)\n"},
		{name: "min-unhealthy: seen a minute ago waits", pol: minUnhealthy, cs: []Container{sick("web")},
			st:   state(map[string]*Entry{"web": {FirstSeenUnhealthy: t0.Add(-time.Minute)}}),
			want: "wait web: unhealthy for 1m, acting after 2m (--min-unhealthy)\n"},
		{name: "min-unhealthy: seen long enough acts", pol: minUnhealthy, cs: []Container{sick("web")},
			st:   state(map[string]*Entry{"web": {FirstSeenUnhealthy: t0.Add(-3 * time.Minute)}}),
			want: "restart web (unhealthy 3m, streak 5)\n"},
		{name: "backoff after a restart", cs: []Container{sick("web")},
			st:   state(map[string]*Entry{"web": {FirstSeenUnhealthy: t0.Add(-3 * time.Minute), Restarts: restarts(t0.Add(-30 * time.Second)), BackoffUntil: t0.Add(30 * time.Second)}}),
			want: "wait web: backoff until 12:00:30\n"},
		{name: "backoff over", cs: []Container{sick("web")},
			st:   state(map[string]*Entry{"web": {FirstSeenUnhealthy: t0.Add(-3 * time.Minute), Restarts: restarts(t0.Add(-2 * time.Minute)), BackoffUntil: t0.Add(-time.Minute)}}),
			want: "restart web (unhealthy 3m, streak 5)\n"},
		{name: "budget spent opens the circuit", cs: []Container{sick("web")},
			st:   state(map[string]*Entry{"web": {Restarts: restarts(t0.Add(-50*time.Minute), t0.Add(-40*time.Minute), t0.Add(-10*time.Minute))}}),
			want: "open circuit web: 3 restarts in 1h, still unhealthy\n"},
		{name: "budget spent opens the circuit even inside backoff", cs: []Container{sick("web")},
			st:   state(map[string]*Entry{"web": {Restarts: restarts(t0.Add(-50*time.Minute), t0.Add(-40*time.Minute), t0.Add(-time.Minute)), BackoffUntil: t0.Add(time.Minute)}}),
			want: "open circuit web: 3 restarts in 1h, still unhealthy\n"},
		{name: "old restarts fall out of the window", cs: []Container{sick("web")},
			st:   state(map[string]*Entry{"web": {Restarts: restarts(t0.Add(-3*time.Hour), t0.Add(-2*time.Hour), t0.Add(-10*time.Minute))}}),
			want: "restart web (unhealthy, streak 5)\n"},
		{name: "max-restarts label raises the budget", cs: []Container{sick("web", LabelMaxRestarts, "5")},
			st:   state(map[string]*Entry{"web": {Restarts: restarts(t0.Add(-50*time.Minute), t0.Add(-40*time.Minute), t0.Add(-10*time.Minute))}}),
			want: "restart web (unhealthy, streak 5)\n"},
		{name: "open circuit is reported every run", cs: []Container{sick("web")},
			st:   state(map[string]*Entry{"web": {CircuitOpen: true, CircuitOpenedAt: t0.Add(-5 * time.Minute), Restarts: restarts(t0.Add(-50*time.Minute), t0.Add(-40*time.Minute), t0.Add(-10*time.Minute))}}),
			want: "skip web: circuit open (3 restarts in 1h); docker heal reset web to retry\n"},
		{name: "open circuit, healthy for less than a window", cs: []Container{well("web")},
			st:   state(map[string]*Entry{"web": {CircuitOpen: true, HealthySince: t0.Add(-10 * time.Minute)}}),
			want: "wait web: circuit open, healthy since 11:50:00, closes at 12:50:00\n"},
		{name: "open circuit closes after a healthy window", cs: []Container{well("web")},
			st:   state(map[string]*Entry{"web": {CircuitOpen: true, HealthySince: t0.Add(-time.Hour)}}),
			want: "close circuit web: healthy for 1h\n"},
		{name: "recovered after our restart", cs: []Container{well("web")},
			st:   state(map[string]*Entry{"web": {FirstSeenUnhealthy: t0.Add(-5 * time.Minute), Restarts: restarts(t0.Add(-2 * time.Minute))}}),
			want: "recovered web: healthy again after 1 restart\n"},
		{name: "recovered on its own: nothing to say", cs: []Container{well("web")},
			st:   state(map[string]*Entry{"web": {FirstSeenUnhealthy: t0.Add(-5 * time.Minute)}}),
			want: ""},
		{name: "action stop", cs: []Container{sick("web", LabelAction, "Stop")},
			want: "stop web (unhealthy, streak 5)\n"},
		{name: "action notify", cs: []Container{sick("web", LabelAction, "notify")},
			want: "notify web (unhealthy, streak 5)\n"},
		{name: "action notify, once per episode", cs: []Container{sick("web", LabelAction, "notify")},
			st:   state(map[string]*Entry{"web": {Notified: map[string]bool{EventUnhealthy: true}}}),
			want: "skip web: action notify: already notified for this episode\n"},
		{name: "storm guard keeps the longest sick", pol: maxOne,
			cs: []Container{sick("a"), sick("b"), sick("c")},
			st: state(map[string]*Entry{"b": {FirstSeenUnhealthy: t0.Add(-10 * time.Minute)}, "c": {FirstSeenUnhealthy: t0.Add(-5 * time.Minute)}}),
			want: "wait a: storm guard: 1 action already this run (--max-per-run)\n" +
				"restart b (unhealthy 10m, streak 5)\n" +
				"wait c: storm guard: 1 action already this run (--max-per-run)\n"},
		{name: "storm guard does not count waits and skips", pol: maxOne,
			cs: []Container{sick("a", LabelEnable, "false"), with(sick("b"), func(c *Container) { c.StartPeriod = 2 * time.Hour }), sick("c")},
			want: "skip a: not enabled (label docker-heal.enable=true, or --all)\n" +
				"wait b: in grace until 13:00:00 (started 1h ago)\n" +
				"restart c (unhealthy, streak 5)\n"},
		{name: "shared network namespace restarts after the parent, by id or name",
			cs: []Container{sick("web"),
				with(well("sidecar", LabelEnable, "<delete>"), func(c *Container) { c.NetworkMode = "container:id-web" }),
				with(well("proxy", LabelEnable, "<delete>"), func(c *Container) { c.NetworkMode = "container:web" }),
				with(well("other"), func(c *Container) { c.NetworkMode = "container:id-elsewhere" })},
			want: "restart web (unhealthy, streak 5)\n  then restart proxy: shares network namespace of web\n  then restart sidecar: shares network namespace of web\n"},
		{name: "stopped, paused and disabled dependents are left alone",
			cs: []Container{sick("web"),
				with(well("a"), func(c *Container) { c.NetworkMode = "container:id-web"; c.State = "exited" }),
				with(well("b"), func(c *Container) { c.NetworkMode = "container:id-web"; c.State = "paused" }),
				with(well("c", LabelEnable, "false"), func(c *Container) { c.NetworkMode = "container:id-web" })},
			want: "restart web (unhealthy, streak 5)\n"},
		{name: "compose depends_on restart:true opts in, restart:false and other projects do not",
			cs: []Container{
				with(sick("p-db-1"), func(c *Container) { c.Project, c.Service = "p", "db" }),
				with(well("p-api-1", LabelComposeDependsOn, "db:service_healthy:true,cache:service_started:false"), func(c *Container) { c.Project, c.Service = "p", "api" }),
				with(well("p-worker-1", LabelComposeDependsOn, "db:service_started:false"), func(c *Container) { c.Project, c.Service = "p", "worker" }),
				with(well("p-old-1", LabelComposeDependsOn, "db"), func(c *Container) { c.Project, c.Service = "p", "old" }),
				with(well("q-api-1", LabelComposeDependsOn, "db:service_healthy:true"), func(c *Container) { c.Project, c.Service = "q", "api" }),
			},
			want: "restart p-db-1 (unhealthy, streak 5)\n  then restart p-api-1: depends on db (compose depends_on restart: true)\n"},
		{name: "restart-with label opts in, transitively and in order",
			cs: []Container{
				with(sick("p-db-1"), func(c *Container) { c.Project, c.Service = "p", "db" }),
				with(well("p-api-1", LabelRestartWith, "db"), func(c *Container) { c.Project, c.Service = "p", "api" }),
				with(well("p-web-1", LabelComposeDependsOn, "api:service_started:true"), func(c *Container) { c.Project, c.Service = "p", "web" }),
				with(well("p-api-side"), func(c *Container) { c.NetworkMode = "container:id-p-api-1" }),
			},
			want: "restart p-db-1 (unhealthy, streak 5)\n  then restart p-api-1: restart-with db\n" +
				"  then restart p-api-side: shares network namespace of p-api-1\n  then restart p-web-1: depends on api (compose depends_on restart: true)\n"},
		{name: "a sick dependent restarts after its sick parent, not beside it",
			cs:   []Container{sick("web"), with(sick("side"), func(c *Container) { c.NetworkMode = "container:id-web" })},
			want: "restart web (unhealthy, streak 5)\n  then restart side: shares network namespace of web\n"},
		{name: "a dependent of two parents restarts once",
			cs: []Container{
				with(sick("p-a-1"), func(c *Container) { c.Project, c.Service = "p", "a" }),
				with(sick("p-b-1"), func(c *Container) { c.Project, c.Service = "p", "b" }),
				with(well("p-c-1", LabelComposeDependsOn, "a:service_started:true,b:service_started:true"), func(c *Container) { c.Project, c.Service = "p", "c" }),
			},
			want: "restart p-a-1 (unhealthy, streak 5)\n  then restart p-c-1: depends on a (compose depends_on restart: true)\nrestart p-b-1 (unhealthy, streak 5)\n"},
		{name: "a label loop does not lose both",
			cs: []Container{
				with(sick("p-a-1", LabelRestartWith, "b"), func(c *Container) { c.Project, c.Service = "p", "a" }),
				with(sick("p-b-1", LabelRestartWith, "a"), func(c *Container) { c.Project, c.Service = "p", "b" }),
			},
			want: "restart p-a-1 (unhealthy, streak 5)\n  then restart p-b-1: restart-with a\n"},
		{name: "stop has no dependents", cs: []Container{sick("web", LabelAction, "stop"), with(well("side"), func(c *Container) { c.NetworkMode = "container:id-web" })},
			want: "stop web (unhealthy, streak 5)\n"},
		{name: "swarm dependent left alone", cs: []Container{sick("web"), with(well("side", LabelSwarmTask, "x"), func(c *Container) { c.NetworkMode = "container:id-web" })},
			want: "restart web (unhealthy, streak 5)\n"},
		{name: "stop timeout: label wins over --stop-timeout and own", pol: override,
			cs: []Container{
				with(sick("a", LabelStopTimeout, "3"), func(c *Container) { c.StopTimeout = &stop10s }),
				with(sick("b"), func(c *Container) { c.StopTimeout = &stop5s }),
			},
			want: "restart a (unhealthy, streak 5)\nrestart b (unhealthy, streak 5)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := tt.pol
			if pol.MaxRestarts == 0 {
				pol = def
			}
			got := Decide(tt.cs, tt.st, pol, t0).String()
			if got != tt.want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestDecideStopTimeouts(t *testing.T) {
	ten, five := 10*time.Second, 5*time.Second
	pol := DefaultPolicy()
	cs := []Container{
		with(sick("label", LabelStopTimeout, "3"), func(c *Container) { c.StopTimeout = &ten }),
		with(sick("autoheal", LabelAutohealStopTimeout, "7"), func(c *Container) {}),
		with(sick("both", LabelAutohealStopTimeout, "7", LabelStopTimeout, "1m"), func(c *Container) {}),
		with(sick("own"), func(c *Container) { c.StopTimeout = &five }),
		sick("default"),
	}
	want := map[string]time.Duration{"label": 3 * time.Second, "autoheal": 7 * time.Second, "both": time.Minute, "own": 5 * time.Second, "default": 10 * time.Second}
	check := func(pol Policy, want map[string]time.Duration) {
		t.Helper()
		for _, s := range Decide(cs, nil, pol, t0).Steps {
			if s.StopTimeout != want[s.Container.Name] {
				t.Errorf("%s: stop timeout %s, want %s", s.Container.Name, s.StopTimeout, want[s.Container.Name])
			}
		}
	}
	check(pol, want)
	pol.StopTimeout = 42 * time.Second
	want["own"], want["default"] = 42*time.Second, 42*time.Second
	check(pol, want)

	// --max-stop-timeout caps labels, --stop-timeout and the container's own.
	pol.MaxStopTimeout = 6 * time.Second
	want = map[string]time.Duration{"label": 3 * time.Second, "autoheal": 6 * time.Second, "both": 6 * time.Second, "own": 6 * time.Second, "default": 6 * time.Second}
	check(pol, want)
}

func TestDecideReportsACappedStopTimeout(t *testing.T) {
	pol := DefaultPolicy()
	huge := 1000 * time.Hour
	cs := []Container{
		sick("label", LabelStopTimeout, "1000h"),
		with(sick("own"), func(c *Container) { c.StopTimeout = &huge }),
		sick("small", LabelStopTimeout, "5"),
	}
	want := "restart label (unhealthy, streak 5, stop timeout 1000h capped to 2m (--max-stop-timeout))\n" +
		"restart own (unhealthy, streak 5, stop timeout 1000h capped to 2m (--max-stop-timeout))\n" +
		"restart small (unhealthy, streak 5)\n"
	if got := Decide(cs, nil, pol, t0).String(); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	pol.MaxStopTimeout = 0 // no cap
	for _, s := range Decide(cs, nil, pol, t0).Steps {
		if s.StopTimeoutAsked != 0 || (s.Container.Name != "small" && s.StopTimeout != huge) {
			t.Errorf("%s: uncapped stop timeout %s (asked %s)", s.Container.Name, s.StopTimeout, s.StopTimeoutAsked)
		}
	}
}

func TestDecideIsPure(t *testing.T) {
	cs := []Container{sick("b"), sick("a")}
	st := state(map[string]*Entry{"a": {FirstSeenUnhealthy: t0.Add(-time.Minute)}})
	before := st.Containers["id-a"].FirstSeenUnhealthy
	p1 := Decide(cs, st, DefaultPolicy(), t0).String()
	p2 := Decide(cs, st, DefaultPolicy(), t0).String()
	if p1 != p2 {
		t.Fatalf("two calls differ:\n%s\n%s", p1, p2)
	}
	if cs[0].Name != "b" || !st.Containers["id-a"].FirstSeenUnhealthy.Equal(before) || len(st.Containers) != 1 {
		t.Fatal("Decide changed its inputs")
	}
}

func TestBackoffAfter(t *testing.T) {
	p := DefaultPolicy()
	want := []time.Duration{0, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 30 * time.Minute, 30 * time.Minute}
	for n, w := range want {
		if got := p.BackoffAfter(n); got != w {
			t.Errorf("BackoffAfter(%d) = %s, want %s", n, got, w)
		}
	}
	if got := p.BackoffAfter(200); got != 30*time.Minute {
		t.Errorf("BackoffAfter(200) = %s, want the cap", got)
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "True": true, " yes ": true, "1": true, "on": true, "false": false, "FALSE": false, "No": false, "0": false, "off": false} {
		got, ok := ParseBool(in)
		if !ok || got != want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := ParseBool("maybe"); ok {
		t.Error("ParseBool(maybe) accepted")
	}
}

func TestDependsOnLabel(t *testing.T) {
	got := dependsOn("db:service_healthy:true,cache:service_started:false,legacy,old:service_started")
	want := map[string]bool{"db": true, "cache": false, "legacy": false, "old": false}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %v, want %v", k, got[k], v)
		}
	}
}

func TestPlanEventfulAndFailed(t *testing.T) {
	waitOnly := Decide([]Container{with(sick("a"), func(c *Container) { c.StartPeriod = 2 * time.Hour })}, nil, DefaultPolicy(), t0)
	if waitOnly.Eventful() || waitOnly.Failed() {
		t.Errorf("a wait is neither eventful nor failed: %s", waitOnly)
	}
	open := Decide([]Container{sick("a")}, state(map[string]*Entry{"a": {CircuitOpen: true}}), DefaultPolicy(), t0)
	if !open.Eventful() || open.Failed() {
		t.Errorf("an already open circuit is reported (eventful) but does not fail the round again: %s", open)
	}
	spent := state(map[string]*Entry{"a": {Restarts: restarts(t0.Add(-50*time.Minute), t0.Add(-40*time.Minute), t0.Add(-10*time.Minute))}})
	opening := Decide([]Container{sick("a")}, spent, DefaultPolicy(), t0)
	if !opening.Failed() || !strings.Contains(opening.String(), "circuit") {
		t.Errorf("the round that opens a circuit fails: %s", opening)
	}
	if !strings.Contains(open.String(), "circuit open") {
		t.Errorf("plan %q", open)
	}
}
