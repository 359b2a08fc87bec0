package store

import (
	"bytes"
	"github.com/docker-heal/docker-heal/heal"

	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func executedPlan() heal.Plan {
	web := with(sick("web"), func(c *heal.Container) {
		c.Project, c.Service = "shop", "web"
		c.Probes = []heal.Probe{{ExitCode: 1, Output: "GET /health: 503\nmore lines"}}
	})
	side := with(well("side"), func(c *heal.Container) { c.NetworkMode = "container:id-web" })
	plan := heal.Decide([]heal.Container{web, side, sick("db"), sick("cache")},
		state(map[string]*heal.Entry{"db": {CircuitOpen: false, Restarts: restarts(t0.Add(-3*time.Minute), t0.Add(-2*time.Minute), t0.Add(-time.Minute))}}),
		heal.DefaultPolicy(), t0)
	for i := range plan.Steps {
		s := &plan.Steps[i]
		switch s.Container.Name {
		case "web":
			s.Result = heal.ResultSuccess
			s.Dependents[0].Result = heal.ResultSuccess
		case "cache":
			s.Result, s.Error = heal.ResultFailure, "restarting cache: engine said no"
		}
	}
	return plan
}

func TestEventsAndAudit(t *testing.T) {
	plan := executedPlan()
	var got []string
	for _, ev := range plan.Events("host1") {
		got = append(got, ev.Event+" "+ev.Container)
		if ev.Container == "web" {
			if ev.Project != "shop" || ev.Service != "web" || ev.LastProbe != "GET /health: 503" || ev.Host != "host1" {
				t.Errorf("web event %+v", ev)
			}
			if !strings.Contains(ev.Text, "docker-heal on host1: restarted web (shop/web)") {
				t.Errorf("text %q", ev.Text)
			}
		}
	}
	if strings.Join(got, ", ") != "restart_failed cache, circuit_opened db, restarted web, restarted side" {
		t.Errorf("events: %v", got)
	}

	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := AppendAudit(path, plan.AuditRecords(false)); err != nil {
		t.Fatal(err)
	}
	if err := AppendAudit(path, plan.AuditRecords(true)); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	var lines []heal.AuditRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r heal.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, r)
	}
	if len(lines) != 8 {
		t.Fatalf("%d audit lines, want 8 (4 decisions twice)", len(lines))
	}
	for _, r := range lines[:4] {
		if r.Container == "web" && (r.Decision != "restart" || r.Result != heal.ResultSuccess || r.LastProbe == nil || r.Project != "shop" || r.Reason == "") {
			t.Errorf("web record %+v", r)
		}
		if r.Container == "side" && r.Reason != "shares network namespace of web" {
			t.Errorf("side record %+v", r)
		}
	}
	if !lines[7].DryRun || lines[0].DryRun {
		t.Error("dry_run flag wrong")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v", fi.Mode().Perm())
	}
}

func TestMetricsParseBack(t *testing.T) {
	st := state(map[string]*heal.Entry{
		"web": {RestartsTotal: map[string]int64{heal.ResultSuccess: 4, heal.ResultFailure: 1}},
		"db":  {CircuitOpen: true, RestartsTotal: map[string]int64{heal.ResultSuccess: 3}},
	})
	path := filepath.Join(t.TempDir(), "docker_heal.prom")
	run := heal.RunSummary{Time: t0, Duration: 1500 * time.Millisecond, Success: true, Unhealthy: 2}
	if err := WriteMetrics(path, MetricFamilies(st, run)); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("metrics file does not parse: %v", err)
	}
	for _, name := range []string{"docker_heal_restarts_total", "docker_heal_unhealthy_containers", "docker_heal_circuit_open",
		"docker_heal_last_run_timestamp_seconds", "docker_heal_last_run_success", "docker_heal_run_duration_seconds"} {
		if fams[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
	counts := map[string]float64{}
	for _, m := range fams["docker_heal_restarts_total"].GetMetric() {
		var container, result string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "container":
				container = l.GetValue()
			case "result":
				result = l.GetValue()
			}
		}
		counts[container+"/"+result] = m.GetCounter().GetValue()
	}
	if counts["web/success"] != 4 || counts["web/failure"] != 1 || counts["db/success"] != 3 {
		t.Errorf("restarts_total %v", counts)
	}
	for _, m := range fams["docker_heal_circuit_open"].GetMetric() {
		want := 0.0
		if m.GetLabel()[0].GetValue() == "db" {
			want = 1
		}
		if m.GetGauge().GetValue() != want {
			t.Errorf("circuit_open %v", m)
		}
	}
	if v := fams["docker_heal_last_run_timestamp_seconds"].GetMetric()[0].GetGauge().GetValue(); v != float64(t0.Unix()) {
		t.Errorf("timestamp %v", v)
	}
	if v := fams["docker_heal_unhealthy_containers"].GetMetric()[0].GetGauge().GetValue(); v != 2 {
		t.Errorf("unhealthy %v", v)
	}
}

