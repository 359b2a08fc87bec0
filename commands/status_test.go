package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

var statusT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func statusID(n int) string { return fmt.Sprintf("%x", sha256.Sum256([]byte{byte(n)})) }

// statusFake serves, as Engine 20.10 would: a healthy compose web container
// with heal enabled, an unhealthy one (streak 7), a starting one, one without
// healthcheck, and an exited one.
func statusFake(t *testing.T, now time.Time) *enginetest.FakeDaemon {
	t.Helper()
	f := enginetest.NewFakeDaemon()
	t.Cleanup(f.Close)
	web := enginetest.FakeContainer(statusID(1), "shop-web-1", "healthy", 3*time.Hour, now, map[string]string{
		"com.docker.compose.project": "shop", "com.docker.compose.service": "web", "docker-heal.enable": "TRUE",
	})
	sick := enginetest.FakeContainer(statusID(2), "shop-worker-1", "unhealthy", 10*time.Minute, now, map[string]string{
		"com.docker.compose.project": "shop", "com.docker.compose.service": "worker", "autoheal": "true",
	})
	starting := enginetest.FakeContainer(statusID(3), "cache", "starting", 2*time.Second, now, nil)
	plain := enginetest.FakeContainer(statusID(4), "sidecar", "none", 26*time.Hour, now, nil)
	exited := enginetest.FakeContainer(statusID(5), "old-job", "none", time.Hour, now, nil)
	exited.State.Status, exited.State.Running, exited.State.ExitCode = container.StateExited, false, 3
	f.Add(web, sick, starting, plain, exited)
	return f
}

func statusRun(t *testing.T, f *enginetest.FakeDaemon, opts statusOptions) (string, error) {
	t.Helper()
	if opts.now == nil {
		opts.now = func() time.Time { return statusT0 }
	}
	if opts.format == "" {
		opts.format = "table"
	}
	var out bytes.Buffer
	err := runStatus(context.Background(), &out, dockerengine.New(f.Client()), opts)
	return out.String(), err
}

