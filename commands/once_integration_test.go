//go:build integration

package commands

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// countingEngine counts restarts across concurrent runs.
type countingEngine struct {
	heal.Engine
	restarts atomic.Int64
}

func (c *countingEngine) Restart(ctx context.Context, id string, timeout time.Duration) error {
	c.restarts.Add(1)
	return c.Engine.Restart(ctx, id, timeout)
}

// realOpts runs once on the test engine, scoped to this test process's
// containers so it never touches another package's, with its own state file.
func realOpts(t *testing.T) onceOptions {
	return onceOptions{
		policy:         heal.DefaultPolicy(),
		stateFile:      filepath.Join(t.TempDir(), "state.json"),
		format:         "table",
		logFormat:      "text",
		webhookTimeout: time.Second,
		filters:        []string{"label=" + enginetest.LabelRun + "=" + enginetest.RunID()},
	}
}

func realEngine(t *testing.T) heal.Engine {
	return dockerengine.New(enginetest.Client(t))
}

func runReal(t *testing.T, engine heal.Engine, opts onceOptions) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runOnce(context.Background(), &out, &errOut, engine, opts)
	if err != nil && err.Error() != "" {
		errOut.WriteString(err.Error())
	}
	t.Logf("docker heal once:\n%s%s", out.String(), errOut.String())
	return out.String() + errOut.String(), code(err)
}

func startedAt(t *testing.T, id string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, enginetest.Inspect(t, id).State.StartedAt)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// makeSick runs `app sicken` and waits for the engine to call it unhealthy.
func makeSick(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		enginetest.WaitHealth(t, id, "healthy", 30*time.Second)
		enginetest.MustExec(t, id, "/app", "sicken")
	}
	for _, id := range ids {
		enginetest.WaitHealth(t, id, "unhealthy", 30*time.Second)
	}
}

var enabled = map[string]string{heal.LabelEnable: "true"}

func TestOnceRealRestartsOnlyWhatItShould(t *testing.T) {
	engine := realEngine(t)
	sick := enginetest.RunContainer(t, enginetest.Options{Labels: enabled})
	unlabelled := enginetest.RunContainer(t, enginetest.Options{})
	stopped := enginetest.RunContainer(t, enginetest.Options{Labels: enabled})
	paused := enginetest.RunContainer(t, enginetest.Options{Labels: enabled})
	makeSick(t, sick.ID, unlabelled.ID, stopped.ID, paused.ID)

	cli := enginetest.Client(t)
	ctx := context.Background()
	if _, err := cli.ContainerStop(ctx, stopped.ID, client.ContainerStopOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ContainerPause(ctx, paused.ID, client.ContainerPauseOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ContainerUnpause(context.Background(), paused.ID, client.ContainerUnpauseOptions{}) })

	before := map[string]time.Time{}
	for _, c := range []enginetest.Container{sick, unlabelled, stopped, paused} {
		before[c.ID] = startedAt(t, c.ID)
	}
	opts := realOpts(t)
	opts.metricsFile = filepath.Join(t.TempDir(), "docker_heal.prom")
	opts.auditLog = filepath.Join(t.TempDir(), "audit.jsonl")
	out, exit := runReal(t, engine, opts)
	if exit != ExitOK {
		t.Fatalf("exit %d", exit)
	}
	if !strings.Contains(out, sick.Name) || !strings.Contains(out, "success") {
		t.Errorf("summary does not show the restart of %s", sick.Name)
	}
	if !startedAt(t, sick.ID).After(before[sick.ID]) {
		t.Errorf("%s was not restarted", sick.Name)
	}
	enginetest.WaitHealth(t, sick.ID, "healthy", 30*time.Second)
	for _, c := range []enginetest.Container{unlabelled, stopped, paused} {
		if !startedAt(t, c.ID).Equal(before[c.ID]) {
			t.Errorf("%s was touched", c.Name)
		}
	}
	if st := enginetest.Inspect(t, stopped.ID).State.Status; st != container.StateExited {
		t.Errorf("stopped container is %s now", st)
	}

	f, err := os.Open(opts.metricsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("metrics file is not Prometheus text: %v", err)
	}
	if fams["docker_heal_restarts_total"] == nil || fams["docker_heal_last_run_success"].GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("metrics: %v", fams)
	}
	if b, _ := os.ReadFile(opts.auditLog); !strings.Contains(string(b), sick.Name) {
		t.Errorf("audit log lacks %s: %s", sick.Name, b)
	}

	// Sick again right away: inside the backoff, no second restart.
	restarted := startedAt(t, sick.ID)
	makeSick(t, sick.ID)
	out, exit = runReal(t, engine, opts)
	if exit != ExitOK || !strings.Contains(out, "backoff until") {
		t.Errorf("second run: exit %d", exit)
	}
	if !startedAt(t, sick.ID).Equal(restarted) {
		t.Error("restarted again inside the backoff")
	}
}

