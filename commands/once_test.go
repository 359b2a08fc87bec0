package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
)

// onceEngine is a small heal.Engine over a map, recording calls.
type onceEngine struct {
	mu         sync.Mutex
	containers map[string]heal.Container
	calls      []string
	listErr    error
	failIDs    map[string]bool
}

func newOnceEngine(cs ...heal.Container) *onceEngine {
	e := &onceEngine{containers: map[string]heal.Container{}, failIDs: map[string]bool{}}
	for _, c := range cs {
		e.containers[c.ID] = c
	}
	return e
}

func (e *onceEngine) List(_ context.Context, opts heal.ListOptions) ([]heal.Container, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, "list")
	if e.listErr != nil {
		return nil, e.listErr
	}
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

func (e *onceEngine) Inspect(_ context.Context, id string) (heal.Container, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, "inspect "+id)
	c, ok := e.containers[id]
	if !ok {
		return c, heal.ErrNotFound
	}
	c.Inspected = true
	return c, nil
}

func (e *onceEngine) Restart(_ context.Context, id string, _ time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, "restart "+id)
	if e.failIDs[id] {
		return errors.New("engine said no")
	}
	return nil // stays unhealthy: the tests drive health themselves
}

func (e *onceEngine) Stop(_ context.Context, id string, _ time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, "stop "+id)
	return nil
}

func (e *onceEngine) restarts() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.calls {
		if strings.HasPrefix(c, "restart ") {
			n++
		}
	}
	return n
}

var onceT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func sickContainer(name string) heal.Container {
	return heal.Container{ID: "id-" + name, Name: name, State: "running", Health: heal.HealthUnhealthy, FailingStreak: 4,
		StartedAt: onceT0.Add(-time.Hour), Labels: map[string]string{heal.LabelEnable: "true"},
		Probes: []heal.Probe{{ExitCode: 1, Output: "connection refused"}}}
}

func testOpts(t *testing.T) onceOptions {
	return onceOptions{policy: heal.DefaultPolicy(), stateFile: filepath.Join(t.TempDir(), "state", "state.json"),
		format: "table", logFormat: "text", webhookTimeout: time.Second, now: func() time.Time { return onceT0 }}
}

func code(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return -1
}

func run(t *testing.T, e heal.Engine, opts onceOptions) (stdout, stderr string, exit int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runOnce(context.Background(), &out, &errOut, e, opts)
	if err != nil && err.Error() != "" {
		errOut.WriteString("docker heal: " + err.Error())
	}
	return out.String(), errOut.String(), code(err)
}