func TestStatusTableGolden(t *testing.T) {
	f := statusFake(t, statusT0)
	out, err := statusRun(t, f, statusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "status/table.txt", out)
	out, err = statusRun(t, f, statusOptions{all: true, noTrunc: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "status/table-all-notrunc.txt", out)
}

func TestStatusJSON(t *testing.T) {
	f := statusFake(t, statusT0)
	out, err := statusRun(t, f, statusOptions{format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4 running containers:\n%s", len(lines), out)
	}
	type probe struct {
		Time     time.Time `json:"time"`
		ExitCode int       `json:"exit_code"`
		Output   string    `json:"output"`
	}
	type row struct {
		Name          string     `json:"name"`
		ID            string     `json:"id"`
		Project       string     `json:"project"`
		Service       string     `json:"service"`
		State         string     `json:"state"`
		Health        string     `json:"health"`
		FailingStreak int        `json:"failing_streak"`
		LastProbe     *probe     `json:"last_probe"`
		StartedAt     *time.Time `json:"started_at"`
		Heal          string     `json:"heal"`
		Condition     string     `json:"condition"`
		Reason        string     `json:"reason"`
		Restarts      int        `json:"restarts"`
		Since         *time.Time `json:"since"`
		ExitCode      *int       `json:"exit_code"`
		OOMKilled     bool       `json:"oom_killed"`
	}
	got := map[string]row{}
	for _, l := range lines {
		var r row
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		got[r.Name] = r
	}
	tests := []struct {
		name, health, heal, project, service string
		condition                            string
		streak                               int
		probeExit                            int // -1: no probe
		probeOut                             string
		up                                   time.Duration
	}{
		{"shop-web-1", "healthy", "on", "shop", "web", "healthy", 0, 0, "ok: up 300s\n", 3 * time.Hour},
		{"shop-worker-1", "unhealthy", "on", "shop", "worker", "unhealthy", 7, 1, "sick: made sick by `app sicken`\nsecond line\n", 10 * time.Minute},
		{"cache", "starting", "off", "", "", "starting", 0, -1, "", 2 * time.Second},
		{"sidecar", "none", "off", "", "", "running", 0, -1, "", 26 * time.Hour},
	}
	for _, tt := range tests {
		r, ok := got[tt.name]
		if !ok {
			t.Errorf("%s missing", tt.name)
			continue
		}
		if r.Health != tt.health || r.Heal != tt.heal || r.Project != tt.project || r.Service != tt.service || r.FailingStreak != tt.streak || r.State != "running" {
			t.Errorf("%s: %+v", tt.name, r)
		}
		if r.Condition != tt.condition || r.Reason == "" || r.Since == nil || r.ExitCode != nil {
			t.Errorf("%s: condition %q reason %q since %v exit %v, want %q with a reason, a time and no exit code", tt.name, r.Condition, r.Reason, r.Since, r.ExitCode, tt.condition)
		}
		if r.StartedAt == nil || !r.StartedAt.Equal(statusT0.Add(-tt.up)) {
			t.Errorf("%s: started_at %v, want %v", tt.name, r.StartedAt, statusT0.Add(-tt.up))
		}
		if len(r.ID) != 64 {
			t.Errorf("%s: id %q", tt.name, r.ID)
		}
		switch {
		case tt.probeExit < 0 && r.LastProbe != nil:
			t.Errorf("%s: last_probe %+v, want null", tt.name, r.LastProbe)
		case tt.probeExit >= 0 && (r.LastProbe == nil || r.LastProbe.ExitCode != tt.probeExit || r.LastProbe.Output != tt.probeOut || r.LastProbe.Time.IsZero()):
			t.Errorf("%s: last_probe %+v, want exit %d output %q", tt.name, r.LastProbe, tt.probeExit, tt.probeOut)
		}
	}
}

func TestStatusSelection(t *testing.T) {
	tests := []struct {
		name  string
		opts  statusOptions
		want  string // names, in output order
		exit  int
		error string
	}{
		{"running", statusOptions{}, "cache sidecar shop-web-1 shop-worker-1", 0, ""},
		{"all", statusOptions{all: true}, "cache old-job sidecar shop-web-1 shop-worker-1", 0, ""},
		{"unhealthy", statusOptions{unhealthy: true}, "shop-worker-1", 0, ""},
		{"project", statusOptions{project: "shop"}, "shop-web-1 shop-worker-1", 0, ""},
		{"filter label", statusOptions{filters: []string{"label=com.docker.compose.service=web"}}, "shop-web-1", 0, ""},
		{"filter health twice", statusOptions{filters: []string{"health=starting", "health=healthy"}}, "cache shop-web-1", 0, ""},
		{"named, stopped too", statusOptions{names: []string{"old-job", "cache"}}, "cache old-job", 0, ""},
		{"named by id prefix", statusOptions{names: []string{statusID(4)[:12]}}, "sidecar", 0, ""},
		{"named and filtered out", statusOptions{names: []string{"cache"}, unhealthy: true}, "", 0, ""},
		{"unknown name", statusOptions{names: []string{"nope"}}, "", 2, "no such container: nope"},
		{"bad filter", statusOptions{filters: []string{"health"}}, "", 2, `--filter "health": use KEY=VALUE`},
		{"bad template", statusOptions{format: "{{.Name"}, "", 2, "--format"},
		{"wait for the unhealthy", statusOptions{wait: true, unhealthy: true, timeout: time.Second}, "", 2, "could never pass"},
		{"wait without time", statusOptions{wait: true}, "", 2, "positive timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := statusFake(t, statusT0)
			if tt.opts.format == "" {
				tt.opts.format = "{{.Name}}"
			}
			out, err := statusRun(t, f, tt.opts)
			if code(err) != tt.exit {
				t.Fatalf("exit %d (%v), want %d", code(err), err, tt.exit)
			}
			if tt.error != "" && (err == nil || !strings.Contains(err.Error(), tt.error)) {
				t.Errorf("error %v, want it to say %q", err, tt.error)
			}
			if got := strings.Join(strings.Fields(out), " "); got != tt.want {
				t.Errorf("shown %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStatusAmbiguousPrefix(t *testing.T) {
	f := enginetest.NewFakeDaemon()
	defer f.Close()
	f.Add(enginetest.FakeContainer("abcd1"+strings.Repeat("0", 59), "one", "healthy", time.Hour, statusT0, nil),
		enginetest.FakeContainer("abcd2"+strings.Repeat("0", 59), "two", "healthy", time.Hour, statusT0, nil))
	_, err := statusRun(t, f, statusOptions{names: []string{"abcd"}})
	if code(err) != ExitError || !strings.Contains(err.Error(), "abcd matches 2 containers") {
		t.Errorf("got %v, want exit 2 naming the ambiguous prefix", err)
	}
	out, err := statusRun(t, f, statusOptions{names: []string{"abcd2"}, format: "{{.Name}}"})
	if err != nil || strings.TrimSpace(out) != "two" {
		t.Errorf("abcd2: %q %v", out, err)
	}
}

func TestStatusTemplateAndTruncation(t *testing.T) {
	f := statusFake(t, statusT0)
	long := strings.Repeat("x", 100)
	f.Update(statusID(2), func(c *container.InspectResponse) {
		c.State.Health.Log[1].Output = "database refused: " + long + "\nmore"
	})
	out, err := statusRun(t, f, statusOptions{format: `{{.Name}}|{{.Health}}|{{.FailingStreak}}|{{.Probe}}|{{.Uptime}}|{{json .LastProbe}}`, unhealthy: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "shop-worker-1|unhealthy|7|2s ago, exit 1: database refused: xxxxxxxxxxxxxxxxxxxxx…|10 minutes|"
	if !strings.HasPrefix(out, want) {
		t.Errorf("got  %q\nwant %q...", out, want)
	}
	out, err = statusRun(t, f, statusOptions{format: `{{.Probe}}`, unhealthy: true, noTrunc: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, long+" ⏎ more") {
		t.Errorf("--no-trunc: %q", out)
	}
}

func TestStatusInspectsOnlyTheSelection(t *testing.T) {
	f := enginetest.NewFakeDaemon()
	defer f.Close()
	for i := range 30 {
		h := "healthy"
		if i%10 == 0 {
			h = "unhealthy"
		}
		f.Add(enginetest.FakeContainer(statusID(i), fmt.Sprintf("c%02d", i), h, time.Hour, statusT0, nil))
	}
	out, err := statusRun(t, f, statusOptions{unhealthy: true, format: "{{.Name}}"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(strings.Fields(out), " ") != "c00 c10 c20" {
		t.Errorf("shown %q", out)
	}
	if n := f.CallsTo("GET /containers/{id}/json"); n != 3 {
		t.Errorf("%d inspects for 3 selected containers", n)
	}
	if n := f.CallsTo("GET /containers/json"); n != 1 {
		t.Errorf("%d lists", n)
	}
}

func TestStatusSkipsVanished(t *testing.T) {
	f := statusFake(t, statusT0)
	f.Vanish(statusID(2))
	out, err := statusRun(t, f, statusOptions{format: "{{.Name}}"})
	if err != nil {
		t.Fatalf("a container removed between list and inspect must be skipped: %v", err)
	}
	if strings.Contains(out, "shop-worker-1") || !strings.Contains(out, "shop-web-1") {
		t.Errorf("shown %q", out)
	}
}

func TestStatusEngineUnreachable(t *testing.T) {
	api, addr := unreachableClient(t)
	var out, errOut bytes.Buffer
	err := runStatus(context.Background(), &out, dockerengine.New(api), statusOptions{format: "table"})
	code := exitCode(&errOut, err)
	msg := errOut.String()
	if code != ExitError || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "tcp://"+addr) || !strings.HasPrefix(msg, "docker heal: cannot reach the Docker engine") {
		t.Errorf("exit %d, stderr %q: want 2 and one line naming the endpoint", code, msg)
	}
	if out.Len() != 0 {
		t.Errorf("stdout %q", out.String())
	}
}

// turningEngine lets a test change the fake engine after some list calls.
type turningEngine struct {
	*dockerengine.Engine
	lists atomic.Int32
	at    int32
	turn  func()
}

func (e *turningEngine) List(ctx context.Context, opts heal.ListOptions) ([]heal.Container, error) {
	if e.lists.Add(1) == e.at && e.turn != nil {
		e.turn()
	}
	return e.Engine.List(ctx, opts)
}

func TestStatusWait(t *testing.T) {
	healthyLog := []*container.HealthcheckResult{{Start: time.Now(), End: time.Now(), ExitCode: 0, Output: "ok"}}
	tests := []struct {
		name    string
		opts    statusOptions
		turn    func(f *enginetest.FakeDaemon)
		exit    int
		says    []string
		notSays []string
	}{
		{
			name: "unhealthy turns healthy",
			opts: statusOptions{project: "shop"},
			turn: func(f *enginetest.FakeDaemon) {
				f.Update(statusID(2), func(c *container.InspectResponse) {
					c.State.Health = &container.Health{Status: container.Healthy, Log: healthyLog}
				})
			},
			exit: 0,
			says: []string{"shop-worker-1 healthy"},
		},
		{
			name: "stays unhealthy",
			opts: statusOptions{project: "shop"},
			exit: 1,
			says: []string{"timed out after 300ms waiting for 1 container of 2", "shop-worker-1: unhealthy (failing streak 7), last probe", "exit 1: sick: made sick by `app sicken`"},
		},
		{
			name:    "stays starting",
			opts:    statusOptions{names: []string{"cache", "sidecar"}},
			exit:    1,
			says:    []string{"cache: starting, no probe result yet"},
			notSays: []string{"sidecar"},
		},
		{
			name: "no healthcheck counts when running",
			opts: statusOptions{names: []string{"sidecar"}},
			exit: 0,
			says: []string{"sidecar"},
		},
		{
			name: "exited is not ready",
			opts: statusOptions{names: []string{"old-job"}},
			exit: 1,
			says: []string{"old-job: exited"},
		},
		{
			name: "nothing selected never passes",
			opts: statusOptions{project: "typo"},
			exit: 1,
			says: []string{"no container matches"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := statusFake(t, time.Now())
			// Start unhealthy for the turning case, as a fresh deploy would be.
			e := &turningEngine{Engine: dockerengine.New(f.Client()), at: 3}
			if tt.turn != nil {
				e.turn = func() { tt.turn(f) }
			}
			opts := tt.opts
			opts.wait, opts.timeout, opts.pollEvery, opts.format = true, 300*time.Millisecond, 10*time.Millisecond, "{{.Name}} {{.Health}}"
			opts.now = time.Now
			var out bytes.Buffer
			err := runStatus(context.Background(), &out, e, opts)
			if code(err) != tt.exit {
				t.Fatalf("exit %d (%v), want %d", code(err), err, tt.exit)
			}
			text := out.String()
			if err != nil {
				text += err.Error()
			}
			for _, s := range tt.says {
				if !strings.Contains(text, s) {
					t.Errorf("output %q does not say %q", text, s)
				}
			}
			for _, s := range tt.notSays {
				if strings.Contains(text, s) {
					t.Errorf("output %q says %q", text, s)
				}
			}
			if tt.turn != nil && e.lists.Load() < 3 {
				t.Errorf("passed after %d rounds, before the container turned healthy", e.lists.Load())
			}
		})
	}
}

func TestReadyAndProbeText(t *testing.T) {
	p := heal.Probe{Start: statusT0.Add(-90 * time.Second), ExitCode: 1, Output: "line one\nline two"}
	tests := []struct {
		c      heal.Container
		ok     bool
		failed bool
		would  string
	}{
		{heal.Container{State: "running", Health: "healthy"}, true, false, ""},
		{heal.Container{State: "running", Health: "none"}, true, false, ""},
		{heal.Container{State: "restarting", Health: "none"}, false, false, "restarting"},
		{heal.Container{State: "restarting", Inspected: true, RestartCount: 1, RestartPolicy: "always", ExitCode: 1}, false, false, "restarting"},
		{heal.Container{State: "restarting", Inspected: true, RestartCount: 5, RestartPolicy: "always", ExitCode: 1}, false, true,
			"crash-loop: exit 1 (error); restarted 5 times by the engine, waiting to start it again"},
		{heal.Container{State: "exited", Inspected: true, ExitCode: 137, OOMKilled: true}, false, true, "oom-killed: exit 137 (SIGKILL, out of memory: OOMKilled)"},
		{heal.Container{State: "exited", ExitCode: 3}, false, false, "exited"}, // listed only: inspected before failing
		{heal.Container{State: "exited", Inspected: true, ExitCode: 3}, false, true, "exited: exit 3"},
		{heal.Container{State: "running", Health: "starting"}, false, false, "starting, no probe result yet"},
		{heal.Container{State: "running", Inspected: true, Health: "starting", StartedAt: statusT0.Add(-5 * time.Second), StartPeriod: time.Minute}, false, false,
			"starting (start period: 55s left), no probe result yet"},
		{heal.Container{State: "running", Health: "unhealthy", FailingStreak: 4, Probes: []heal.Probe{p}}, false, false, "unhealthy (failing streak 4), last probe 1m ago, exit 1: line one ⏎ line two"},
	}
	for _, tt := range tests {
		ok, failed, why := ready(tt.c, statusT0)
		if ok != tt.ok || failed != tt.failed || why != tt.would {
			t.Errorf("%+v: ready %v failed %v %q, want %v %v %q", tt.c, ok, failed, why, tt.ok, tt.failed, tt.would)
		}
	}
}

func TestStatusHealColumnReadsOncesState(t *testing.T) {
	f := statusFake(t, statusT0)
	path := t.TempDir() + "/state.json"
	st := heal.NewState()
	st.Containers[statusID(2)] = &heal.Entry{Name: "shop-worker-1", CircuitOpen: true, CircuitOpenedAt: statusT0.Add(-time.Minute)}
	st.Containers[statusID(1)] = &heal.Entry{Name: "shop-web-1", BackoffUntil: statusT0.Add(10 * time.Minute)}
	if err := store.SaveState(path, st, statusT0); err != nil {
		t.Fatal(err)
	}
	out, err := statusRun(t, f, statusOptions{format: "{{.Name}}={{.Heal}}", healColumn: stateHealColumn(path, heal.DefaultPolicy())})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"shop-worker-1=circuit open", "shop-web-1=backoff until 12:10", "cache=off", "sidecar=off"} {
		if !strings.Contains(out, want) {
			t.Errorf("HEAL column: %q does not say %q", out, want)
		}
	}
	// No state file (first run of once not yet done): labels alone decide.
	out, err = statusRun(t, f, statusOptions{format: "{{.Name}}={{.Heal}}", healColumn: stateHealColumn(t.TempDir()+"/none.json", heal.DefaultPolicy())})
	if err != nil || !strings.Contains(out, "shop-worker-1=on") || !strings.Contains(out, "cache=off") {
		t.Errorf("without state: %q %v", out, err)
	}
}

// unreachableClient is a client for a loopback port nothing listens on.
func unreachableClient(t *testing.T) (*client.Client, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	api, err := client.New(client.WithHost("tcp://" + addr))
	if err != nil {
		t.Fatal(err)
	}
	return api, addr
}

// hostileProbe is what a container can print to take over a terminal: set
// the window title, ring the bell, clear the screen.
const hostileProbe = "\x1b]0;owned\x07\x1b[2J"

// hostileEscaped is how it must be shown.
const hostileEscaped = `\x1b]0;owned\a\x1b[2J`

// noControl fails the test when text holds a control character other than
// newline and tab.
func noControl(t *testing.T, what, text string) {
	t.Helper()
	for _, r := range text {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			t.Errorf("%s holds control character %U:\n%q", what, r, text)
			return
		}
	}
}

func TestStatusEscapesProbeOutputAndLabels(t *testing.T) {
	now := time.Now()
	f := enginetest.NewFakeDaemon()
	t.Cleanup(f.Close)
	ok := enginetest.FakeContainer(statusID(11), "hostile-ok", "healthy", time.Hour, now, map[string]string{
		"com.docker.compose.project": "p\x1b[31m", "com.docker.compose.service": "s\u009b2J"})
	ok.State.Health.Log[0].Output = "ok " + hostileProbe + "\n"
	sick := enginetest.FakeContainer(statusID(12), "hostile-sick", "unhealthy", time.Hour, now, nil)
	for _, p := range sick.State.Health.Log {
		p.Output = "sick " + hostileProbe + "\nline two " + hostileProbe
	}
	f.Add(ok, sick)

	for _, opts := range []statusOptions{
		{format: "table {{.Name}}\t{{.ProjectService}}\t{{.Probe}}"},
		{format: "table {{.Name}}\t{{.Project}}\t{{.Reason}}\t{{.Probe}}", noTrunc: true},
		{format: "{{.Name}} {{.Project}} {{.LastProbe.Output}} {{.Probe}}"},
		{format: "table {{.Name}}\t{{.LastProbe.Output}}", wait: true, timeout: time.Minute, names: []string{"hostile-ok"}},
	} {
		out, err := statusRun(t, f, opts)
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		noControl(t, fmt.Sprintf("status --format %q --no-trunc=%v --wait=%v", opts.format, opts.noTrunc, opts.wait), out)
		if opts.noTrunc && !strings.Contains(out, "last probe: exit 1: sick "+hostileEscaped) {
			t.Errorf("the reason does not show the probe escaped:\n%s", out)
		}
		if !strings.Contains(out, hostileEscaped) {
			t.Errorf("format %q: the probe output is not shown escaped:\n%s", opts.format, out)
		}
		if !opts.wait && !strings.Contains(out, `p\x1b[31m`) {
			t.Errorf("format %q: the project label is not shown escaped:\n%s", opts.format, out)
		}
	}

	// The deploy gate's timeout names the sick container with its probe.
	_, err := statusRun(t, f, statusOptions{wait: true, timeout: 50 * time.Millisecond, pollEvery: 10 * time.Millisecond, names: []string{"hostile-sick"}, now: time.Now})
	if code(err) != ExitFindings {
		t.Fatalf("--wait on a sick container: exit %d (%v), want 1", code(err), err)
	}
	var stderr bytes.Buffer
	exitCode(&stderr, err)
	noControl(t, "status --wait timeout message", stderr.String())
	if !strings.Contains(stderr.String(), "hostile-sick: unhealthy") || !strings.Contains(stderr.String(), "sick "+hostileEscaped) {
		t.Errorf("--wait timeout message:\n%s", stderr.String())
	}

	// JSON escapes control characters itself; the text stays exact.
	out, err := statusRun(t, f, statusOptions{format: "json", names: []string{"hostile-ok"}})
	if err != nil {
		t.Fatal(err)
	}
	noControl(t, "status --format json", out)
	var row statusRow
	if err := json.Unmarshal([]byte(out), &row); err != nil || row.LastProbe == nil || row.LastProbe.Output != "ok "+hostileProbe+"\n" {
		t.Errorf("json row: %v %+v", err, row)
	}
}

// status reads the host config as once does: with heal: {all: true} an
// unlabelled container is one once would act on.
func TestStatusHealColumnFollowsConfig(t *testing.T) {
	f := statusFake(t, statusT0)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("heal:\n  all: true\n  state-file: "+filepath.Join(dir, "state.json")+"\n"), 0o600)
	heals := func(args ...string) string {
		t.Helper()
		opts := statusOptions{format: "{{.Name}}={{.Heal}}"}
		cmd := newStatusCommand(nil)
		if err := cmd.ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		opts.configFile, _ = cmd.Flags().GetString("config")
		if err := opts.configure(cmd.Flags()); err != nil {
			t.Fatal(err)
		}
		if opts.stateFile != filepath.Join(dir, "state.json") && len(args) > 0 {
			t.Errorf("state file %q: the config's heal.state-file was not used", opts.stateFile)
		}
		out, err := statusRun(t, f, opts)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no user config
	if out := heals("--config", cfg); !strings.Contains(out, "sidecar=on") || !strings.Contains(out, "cache=on") {
		t.Errorf("with heal.all, unlabelled containers should show on:\n%s", out)
	}
	if out := heals(); !strings.Contains(out, "sidecar=off") {
		t.Errorf("without a config, unlabelled containers are off:\n%s", out)
	}
}

// status, audit and reset name containers the same way (heal.Match): an
// ambiguous prefix is an error naming the candidates, a unique one of 4
// characters names its container, 3 characters name nothing.
func TestOneMatcherForStatusAuditReset(t *testing.T) {
	f := enginetest.NewFakeDaemon()
	defer f.Close()
	one, two := "abcd1"+strings.Repeat("0", 59), "abcd2"+strings.Repeat("0", 59)
	f.Add(enginetest.FakeContainer(one, "one", "healthy", time.Hour, statusT0, nil),
		enginetest.FakeContainer(two, "two", "healthy", time.Hour, statusT0, nil))
	candidates := "one (abcd10000000), two (abcd20000000)"

	if _, err := statusRun(t, f, statusOptions{names: []string{"abcd"}}); err == nil || !strings.Contains(err.Error(), candidates) {
		t.Errorf("status: %v, want the candidates named", err)
	}
	if _, errOut, exit := auditRun(t, f.Client(), auditOptions{}, "abcd"); exit != ExitError || !strings.Contains(errOut, candidates) {
		t.Errorf("audit: exit %d %q, want 2 naming the candidates", exit, errOut)
	}
	if out, _, exit := auditRun(t, f.Client(), auditOptions{findingOptions: findingOptions{format: "json", failOn: "none"}}, "abcd2"); exit != ExitOK || !strings.Contains(out, `"two"`) || strings.Contains(out, `"one"`) {
		t.Errorf("audit by unique prefix: exit %d\n%s", exit, out)
	}
	if _, errOut, exit := auditRun(t, f.Client(), auditOptions{}, "abc"); exit != ExitError || !strings.Contains(errOut, "no such container: abc") {
		t.Errorf("audit by 3 characters: exit %d %q", exit, errOut)
	}

	path := filepath.Join(t.TempDir(), "state.json")
	st := heal.NewState()
	st.Containers[one] = &heal.Entry{Name: "one", CircuitOpen: true}
	st.Containers[two] = &heal.Entry{Name: "two", CircuitOpen: true}
	if err := store.SaveState(path, st, statusT0); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := runReset(context.Background(), &out, &errOut, []string{"abcd"}, resetOptions{stateFile: path}, statusT0)
	if code(err) != ExitError || !strings.Contains(err.Error(), candidates) {
		t.Errorf("reset: %v, want exit 2 naming the candidates", err)
	}
	if st, _ := store.ReadState(path); !st.Containers[one].CircuitOpen || !st.Containers[two].CircuitOpen {
		t.Error("an ambiguous reset reset something")
	}
	out.Reset()
	if err := runReset(context.Background(), &out, &errOut, []string{"abcd2"}, resetOptions{stateFile: path}, statusT0); err != nil || !strings.HasPrefix(out.String(), "two:") {
		t.Errorf("reset by unique prefix: %v %q", err, out.String())
	}
}

// With no engine, a mistake in status's flags is still named as such (exit
// 2 for the flag, not "cannot reach the engine"), and no engine is exit 2
// with what to do.
func TestStatusFlagMistakesBeforeTheEngine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(dir, "missing.sock"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "--format", "{{.Name"}, "--format"},
		{[]string{"status", "--timeout", "5s"}, "add --wait"},
		{[]string{"status", "--wait", "--unhealthy"}, "could never pass"},
		{[]string{"status"}, "cannot reach the Docker engine at unix://"},
	} {
		_, errOut, code := runCLI(t, dir, tc.args...)
		if code != ExitError || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q, want exit 2 and one line with %q", tc.args, code, errOut, tc.want)
		}
	}
}
