package commands

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v4"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
)

// exportedMetrics is every metric name docker heal exports, from once's
// metrics file and watch's /metrics, with a state that fills every family.
func exportedMetrics(t *testing.T) map[string]dto.MetricType {
	t.Helper()
	st := heal.NewState()
	st.Containers["a"] = &heal.Entry{Name: "web", CircuitOpen: true, RestartsTotal: map[string]int64{heal.ResultSuccess: 1}}
	st.NotificationsTotal = map[string]int64{heal.ResultSuccess: 1, heal.ResultFailure: 1, heal.NotificationDropped: 1}
	st.OOMKillsTotal = map[string]int64{"web": 1}
	st.EngineRestartsTotal = map[string]int64{"web": 1}
	st.Conditions = heal.CountConditions(nil, time.Now())
	m := store.NewLiveMetrics()
	if err := m.Record(context.Background(), st, heal.RunSummary{Time: time.Now(), Success: true}); err != nil {
		t.Fatal(err)
	}
	m.ObserveReaction(time.Second)
	m.SetStreamUp(true)
	fams, err := m.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]dto.MetricType{"up": dto.MetricType_GAUGE} // Prometheus's own, per scrape job
	for _, f := range fams {
		out[f.GetName()] = f.GetType()
	}
	return out
}

// metricToken is a docker heal metric name, or Prometheus's up as a
// selector (up{...}, or up alone).
var metricToken = regexp.MustCompile(`\b(docker_heal_[a-zA-Z0-9_:]+|up)\b([^a-zA-Z0-9_(]|$)`)

// queried lists the metric names an expression uses.
func queried(expr string) []string {
	var out []string
	for _, m := range metricToken.FindAllStringSubmatch(expr, -1) {
		out = append(out, m[1])
	}
	return out
}

func knownMetric(exported map[string]dto.MetricType, name string) bool {
	if _, ok := exported[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && exported[base] == dto.MetricType_HISTOGRAM {
			return true
		}
	}
	return false
}

// Every metric the alerting rules, their tests and the dashboard query is
// one docker heal exports: a renamed metric must not leave a silent alert.
func TestMonitoringPackQueriesExportedMetrics(t *testing.T) {
	exported := exportedMetrics(t)
	for _, want := range []string{"docker_heal_containers", "docker_heal_oom_kills_total", "docker_heal_engine_restarts_total",
		"docker_heal_event_stream_up", "docker_heal_reaction_seconds", "docker_heal_circuit_open", "docker_heal_notifications_total"} {
		if _, ok := exported[want]; !ok {
			t.Errorf("%s is not exported", want)
		}
	}

	var exprs []string
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, "../examples/monitoring/alerts.yaml", &rules)
	alerts := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
			alerts++
		}
	}
	var tests struct {
		Tests []struct {
			InputSeries []struct {
				Series string `yaml:"series"`
			} `yaml:"input_series"`
		} `yaml:"tests"`
	}
	readYAML(t, "../examples/monitoring/alerts_test.yaml", &tests)
	for _, tc := range tests.Tests {
		for _, s := range tc.InputSeries {
			exprs = append(exprs, s.Series)
		}
	}
	raw, err := os.ReadFile("../examples/monitoring/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q queries nothing", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}

	seen := map[string]bool{}
	for _, e := range exprs {
		names := queried(e)
		if len(names) == 0 && strings.TrimSpace(e) != "" && !strings.HasPrefix(e, "prometheus") {
			t.Errorf("no metric found in %q", e)
		}
		for _, n := range names {
			seen[n] = true
			if !knownMetric(exported, n) {
				t.Errorf("%q queries %s, which docker heal does not export", strings.TrimSpace(e), n)
			}
		}
	}
	if alerts < 7 {
		t.Errorf("%d alerting rules, want at least 7", alerts)
	}
	for _, want := range []string{"docker_heal_reaction_seconds_bucket", "docker_heal_containers", "docker_heal_restarts_total", "up"} {
		if !seen[want] {
			t.Errorf("nothing queries %s", want)
		}
	}
}

func TestQueried(t *testing.T) {
	got := queried(`increase(docker_heal_oom_kills_total[15m]) > 0 or (up{job="docker-heal"} == 0) unless docker_heal_nope offset 1h`)
	if !slices.Equal(got, []string{"docker_heal_oom_kills_total", "up", "docker_heal_nope"}) {
		t.Errorf("got %v", got)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