func TestOnceRestartsAndRemembers(t *testing.T) {
	e := newOnceEngine(sickContainer("web"))
	opts := testOpts(t)
	opts.auditLog = filepath.Join(t.TempDir(), "audit.jsonl")
	opts.metricsFile = filepath.Join(t.TempDir(), "heal.prom")
	out, errOut, exit := run(t, e, opts)
	if exit != ExitOK || e.restarts() != 1 {
		t.Fatalf("exit %d, %d restarts\n%s\n%s", exit, e.restarts(), out, errOut)
	}
	for _, want := range []string{"CONTAINER", "web", "restart", "unhealthy, streak 4", "success"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	st, err := store.ReadState(opts.stateFile)
	if err != nil || st.Containers["id-web"] == nil || len(st.Containers["id-web"].Restarts) != 1 {
		t.Fatalf("state: %v %+v", err, st)
	}
	if b, _ := os.ReadFile(opts.auditLog); !strings.Contains(string(b), `"decision":"restart"`) || !strings.Contains(string(b), "connection refused") {
		t.Errorf("audit log: %s", b)
	}
	if b, _ := os.ReadFile(opts.metricsFile); !strings.Contains(string(b), `docker_heal_restarts_total{container="web",result="success"} 1`) ||
		!strings.Contains(string(b), "docker_heal_last_run_success 1") {
		t.Errorf("metrics: %s", b)
	}

	// Thirty seconds later, still sick: inside the backoff, no second restart.
	opts.now = func() time.Time { return onceT0.Add(30 * time.Second) }
	out, _, exit = run(t, e, opts)
	if exit != ExitOK || e.restarts() != 1 || !strings.Contains(out, "backoff until 12:01:00") {
		t.Errorf("second run: exit %d, %d restarts\n%s", exit, e.restarts(), out)
	}
}

func TestOnceDryRunChangesNothing(t *testing.T) {
	e := newOnceEngine(sickContainer("web"))
	opts := testOpts(t)
	opts.dryRun = true
	opts.metricsFile = filepath.Join(t.TempDir(), "heal.prom")
	out, errOut, exit := run(t, e, opts)
	if exit != ExitOK || e.restarts() != 0 || !strings.Contains(out, "DRY RUN") || !strings.Contains(out, "restart") {
		t.Fatalf("exit %d restarts %d\n%s\n%s", exit, e.restarts(), out, errOut)
	}
	if _, err := os.Stat(filepath.Dir(opts.stateFile)); !os.IsNotExist(err) {
		t.Error("dry run created the state folder")
	}
	if _, err := os.Stat(opts.metricsFile); !os.IsNotExist(err) {
		t.Error("dry run wrote metrics")
	}
}

func TestOnceFailedRestartExits1(t *testing.T) {
	e := newOnceEngine(sickContainer("web"))
	e.failIDs["id-web"] = true
	out, errOut, exit := run(t, e, testOpts(t))
	if exit != ExitFindings || !strings.Contains(out, "failure: restarting web: engine said no") {
		t.Errorf("exit %d\n%s\n%s", exit, out, errOut)
	}
}

func TestOnceCircuitOpensExits1(t *testing.T) {
	e := newOnceEngine(sickContainer("web"))
	opts := testOpts(t)
	opts.policy.MaxRestarts, opts.policy.Backoff = 2, 0
	var exits []int
	for i := 0; i < 4; i++ {
		opts.now = func() time.Time { return onceT0.Add(time.Duration(i) * time.Minute) }
		_, _, exit := run(t, e, opts)
		exits = append(exits, exit)
	}
	// Exit 1 on the round that opens the circuit only; later rounds report it and exit 0.
	if fmt.Sprint(exits) != "[0 0 1 0]" || e.restarts() != 2 {
		t.Errorf("exits %v, %d restarts", exits, e.restarts())
	}
	var out, errOut bytes.Buffer
	if err := runReset(context.Background(), &out, &errOut, []string{"web", "ghost"}, resetOptions{stateFile: opts.stateFile}, onceT0); code(err) != ExitFindings ||
		!strings.Contains(out.String(), "web: circuit closed") || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("reset: %v\n%s", err, out.String())
	}
	opts.now = func() time.Time { return onceT0.Add(5 * time.Minute) }
	if _, _, exit := run(t, e, opts); exit != ExitOK || e.restarts() != 3 {
		t.Errorf("after reset: exit %d, %d restarts", exit, e.restarts())
	}
}

func TestOnceLockHeldExits0(t *testing.T) {
	e := newOnceEngine(sickContainer("web"))
	opts := testOpts(t)
	os.MkdirAll(filepath.Dir(opts.stateFile), 0o700)
	lock, err := store.AcquireLock(context.Background(), opts.stateFile+".lock", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	_, errOut, exit := run(t, e, opts)
	if exit != ExitOK || len(e.calls) != 0 || !strings.Contains(errOut, "in progress") {
		t.Errorf("exit %d calls %v\n%s", exit, e.calls, errOut)
	}
}

// A signal while once waits for the lock (--lock-timeout) ends it as the
// lock held does: nothing done, exit 0, not exit 2 with a hint about the
// state folder.
func TestOnceSignalDuringLockWaitExits0(t *testing.T) {
	e := newOnceEngine(sickContainer("web"))
	opts := testOpts(t)
	opts.lockTimeout = time.Minute
	os.MkdirAll(filepath.Dir(opts.stateFile), 0o700)
	lock, err := store.AcquireLock(context.Background(), opts.stateFile+".lock", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	var out, errOut bytes.Buffer
	err = runOnce(ctx, &out, &errOut, e, opts)
	if code(err) != ExitOK || len(e.calls) != 0 || !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("exit %d (%v), calls %v\n%s", code(err), err, e.calls, errOut.String())
	}
}

func TestOnceCorruptStateSetAside(t *testing.T) {
	e := newOnceEngine(sickContainer("web"))
	opts := testOpts(t)
	os.MkdirAll(filepath.Dir(opts.stateFile), 0o700)
	os.WriteFile(opts.stateFile, []byte("{{{"), 0o600)
	_, errOut, exit := run(t, e, opts)
	if exit != ExitOK || e.restarts() != 1 || !strings.Contains(errOut, "set it aside") {
		t.Errorf("exit %d restarts %d\n%s", exit, e.restarts(), errOut)
	}
	if aside, _ := filepath.Glob(opts.stateFile + ".corrupt-*"); len(aside) != 1 {
		t.Errorf("set aside: %v", aside)
	}
}

func TestOnceCannotRunExits2(t *testing.T) {
	e := newOnceEngine()
	e.listErr = errors.New("cannot reach the Docker engine at unix:///nowhere.sock: is the engine running?")
	opts := testOpts(t)
	opts.metricsFile = filepath.Join(t.TempDir(), "heal.prom")
	_, errOut, exit := run(t, e, opts)
	if exit != ExitError || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "unix:///nowhere.sock") {
		t.Errorf("exit %d, want 2 and one line naming the endpoint:\n%s", exit, errOut)
	}
	if b, _ := os.ReadFile(opts.metricsFile); !strings.Contains(string(b), "docker_heal_last_run_success 0") {
		t.Errorf("metrics after a failed run: %s", b)
	}

	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	opts = testOpts(t)
	opts.stateFile = filepath.Join(file, "state.json")
	if _, errOut, exit := run(t, newOnceEngine(), opts); exit != ExitError || !strings.Contains(errOut, file) {
		t.Errorf("unusable state folder: exit %d\n%s", exit, errOut)
	}
	for _, bad := range []func(*onceOptions){
		func(o *onceOptions) { o.format = "xml" },
		func(o *onceOptions) { o.logFormat = "yaml" },
		func(o *onceOptions) { o.policy.Concurrency = 0 },
		func(o *onceOptions) { o.policy.MaxRestarts = 0 },
	} {
		opts := testOpts(t)
		bad(&opts)
		if _, errOut, exit := run(t, newOnceEngine(), opts); exit != ExitError || errOut == "" {
			t.Errorf("bad option: exit %d %q", exit, errOut)
		}
	}
}