func TestWebhooks(t *testing.T) {
	var (
		mu   sync.Mutex
		got  []heal.Event
		hits int
	)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev heal.Event
		if err := json.Unmarshal(body, &ev); err != nil || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("bad post %q: %v", body, err)
		}
		mu.Lock()
		got = append(got, ev)
		hits++
		mu.Unlock()
	}))
	defer ok.Close()
	refused := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	}))
	defer refused.Close()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	secret := "/services/T000/B000/XXXXSECRETXXXX?token=hunter2"
	urls := []string{ok.URL + secret, refused.URL + secret, hang.URL + secret, closedURL + secret, "http://bad url with spaces" + secret}
	n := &Notifier{URLs: urls}
	events := executedPlan().Events("host1")
	errs := sendAll(n, 200*time.Millisecond, events)

	if hits != len(events) {
		t.Errorf("the working hook got %d posts, want %d", hits, len(events))
	}
	if got[0].Text == "" || got[0].Host != "host1" {
		t.Errorf("event %+v", got[0])
	}
	if len(errs) == 0 {
		t.Fatal("no errors from failing hooks")
	}
	var all strings.Builder
	for _, err := range errs {
		all.WriteString(err.Error() + "\n")
	}
	t.Log(all.String())
	for _, leak := range []string{"SECRET", "hunter2", "services/T000", ok.URL, refused.URL + "/", hang.URL + "/"} {
		if strings.Contains(all.String(), leak) {
			t.Errorf("webhook errors leak %q:\n%s", leak, all.String())
		}
	}
	for _, want := range []string{"webhook 2", "403", "webhook 3", "timed out", "webhook 4", "webhook 5"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("webhook errors lack %q:\n%s", want, all.String())
		}
	}
}

// sendAll delivers every event to every target within timeout, as a round does.
func sendAll(n *Notifier, timeout time.Duration, events []heal.Event) []error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	for _, target := range n.Targets() {
		for _, ev := range events {
			if err := n.Deliver(ctx, target, ev); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

func TestMetricsOfTheEnginesDoings(t *testing.T) {
	st := heal.NewState()
	st.OOMKillsTotal = map[string]int64{"oom": 2}
	st.EngineRestartsTotal = map[string]int64{"loop": 6, "oom": 1}
	st.Conditions = heal.CountConditions([]heal.Container{
		{State: "running", Health: heal.HealthHealthy}, {State: "running", Health: heal.HealthHealthy}, {State: "exited", ExitCode: 1},
	}, t0)
	var buf bytes.Buffer
	for _, f := range MetricFamilies(st, heal.RunSummary{Time: t0}) {
		if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{
		"# TYPE docker_heal_oom_kills_total counter", `docker_heal_oom_kills_total{container="oom"} 2`,
		"# TYPE docker_heal_engine_restarts_total counter", `docker_heal_engine_restarts_total{container="loop"} 6`,
		"# TYPE docker_heal_containers gauge", `docker_heal_containers{condition="healthy"} 2`, `docker_heal_containers{condition="exited"} 1`,
		`docker_heal_containers{condition="crash-loop"} 0`, `docker_heal_containers{condition="oom-killed"} 0`,
	} {
		if !strings.Contains(buf.String(), want+"\n") {
			t.Errorf("metrics do not hold %q:\n%s", want, buf.String())
		}
	}
}