func TestOnceRealGrace(t *testing.T) {
	c := enginetest.RunContainer(t, enginetest.Options{Labels: enabled})
	makeSick(t, c.ID)
	before := startedAt(t, c.ID)
	opts := realOpts(t)
	opts.policy.Grace = time.Hour
	out, exit := runReal(t, realEngine(t), opts)
	if exit != ExitOK || !strings.Contains(out, "in grace until") || !startedAt(t, c.ID).Equal(before) {
		t.Errorf("exit %d; a container inside --grace was touched or not reported", exit)
	}
}

func TestOnceRealBudgetOpensCircuit(t *testing.T) {
	c := enginetest.RunContainer(t, enginetest.Options{Labels: map[string]string{heal.LabelEnable: "true", heal.LabelMaxRestarts: "1"}})
	opts := realOpts(t)
	opts.policy.Backoff = 0
	engine := realEngine(t)
	makeSick(t, c.ID)
	if _, exit := runReal(t, engine, opts); exit != ExitOK {
		t.Fatalf("first run: exit %d", exit)
	}
	makeSick(t, c.ID)
	before := startedAt(t, c.ID)
	out, exit := runReal(t, engine, opts)
	if exit != ExitFindings || !strings.Contains(out, "open-circuit") {
		t.Errorf("budget spent: exit %d, want 1 and the circuit opened", exit)
	}
	if !startedAt(t, c.ID).Equal(before) {
		t.Error("restarted past its budget")
	}
	// Still sick: the open circuit is reported every round, but only the
	// round that opened it exits 1.
	out, exit = runReal(t, engine, opts)
	if exit != ExitOK || !strings.Contains(out, "circuit open") || !startedAt(t, c.ID).Equal(before) {
		t.Errorf("circuit already open: exit %d, want 0, reported, not restarted:\n%s", exit, out)
	}
	st, err := store.ReadState(opts.stateFile)
	if err != nil || st.Entry(c.ID) == nil || !st.Entry(c.ID).CircuitOpen {
		t.Errorf("state: %v", err)
	}
}

func TestOnceRealOverlappingRunsRestartOnce(t *testing.T) {
	c := enginetest.RunContainer(t, enginetest.Options{Labels: enabled})
	makeSick(t, c.ID)
	engine := &countingEngine{Engine: realEngine(t)}
	opts := realOpts(t)
	waiting := opts
	waiting.lockTimeout = time.Minute
	var wg sync.WaitGroup
	exits := make([]int, 3)
	for i, o := range []onceOptions{opts, opts, waiting} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, errOut bytes.Buffer
			exits[i] = code(runOnce(context.Background(), &out, &errOut, engine, o))
		}()
	}
	wg.Wait()
	if n := engine.restarts.Load(); n != 1 {
		t.Errorf("three overlapping runs restarted %d times, want 1", n)
	}
	for i, e := range exits {
		if e != ExitOK {
			t.Errorf("run %d: exit %d", i, e)
		}
	}
}

func TestOnceRealCorruptStateSetAside(t *testing.T) {
	c := enginetest.RunContainer(t, enginetest.Options{Labels: enabled})
	opts := realOpts(t)
	if err := os.WriteFile(opts.stateFile, []byte(`{"version":1,"containers":{"x":`), 0o600); err != nil {
		t.Fatal(err)
	}
	makeSick(t, c.ID)
	before := startedAt(t, c.ID)
	out, exit := runReal(t, realEngine(t), opts)
	if exit != ExitOK || !startedAt(t, c.ID).After(before) {
		t.Errorf("exit %d; healing did not go on past a corrupt state file", exit)
	}
	if !strings.Contains(out, "set it aside") {
		t.Error("no warning about the corrupt state file")
	}
	if aside, _ := filepath.Glob(opts.stateFile + ".corrupt-*"); len(aside) != 1 {
		t.Errorf("corrupt file not set aside: %v", aside)
	}
	if _, err := store.ReadState(opts.stateFile); err != nil {
		t.Errorf("new state file: %v", err)
	}
}

func TestOnceRealIgnoresSigterm(t *testing.T) {
	const stopTimeout = 2 * time.Second
	c := enginetest.RunContainer(t, enginetest.Options{
		Labels: map[string]string{heal.LabelEnable: "true", heal.LabelStopTimeout: "2"},
		Env:    []string{"APP_IGNORE_SIGTERM=1"},
	})
	makeSick(t, c.ID)
	before := startedAt(t, c.ID)
	start := time.Now()
	_, exit := runReal(t, realEngine(t), realOpts(t))
	took := time.Since(start)
	if exit != ExitOK || !startedAt(t, c.ID).After(before) {
		t.Fatalf("exit %d; a container ignoring SIGTERM was not restarted", exit)
	}
	const margin = 10 * time.Second
	if took > stopTimeout+margin {
		t.Errorf("restart took %s, want within the stop timeout %s plus %s", took, stopTimeout, margin)
	}
	if took < stopTimeout {
		t.Errorf("restart took %s, less than the stop timeout %s: was SIGTERM ignored at all?", took, stopTimeout)
	}
	t.Logf("restart of a SIGTERM-ignoring container with stop timeout %s took %s", stopTimeout, took.Round(time.Millisecond))
}

