//go:build integration

package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// These run on the private engine (scripts/engine.sh run go test -tags
// integration ./commands/). Each test labels its containers with its own case
// label and selects on it, so parallel tests and packages do not see each other.

var caseSeq atomic.Int64

// caseLabel returns a label unique to one test, and the --filter that selects it.
func caseLabel() (map[string]string, string) {
	v := fmt.Sprintf("%s-%d", enginetest.RunID(), caseSeq.Add(1))
	return map[string]string{"docker-heal.case": v}, "label=docker-heal.case=" + v
}

type statusJSONRow struct {
	Name          string `json:"name"`
	State         string `json:"state"`
	Health        string `json:"health"`
	FailingStreak int    `json:"failing_streak"`
	LastProbe     *struct {
		Time     time.Time `json:"time"`
		ExitCode int       `json:"exit_code"`
		Output   string    `json:"output"`
	} `json:"last_probe"`
	StartedAt *time.Time `json:"started_at"`
	Heal      string     `json:"heal"`
}

func realStatus(t *testing.T, opts statusOptions) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := runStatus(context.Background(), &out, dockerengine.New(enginetest.Client(t)), opts)
	return out.String(), err
}

func TestRealStatusShowsHealthStreakAndLastProbe(t *testing.T) {
	t.Parallel()
	labels, filter := caseLabel()
	healLabels := map[string]string{"docker-heal.enable": "true"}
	for k, v := range labels {
		healLabels[k] = v
	}
	healthy := enginetest.RunContainer(t, enginetest.Options{Labels: healLabels})
	sick := enginetest.RunContainer(t, enginetest.Options{Labels: labels})
	// A first probe only after an hour: starting for the whole test.
	starting := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Healthcheck: &container.HealthConfig{
		Test: []string{"CMD", "/app", "probe"}, Interval: time.Hour, StartPeriod: time.Hour,
	}})
	none := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Healthcheck: enginetest.NoHealthcheck})

	enginetest.WaitHealth(t, healthy.ID, "healthy", 30*time.Second)
	enginetest.WaitHealth(t, sick.ID, "healthy", 30*time.Second)
	enginetest.MustExec(t, sick.ID, "/app", "sicken")
	enginetest.WaitHealth(t, sick.ID, "unhealthy", 30*time.Second)

	out, err := realStatus(t, statusOptions{format: "json", filters: []string{filter}})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]statusJSONRow{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r statusJSONRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		rows[r.Name] = r
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4:\n%s", len(rows), out)
	}
	h := rows[healthy.Name]
	if h.Health != "healthy" || h.FailingStreak != 0 || h.LastProbe == nil || h.LastProbe.ExitCode != 0 || !strings.HasPrefix(h.LastProbe.Output, "ok: up") || h.Heal != "on" {
		t.Errorf("healthy: %+v %+v", h, h.LastProbe)
	}
	s := rows[sick.Name]
	// Retries is 2: unhealthy after two failures in a row.
	if s.Health != "unhealthy" || s.FailingStreak < 2 || s.LastProbe == nil || s.LastProbe.ExitCode != 1 || !strings.Contains(s.LastProbe.Output, "sick: made sick by `app sicken`") || s.Heal != "off" {
		t.Errorf("sick: %+v %+v", s, s.LastProbe)
	}
	if st := rows[starting.Name]; st.Health != "starting" || st.LastProbe != nil || st.FailingStreak != 0 {
		t.Errorf("starting: %+v", st)
	}
	if n := rows[none.Name]; n.Health != "none" || n.LastProbe != nil || n.State != "running" || n.StartedAt == nil {
		t.Errorf("none: %+v", n)
	}

	table, err := realStatus(t, statusOptions{format: "table", filters: []string{filter}, noTrunc: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, words := range map[string][]string{
		healthy.Name:  {"healthy", "healthcheck passing", "on"},
		sick.Name:     {"unhealthy", "failing streak", "last probe: exit 1: sick: made sick by `app sicken`", "off"},
		starting.Name: {"starting", "start period: "},
		none.Name:     {"running", "running, no healthcheck"},
	} {
		line := lineWith(table, name)
		for _, w := range words {
			if !strings.Contains(line, w) {
				t.Errorf("table line of %s does not say %q: %q", name, w, line)
			}
		}
	}

	unhealthy, err := realStatus(t, statusOptions{format: "{{.Name}}", filters: []string{filter}, unhealthy: true})
	if err != nil || strings.TrimSpace(unhealthy) != sick.Name {
		t.Errorf("--unhealthy: %q %v, want only %s", unhealthy, err, sick.Name)
	}
}

func lineWith(text, name string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}

func TestRealStatusWaitPassesWhenStartingTurnsHealthy(t *testing.T) {
	t.Parallel()
	labels, filter := caseLabel()
	// First probe after 3s: the gate sees it starting, then healthy.
	c := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Healthcheck: &container.HealthConfig{
		Test: []string{"CMD", "/app", "probe"}, Interval: 3 * time.Second, Timeout: 2 * time.Second,
	}})
	plain := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Healthcheck: enginetest.NoHealthcheck})
	if h := enginetest.Health(t, c.ID); h != "starting" {
		t.Logf("note: %s was already %s when the gate began", c.Name, h)
	}
	out, err := realStatus(t, statusOptions{wait: true, timeout: time.Minute, filters: []string{filter}, format: "{{.Name}} {{.Health}}"})
	if err != nil {
		t.Fatalf("--wait: %v", err)
	}
	if !strings.Contains(out, c.Name+" healthy") || !strings.Contains(out, plain.Name+" none") {
		t.Errorf("--wait output %q", out)
	}
	if h := enginetest.Health(t, c.ID); h != "healthy" {
		t.Errorf("the gate passed while %s is %s", c.Name, h)
	}
}

