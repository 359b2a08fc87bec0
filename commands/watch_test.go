package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
	"github.com/docker-heal/docker-heal/heal/watch"
	"github.com/docker-heal/docker-heal/internal/dockerengine"
)

// fakeEvents is a follower the test feeds by hand.
type fakeEvents struct{ ch chan heal.EngineEvent }

func (f *fakeEvents) Follow(ctx context.Context, _ dockerengine.FollowOptions, out chan<- heal.EngineEvent) {
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

func (e *onceEngine) setHealth(id, health string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[id]
	c.Health = health
	e.containers[id] = c
}

func (e *onceEngine) lists() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.calls {
		if c == "list" {
			n++
		}
	}
	return n
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

type watchRun struct {
	cancel context.CancelFunc
	done   chan error
	events *fakeEvents
	out    *syncBuffer
	errOut *syncBuffer
}

func startWatch(t *testing.T, e heal.Engine, opts watchOptions) *watchRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &watchRun{cancel: cancel, done: make(chan error, 1), events: &fakeEvents{ch: make(chan heal.EngineEvent)}, out: &syncBuffer{}, errOut: &syncBuffer{}}
	go func() { r.done <- runWatch(ctx, r.out, r.errOut, e, r.events, opts) }()
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

func (r *watchRun) send(t *testing.T, ev heal.EngineEvent) {
	t.Helper()
	select {
	case r.events.ch <- ev:
	case err := <-r.done:
		t.Fatalf("watch ended: %v\n%s", err, r.errOut.String())
	case <-time.After(20 * time.Second):
		t.Fatal("watch does not read events")
	}
}

func (r *watchRun) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not stop")
	}
	return nil
}

func watchTestOpts(t *testing.T) watchOptions {
	o := testOpts(t)
	o.now = nil // timers run on the real clock
	return watchOptions{onceOptions: o, resync: time.Hour}
}

var addrRE = regexp.MustCompile(`address=(\S+)`)

func TestWatchRestartsOnTheUnhealthyEvent(t *testing.T) {
	web := sickContainer("web")
	web.Health = heal.HealthHealthy
	e := newOnceEngine(web)
	opts := watchTestOpts(t)
	opts.listen = "127.0.0.1:0"
	r := startWatch(t, e, opts)
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	eventually(t, "the first full round", func() bool { return e.lists() >= 1 })
	if e.restarts() != 0 {
		t.Fatal("restarted a healthy container")
	}

	e.setHealth(web.ID, heal.HealthUnhealthy)
	r.send(t, heal.EngineEvent{Kind: heal.EventHealthStatus, ID: web.ID, Name: web.Name, Health: heal.HealthUnhealthy, Time: time.Now()})
	eventually(t, "the restart", func() bool { return e.restarts() == 1 })

	m := addrRE.FindStringSubmatch(r.errOut.String())
	if m == nil {
		t.Fatalf("no listen address logged:\n%s", r.errOut.String())
	}
	var fams map[string]*dto.MetricFamily
	eventually(t, "the round recorded in /metrics", func() bool {
		fams = scrape(t, "http://"+m[1]+"/metrics")
		return fams["docker_heal_restarts_total"] != nil
	})
	h := fams["docker_heal_reaction_seconds"]
	if h == nil || h.GetMetric()[0].GetHistogram().GetSampleCount() != 1 {
		t.Errorf("docker_heal_reaction_seconds: %v, want one sample", h)
	}
	if up := fams["docker_heal_event_stream_up"]; up == nil || up.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("docker_heal_event_stream_up: %v, want 1 while connected", up)
	}
	for _, name := range []string{"docker_heal_restarts_total", "docker_heal_circuit_open", "docker_heal_last_run_timestamp_seconds"} {
		if fams[name] == nil {
			t.Errorf("/metrics lacks %s (a --metrics-file name)", name)
		}
	}
	resp, err := http.Get("http://" + m[1] + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var rep watch.Report
	_ = json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if resp.StatusCode != 200 || rep.Events != "connected" {
		t.Errorf("/healthz %d %+v", resp.StatusCode, rep)
	}

	if err := r.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
	st, err := store.ReadState(opts.stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if en := st.Entry(web.ID); en == nil || len(en.Restarts) != 1 || en.Restarts[0].Result != heal.ResultSuccess {
		t.Errorf("state after stop: %+v", en)
	}
	if !strings.Contains(r.errOut.String(), "restart issued") || !strings.Contains(r.errOut.String(), "reaction=") {
		t.Errorf("reaction not logged:\n%s", r.errOut.String())
	}
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v\n%s", err, body)
	}
	return fams
}