func TestOnceRealDependents(t *testing.T) {
	project := "dhtest" + strings.ReplaceAll(enginetest.RunID(), "-", "")
	parent := enginetest.RunContainer(t, enginetest.Options{Labels: map[string]string{
		heal.LabelEnable: "true", "com.docker.compose.project": project, "com.docker.compose.service": "db"}})
	sidecar := enginetest.RunContainer(t, enginetest.Options{NetworkMode: "container:" + parent.ID})
	api := enginetest.RunContainer(t, enginetest.Options{Labels: map[string]string{
		"com.docker.compose.project": project, "com.docker.compose.service": "api",
		heal.LabelComposeDependsOn: "db:service_healthy:true"}})
	bystander := enginetest.RunContainer(t, enginetest.Options{Labels: map[string]string{
		"com.docker.compose.project": project, "com.docker.compose.service": "worker",
		heal.LabelComposeDependsOn: "db:service_started:false"}})
	makeSick(t, parent.ID)
	before := map[string]time.Time{}
	for _, c := range []enginetest.Container{parent, sidecar, api, bystander} {
		before[c.ID] = startedAt(t, c.ID)
	}
	out, exit := runReal(t, realEngine(t), realOpts(t))
	if exit != ExitOK {
		t.Fatalf("exit %d", exit)
	}
	p, s, a := startedAt(t, parent.ID), startedAt(t, sidecar.ID), startedAt(t, api.ID)
	if !p.After(before[parent.ID]) || !s.After(before[sidecar.ID]) || !a.After(before[api.ID]) {
		t.Fatalf("not all restarted: parent %v sidecar %v api %v", p.After(before[parent.ID]), s.After(before[sidecar.ID]), a.After(before[api.ID]))
	}
	if !s.After(p) || !a.After(p) {
		t.Errorf("dependents started before their parent: parent %s sidecar %s api %s", p, s, a)
	}
	if !startedAt(t, bystander.ID).Equal(before[bystander.ID]) {
		t.Error("a service that did not opt in (restart: false) was restarted")
	}
	if !strings.Contains(out, sidecar.Name) || !strings.Contains(out, "shares network namespace") {
		t.Error("summary does not show the dependent")
	}
}

// BenchmarkOnceRecovery measures, on the real engine, how long one round
// takes to restart N sick containers that each take S seconds to stop, with
// --concurrency C: about S×ceil(N/C), not N×S. Run it through
// scripts/bench-recovery.sh (BENCH_N, BENCH_S, BENCH_C set the sizes).
func BenchmarkOnceRecovery(b *testing.B) {
	n, s, c := envInt(b, "BENCH_N", 8), envInt(b, "BENCH_S", 2), envInt(b, "BENCH_C", 4)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var ids []string
		for j := 0; j < n; j++ {
			ct := enginetest.RunContainer(b, enginetest.Options{
				Labels: map[string]string{heal.LabelEnable: "true", heal.LabelStopTimeout: strconv.Itoa(s + 10)},
				Env:    []string{"APP_SLOW_STOP=" + strconv.Itoa(s)},
			})
			ids = append(ids, ct.ID)
		}
		for _, id := range ids {
			enginetest.WaitHealth(b, id, "healthy", 30*time.Second)
			enginetest.MustExec(b, id, "/app", "sicken")
		}
		for _, id := range ids {
			enginetest.WaitHealth(b, id, "unhealthy", 30*time.Second)
		}
		opts := onceOptions{policy: heal.DefaultPolicy(), stateFile: filepath.Join(b.TempDir(), "state.json"), format: "table", logFormat: "text",
			filters: []string{"label=" + enginetest.LabelRun + "=" + enginetest.RunID()}}
		opts.policy.Concurrency, opts.policy.MaxPerRun = c, n
		engine := &countingEngine{Engine: dockerengine.New(enginetest.Client(b))}
		b.StartTimer()
		start := time.Now()
		errOut := io.Discard
		if os.Getenv("BENCH_VERBOSE") != "" {
			errOut = os.Stderr
		}
		err := runOnce(context.Background(), io.Discard, errOut, engine, opts)
		took := time.Since(start)
		b.StopTimer()
		if code(err) != ExitOK || engine.restarts.Load() != int64(n) {
			b.Fatalf("round: exit %d, %d restarts of %d", code(err), engine.restarts.Load(), n)
		}
		ideal := time.Duration(s*((n+c-1)/c)) * time.Second
		serial := time.Duration(n*s) * time.Second
		fmt.Printf("recovery: N=%d S=%ds concurrency=%d: measured %s; S×ceil(N/c) = %s; N×S = %s\n",
			n, s, c, took.Round(10*time.Millisecond), ideal, serial)
		b.ReportMetric(took.Seconds(), "recovery-s")
		b.ReportMetric(ideal.Seconds(), "ideal-s")
		b.ReportMetric(serial.Seconds(), "serial-s")
		for _, id := range ids {
			enginetest.Remove(b, id)
		}
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a whole number of at least 1", name, v)
	}
	return n
}
