package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/docker-heal/docker-heal/heal"
)

// MetricsFile is --metrics-file as a heal.MetricsSink.
type MetricsFile struct{ Path string }

// Record writes the metrics of the round.
func (m MetricsFile) Record(_ context.Context, st *heal.State, run heal.RunSummary) error {
	return WriteMetrics(m.Path, MetricFamilies(st, run))
}

func ptr[T any](v T) *T { return &v }

func gauge(name, help string, v float64, labels ...string) *dto.MetricFamily {
	return &dto.MetricFamily{Name: ptr(name), Help: ptr(help), Type: dto.MetricType_GAUGE.Enum(),
		Metric: []*dto.Metric{{Label: labelPairs(labels...), Gauge: &dto.Gauge{Value: ptr(v)}}}}
}

func labelPairs(kv ...string) []*dto.LabelPair {
	var out []*dto.LabelPair
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, &dto.LabelPair{Name: ptr(kv[i]), Value: ptr(kv[i+1])})
	}
	return out
}

// MetricFamilies builds the metrics of a run from the state (for the
// counters that must survive between runs) and the run summary.
func MetricFamilies(st *heal.State, run heal.RunSummary) []*dto.MetricFamily {
	restarts := &dto.MetricFamily{Name: ptr("docker_heal_restarts_total"), Type: dto.MetricType_COUNTER.Enum(),
		Help: ptr("Restarts (and stops) docker heal attempted, by container name and result, kept across runs.")}
	circuit := &dto.MetricFamily{Name: ptr("docker_heal_circuit_open"), Type: dto.MetricType_GAUGE.Enum(),
		Help: ptr("1 when the container's restart budget is spent and docker heal has stopped restarting it.")}
	totals := map[[2]string]int64{}
	open := map[string]float64{}
	if st != nil {
		for _, e := range st.Containers {
			for result, n := range e.RestartsTotal {
				totals[[2]string{e.Name, result}] += n
			}
			if e.CircuitOpen {
				open[e.Name] = 1
			} else if _, ok := open[e.Name]; !ok {
				open[e.Name] = 0
			}
		}
	}
	keys := make([][2]string, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		restarts.Metric = append(restarts.Metric, &dto.Metric{Label: labelPairs("container", k[0], "result", k[1]),
			Counter: &dto.Counter{Value: ptr(float64(totals[k]))}})
	}
	names := slices.Sorted(maps.Keys(open))
	for _, n := range names {
		circuit.Metric = append(circuit.Metric, &dto.Metric{Label: labelPairs("container", n), Gauge: &dto.Gauge{Value: ptr(open[n])}})
	}
	success := 0.0
	if run.Success {
		success = 1
	}
	fams := []*dto.MetricFamily{
		gauge("docker_heal_last_run_success", "1 when the last run could run and every action succeeded.", success),
		gauge("docker_heal_last_run_timestamp_seconds", "When the last run started, in seconds since the epoch.", float64(run.Time.UnixNano())/1e9),
		gauge("docker_heal_run_duration_seconds", "How long the last run took.", run.Duration.Seconds()),
		gauge("docker_heal_unhealthy_containers", "Unhealthy running containers seen by the last run.", float64(run.Unhealthy)),
	}
	if len(restarts.Metric) > 0 {
		fams = append(fams, restarts)
	}
	if len(circuit.Metric) > 0 {
		fams = append(fams, circuit)
	}
	if st != nil && len(st.NotificationsTotal) > 0 {
		notes := &dto.MetricFamily{Name: ptr("docker_heal_notifications_total"), Type: dto.MetricType_COUNTER.Enum(),
			Help: ptr("Notification deliveries by result (success, failure; dropped: failures given up on), kept across runs.")}
		for _, result := range slices.Sorted(maps.Keys(st.NotificationsTotal)) {
			notes.Metric = append(notes.Metric, &dto.Metric{Label: labelPairs("result", result),
				Counter: &dto.Counter{Value: ptr(float64(st.NotificationsTotal[result]))}})
		}
		fams = append(fams, notes)
	}
	if st != nil {
		if f := counterByContainer("docker_heal_oom_kills_total",
			"OOM kills docker heal saw (the kernel killed a container's process for exceeding its memory limit), by container name, kept across runs.",
			st.OOMKillsTotal); f != nil {
			fams = append(fams, f)
		}
		if f := counterByContainer("docker_heal_engine_restarts_total",
			"Restarts made by the engine's restart policy that docker heal saw (RestartCount rising between rounds), by container name, kept across runs.",
			st.EngineRestartsTotal); f != nil {
			fams = append(fams, f)
		}
		if st.Conditions != nil {
			conds := &dto.MetricFamily{Name: ptr("docker_heal_containers"), Type: dto.MetricType_GAUGE.Enum(),
				Help: ptr("Containers by condition (healthy, running, starting, unhealthy, crash-loop, oom-killed, restarting, exited, dead, created, paused, removing), each as the last round that looked at it saw it (a watcher's round for one container included).")}
			for _, c := range heal.Conditions {
				conds.Metric = append(conds.Metric, &dto.Metric{Label: labelPairs("condition", string(c)),
					Gauge: &dto.Gauge{Value: ptr(float64(st.Conditions[c]))}})
			}
			fams = append(fams, conds)
		}
	}
	sort.Slice(fams, func(i, j int) bool { return fams[i].GetName() < fams[j].GetName() })
	return fams
}

// counterByContainer is a counter family with one series per container
// name, or nil when there is none yet.
func counterByContainer(name, help string, totals map[string]int64) *dto.MetricFamily {
	if len(totals) == 0 {
		return nil
	}
	f := &dto.MetricFamily{Name: ptr(name), Help: ptr(help), Type: dto.MetricType_COUNTER.Enum()}
	for _, n := range slices.Sorted(maps.Keys(totals)) {
		f.Metric = append(f.Metric, &dto.Metric{Label: labelPairs("container", n), Counter: &dto.Counter{Value: ptr(float64(totals[n]))}})
	}
	return f
}

// WriteMetrics writes the families in Prometheus text format, atomically,
// for node_exporter's textfile collector.
func WriteMetrics(path string, fams []*dto.MetricFamily) error {
	var buf bytes.Buffer
	for _, f := range fams {
		if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
			return fmt.Errorf("metrics file %s: %w", path, err)
		}
	}
	if err := WriteFileAtomic(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("metrics file: %w (check the folder %s exists and is writable)", err, filepath.Dir(path))
	}
	return nil
}