func TestRealStatusWaitFailsWithTheReason(t *testing.T) {
	t.Parallel()
	labels, filter := caseLabel()
	good := enginetest.RunContainer(t, enginetest.Options{Labels: labels})
	bad := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Env: []string{"APP_FAIL_AFTER=1"}})
	enginetest.WaitHealth(t, bad.ID, "unhealthy", 30*time.Second)
	_, err := realStatus(t, statusOptions{wait: true, timeout: 3 * time.Second, filters: []string{filter}, format: "table"})
	if code(err) != ExitFindings {
		t.Fatalf("exit %d (%v), want 1", code(err), err)
	}
	msg := err.Error()
	for _, want := range []string{"timed out after 3s waiting for 1 container of 2", bad.Name + ": unhealthy (failing streak", "exit 1: failing: up", "told to fail after 1s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, good.Name) {
		t.Errorf("the healthy container is listed as not ready:\n%s", msg)
	}
}

func TestRealAudit(t *testing.T) {
	t.Parallel()
	cli := enginetest.Client(t)
	bad := enginetest.RunContainer(t, enginetest.Options{
		Restart: "no", LogDriver: "json-file", Privileged: true, NoStart: true,
	})
	// Some sandboxes cannot start a privileged container (runc: "unable to
	// apply caps"); the engine still reports its configuration, which is what
	// audit reads, so a created one is audited by name then.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := cli.ContainerStart(ctx, bad.ID, client.ContainerStartOptions{}); err != nil {
		t.Logf("privileged container not started here (%v); auditing it as created", oneLine(err.Error()))
	}
	init := true
	pids := int64(100)
	good := enginetest.RunContainer(t, enginetest.Options{
		Restart: "unless-stopped", Memory: 128 << 20, MemorySwap: 128 << 20, NanoCPUs: 5e8, PidsLimit: &pids,
		LogDriver: "json-file", LogOptions: map[string]string{"max-size": "10m", "max-file": "3"}, Init: &init,
	})
	var out, errOut bytes.Buffer
	err := runAudit(context.Background(), &out, &errOut, dockerengine.New(cli),
		auditOptions{configDir: t.TempDir(), findingOptions: findingOptions{format: "json", failOn: "none"}}, []string{bad.Name, good.Name})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	got := rulesBySubject(t, out.String())
	for _, id := range auditBadRules {
		if !contains(got[bad.Name], id) {
			t.Errorf("%s (no limits, restart no, json-file without max-size, privileged): %s not reported; got %v", bad.Name, id, got[bad.Name])
		}
		if contains(got[good.Name], id) {
			t.Errorf("%s (well configured): %s reported", good.Name, id)
		}
	}
}

// A container whose probe prints terminal escape sequences: status, its
// templates and the deploy gate (passing and timing out) show them escaped.
func TestRealStatusEscapesProbeOutput(t *testing.T) {
	t.Parallel()
	labels, filter := caseLabel()
	healthy := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Env: []string{"APP_PROBE_SAY=" + hostileProbe}})
	enginetest.WaitHealth(t, healthy.ID, "healthy", 30*time.Second)
	for _, opts := range []statusOptions{
		{format: "table {{.Name}}\t{{.Probe}}", filters: []string{filter}},
		{format: "table {{.Name}}\t{{.Condition}}\t{{.Probe}}", noTrunc: true, filters: []string{filter}},
		{format: "{{.Name}} {{.LastProbe.Output}}", filters: []string{filter}},
		{format: "table {{.Name}}\t{{.LastProbe.Output}}", wait: true, timeout: time.Minute, filters: []string{filter}},
	} {
		out, err := realStatus(t, opts)
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		what := fmt.Sprintf("status --format %q --no-trunc=%v --wait=%v", opts.format, opts.noTrunc, opts.wait)
		noControl(t, what, out)
		if !strings.Contains(out, "ok: up") || !strings.Contains(out, hostileEscaped) {
			t.Errorf("%s does not show the probe output escaped:\n%s", what, out)
		}
	}

	sick := enginetest.RunContainer(t, enginetest.Options{Labels: labels})
	enginetest.WaitHealth(t, sick.ID, "healthy", 30*time.Second)
	enginetest.MustExec(t, sick.ID, "/app", "sicken", hostileProbe)
	enginetest.WaitHealth(t, sick.ID, "unhealthy", 30*time.Second)
	_, err := realStatus(t, statusOptions{wait: true, timeout: 2 * time.Second, filters: []string{filter}, format: "table"})
	if code(err) != ExitFindings {
		t.Fatalf("--wait with a sick container: exit %d (%v), want 1", code(err), err)
	}
	var stderr bytes.Buffer
	exitCode(&stderr, err)
	noControl(t, "status --wait timeout message", stderr.String())
	if !strings.Contains(stderr.String(), sick.Name+": unhealthy") || !strings.Contains(stderr.String(), "sick: "+hostileEscaped) {
		t.Errorf("--wait timeout message does not show the probe output escaped:\n%s", stderr.String())
	}
}