func TestSecondWatchRefusesNamingTheFirst(t *testing.T) {
	e := newOnceEngine()
	opts := watchTestOpts(t)
	r := startWatch(t, e, opts)
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	var errOut bytes.Buffer
	err := runWatch(context.Background(), io.Discard, &errOut, e, &fakeEvents{ch: make(chan heal.EngineEvent)}, opts)
	if code(err) != ExitError {
		t.Fatalf("second watch: %v (exit %d), want exit 2", err, code(err))
	}
	if !strings.Contains(err.Error(), "another docker heal watch is running") || !regexp.MustCompile(`pid \d+ on `).MatchString(err.Error()) {
		t.Errorf("error %q does not name the first watch", err)
	}
}

func TestApplyEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want map[string]string
	}{
		{"flag from env", map[string]string{"DOCKER_HEAL_MIN_UNHEALTHY": "30s", "DOCKER_HEAL_ALL": "true"}, nil,
			map[string]string{"min-unhealthy": "30s", "all": "true"}},
		{"flag wins over env", map[string]string{"DOCKER_HEAL_MAX_PER_RUN": "3"}, []string{"--max-per-run", "7"},
			map[string]string{"max-per-run": "7"}},
		{"repeatable", map[string]string{"DOCKER_HEAL_NOTIFY": "ntfy://a/b generic://c/d"}, nil,
			map[string]string{"notify": "[ntfy://a/b,generic://c/d]"}},
		{"autoheal all", map[string]string{"AUTOHEAL_CONTAINER_LABEL": "all", "AUTOHEAL_DEFAULT_STOP_TIMEOUT": "20", "WEBHOOK_URL": "https://h/x"}, nil,
			map[string]string{"all": "true", "stop-timeout": "20s", "webhook": "[https://h/x]"}},
		{"autoheal custom label", map[string]string{"AUTOHEAL_CONTAINER_LABEL": "monitor", "AUTOHEAL_START_PERIOD": "300"}, nil,
			map[string]string{"all": "true", "filter": "[label=monitor=true]", "start-delay": "5m0s"}},
		{"autoheal default label changes nothing", map[string]string{"AUTOHEAL_CONTAINER_LABEL": "autoheal"}, nil,
			map[string]string{"all": "false", "filter": "[]"}},
		{"not the mode", map[string]string{"DOCKER_HEAL_HEALTHCHECK": "true"}, nil,
			map[string]string{"healthcheck": "false"}},
		{"ours win over autoheal's", map[string]string{"AUTOHEAL_DEFAULT_STOP_TIMEOUT": "20", "DOCKER_HEAL_STOP_TIMEOUT": "1m"}, nil,
			map[string]string{"stop-timeout": "1m0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := newWatchCommand(nil)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			if err := applyEnv(cmd.Flags(), lookup); err != nil {
				t.Fatal(err)
			}
			for name, want := range tc.want {
				if got := cmd.Flags().Lookup(name).Value.String(); got != want {
					t.Errorf("--%s = %s, want %s", name, got, want)
				}
			}
		})
	}
	cmd := newWatchCommand(nil)
	err := applyEnv(cmd.Flags(), func(k string) (string, bool) {
		v, ok := map[string]string{"WEBHOOK_URL": "https://discord.example/api/webhooks/1/x", "WEBHOOK_JSON_KEY": "content"}[k]
		return v, ok
	})
	if code(err) != ExitError || !strings.Contains(err.Error(), "DOCKER_HEAL_NOTIFY") || strings.Contains(err.Error(), "discord.example") {
		t.Errorf("WEBHOOK_JSON_KEY=content: %v, want exit 2 pointing at --notify, without the URL", err)
	}
	cmd = newWatchCommand(nil)
	err = applyEnv(cmd.Flags(), func(k string) (string, bool) {
		if k == "DOCKER_HEAL_RESYNC" {
			return "soon", true
		}
		return "", false
	})
	if code(err) != ExitError || !strings.Contains(err.Error(), "DOCKER_HEAL_RESYNC") {
		t.Errorf("bad value: %v, want exit 2 naming the variable", err)
	}
}

// The sidecar recipe people copy must pass the gate it recommends.
func TestWatchExamplePassesLint(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "examples", "watch"))
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCLI(t, dir, "lint", "--fail-on", "warning", "--image-config", "off", "compose.yaml")
	if code != 0 {
		t.Errorf("examples/watch/compose.yaml: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "0 errors, 0 warnings") {
		t.Errorf("findings at warning or above:\n%s", stdout)
	}
}