func TestOnceQuietAndJSON(t *testing.T) {
	healthy := sickContainer("web")
	healthy.Health = heal.HealthHealthy
	opts := testOpts(t)
	opts.quiet = true
	if out, errOut, exit := run(t, newOnceEngine(healthy), opts); exit != 0 || out != "" || errOut != "" {
		t.Errorf("quiet with nothing to do printed %q %q", out, errOut)
	}
	opts = testOpts(t)
	opts.format = "json"
	out, _, _ := run(t, newOnceEngine(sickContainer("web")), opts)
	var sum onceSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(sum.Steps) != 1 || sum.Steps[0].Decision != "restart" || sum.Steps[0].Result != "success" || sum.Unhealthy != 1 {
		t.Errorf("json summary %+v", sum)
	}
}

func TestOnceConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, ".docker-heal.yaml")
	os.WriteFile(cfg, []byte("fail-on: warning\nheal:\n  max-restarts: 7\n  window: 2h\n  concurrency: 2\n  webhooks: [http://127.0.0.1:1/x]\n"), 0o600)
	cmd := newOnceCommand(nil)
	if err := cmd.ParseFlags([]string{"--config", cfg, "--concurrency", "9"}); err != nil {
		t.Fatal(err)
	}
	opts := optsOf(t, cmd)
	if opts.policy.MaxRestarts != 7 || opts.policy.Window != 2*time.Hour || opts.policy.Concurrency != 9 || len(opts.webhooks) != 1 {
		t.Errorf("merged policy %+v webhooks %v", opts.policy, opts.webhooks)
	}

	os.WriteFile(cfg, []byte("heal:\n  max-restart: 7\n"), 0o600)
	cmd = newOnceCommand(nil)
	cmd.ParseFlags([]string{"--config", cfg})
	o := onceOptions{policy: heal.DefaultPolicy(), configFile: cfg}
	if err := o.merge(cmd.Flags()); err == nil || !strings.Contains(err.Error(), "max-restart") || !strings.Contains(err.Error(), cfg) {
		t.Errorf("unknown key: %v", err)
	}
	os.WriteFile(cfg, []byte("heal:\n  window: forever\n"), 0o600)
	o = onceOptions{policy: heal.DefaultPolicy(), configFile: cfg}
	if err := o.merge(cmd.Flags()); err == nil || !strings.Contains(err.Error(), "heal.window") {
		t.Errorf("bad duration: %v", err)
	}
}

// optsOf reads back the options the flags were bound to, merged with the config.
func optsOf(t *testing.T, cmd *cobra.Command) onceOptions {
	t.Helper()
	f := cmd.Flags()
	o := onceOptions{policy: heal.DefaultPolicy()}
	o.configFile, _ = f.GetString("config")
	if err := o.merge(f); err != nil {
		t.Fatal(err)
	}
	o.policy.Concurrency, _ = f.GetInt("concurrency")
	o.policy.MaxRestarts, _ = f.GetInt("max-restarts")
	o.policy.Window, _ = f.GetDuration("window")
	o.webhooks, _ = f.GetStringArray("webhook")
	return o
}

// WatchStops: the fake follows no events.
func (e *onceEngine) WatchStops(context.Context, string) (func(bool) int, error) {
	return nil, heal.ErrStopsUnwatched
}

// OOMKills: the fake keeps no oom history.
func (e *onceEngine) OOMKills(context.Context, time.Time) (map[string][]time.Time, error) {
	return nil, nil
}