// once takes --notify too, beside --webhook: each target gets the event.
func TestOnceNotifiesThroughShoutrrrAndWebhooks(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = string(b)
		mu.Unlock()
	}))
	defer srv.Close()
	e := newOnceEngine(sickContainer("web"))
	opts := testOpts(t)
	opts.webhooks = []string{srv.URL + "/webhook"}
	opts.notify = []string{"generic://" + strings.TrimPrefix(srv.URL, "http://") + "/shoutrrr/t0ken?disabletls=yes"}
	stdout, stderr, exit := run(t, e, opts)
	if exit != ExitOK {
		t.Fatalf("exit %d\n%s%s", exit, stdout, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(got["/webhook"], `"container":"web"`) {
		t.Errorf("webhook got %q", got["/webhook"])
	}
	if s := got["/shoutrrr/t0ken"]; !strings.Contains(s, "restarted web") || !strings.Contains(s, "last probe: connection refused") {
		t.Errorf("shoutrrr target got %q", s)
	}
	if strings.Contains(stdout+stderr, "t0ken") {
		t.Error("the notify URL's token is in the output")
	}
}

// operatorStopEngine is an engine that follows stop events: during each
// restart it reports an operator's `docker stop` beside our own.
type operatorStopEngine struct{ *onceEngine }

func (operatorStopEngine) WatchStops(context.Context, string) (func(bool) int, error) {
	return func(bool) int { return 2 }, nil
}

// issue 18: watch's own engine wrapper hid WatchStops, so an operator's stop
// during watch's restart was undone (once honoured it).
func TestWatchHonoursAnOperatorStopDuringItsRestart(t *testing.T) {
	web := sickContainer("web")
	web.Health = heal.HealthHealthy
	e := operatorStopEngine{newOnceEngine(web)}
	r := startWatch(t, e, watchTestOpts(t))
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	eventually(t, "the first full round", func() bool { return e.lists() >= 1 })
	e.setHealth(web.ID, heal.HealthUnhealthy)
	r.send(t, heal.EngineEvent{Kind: heal.EventHealthStatus, ID: web.ID, Name: web.Name, Health: heal.HealthUnhealthy, Time: time.Now()})
	eventually(t, "the restart", func() bool { return e.restarts() == 1 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	calls := strings.Join(e.calls, "\n")
	e.mu.Unlock()
	if !strings.Contains(calls, "restart id-web\nstop id-web") {
		t.Errorf("the operator's stop was undone: no stop after the restart\n%s", calls)
	}
}

// issue 16: with --log-format json, watch writes one JSON object a line,
// each decision its own line naming the container, and no text table.
func TestWatchJSONLogsOneLinePerDecision(t *testing.T) {
	web, db := sickContainer("web"), sickContainer("db")
	db.Health = heal.HealthHealthy
	e := newOnceEngine(web, db)
	opts := watchTestOpts(t)
	opts.logFormat = "json"
	r := startWatch(t, e, opts)
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	eventually(t, "the first restart", func() bool { return e.restarts() == 1 })
	e.setHealth(db.ID, heal.HealthUnhealthy)
	r.send(t, heal.EngineEvent{Kind: heal.EventHealthStatus, ID: db.ID, Name: db.Name, Health: heal.HealthUnhealthy, Time: time.Now()})
	eventually(t, "the second restart", func() bool { return e.restarts() == 2 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if out := r.out.String(); out != "" {
		t.Errorf("stdout has text beside the JSON log:\n%s", out)
	}
	decisions := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.errOut.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not one JSON object a line: %q: %v", line, err)
		}
		switch rec["msg"] {
		case "decision":
			name, _ := rec["container"].(string)
			if res, _ := rec["result"].(string); res != "" {
				decisions[name] = res
			}
			if rec["decision"] == nil || rec["id"] == nil {
				t.Errorf("decision line lacks its decision or id: %q", line)
			}
		case "restart issued", "restarted":
			if rec["container"] != "db" && rec["container"] != "web" {
				t.Errorf("%s line does not name the container: %q", rec["msg"], line)
			}
		}
	}
	if decisions["web"] != heal.ResultSuccess || decisions["db"] != heal.ResultSuccess {
		t.Errorf("decision lines %v, want web and db restarted\n%s", decisions, r.errOut.String())
	}
}

// --dry-run writes nothing, as once's does: no state folder, no STATE.watch,
// so a dry run can preview beside the watch that owns the state file.
func TestWatchDryRunWritesNothingAndRunsBesideAWatch(t *testing.T) {
	e := newOnceEngine(sickContainer("web"))
	dry := watchTestOpts(t)
	dry.dryRun = true
	r := startWatch(t, e, dry)
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	eventually(t, "a dry round", func() bool { return e.lists() >= 2 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(dry.stateFile)); !os.IsNotExist(err) {
		t.Errorf("a dry run made the state folder %s (%v)", filepath.Dir(dry.stateFile), err)
	}
	if e.restarts() != 0 {
		t.Fatalf("a dry run restarted")
	}

	live := watchTestOpts(t)
	w := startWatch(t, e, live)
	w.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	dry.stateFile = live.stateFile
	d := startWatch(t, e, dry)
	d.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	if err := d.stop(t); err != nil {
		t.Errorf("a dry run beside a watch: %v", err)
	}
}
