package store

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"

	"github.com/docker-heal/docker-heal/heal"
)

// LiveMetrics is what watch serves on /metrics: the families --metrics-file
// writes, from the last round, plus the reaction histogram and the
// process's own. It is a heal.MetricsSink and a prometheus.Gatherer.
type LiveMetrics struct {
	reg      *prometheus.Registry
	reaction prometheus.Histogram
	// streamUp is docker_heal_event_stream_up.
	streamUp prometheus.Gauge
	// File is --metrics-file, written after each round too; nil for none.
	File *MetricsFile
	mu   sync.Mutex
	fams []*dto.MetricFamily
}

// NewLiveMetrics returns metrics with no round recorded yet.
func NewLiveMetrics() *LiveMetrics {
	m := &LiveMetrics{reg: prometheus.NewRegistry()}
	m.reaction = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "docker_heal_reaction_seconds",
		Help:    "Time from the engine's unhealthy event to docker heal issuing the restart (or stop).",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	})
	m.streamUp = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "docker_heal_event_stream_up",
		Help: "1 while watch follows the engine's event stream, 0 while it is disconnected and reconnecting.",
	})
	m.reg.MustRegister(m.reaction, m.streamUp, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveReaction records the time from an unhealthy event to the action.
func (m *LiveMetrics) ObserveReaction(d time.Duration) { m.reaction.Observe(d.Seconds()) }

// SetStreamUp records whether the engine's event stream is followed.
func (m *LiveMetrics) SetStreamUp(up bool) {
	if up {
		m.streamUp.Set(1)
	} else {
		m.streamUp.Set(0)
	}
}

// Record keeps the round's families for /metrics (a heal.MetricsSink).
func (m *LiveMetrics) Record(ctx context.Context, st *heal.State, run heal.RunSummary) error {
	fams := MetricFamilies(st, run)
	m.mu.Lock()
	m.fams = fams
	m.mu.Unlock()
	if m.File != nil {
		return m.File.Record(ctx, st, run)
	}
	return nil
}

// Gather merges the round's families with the registry's.
func (m *LiveMetrics) Gather() ([]*dto.MetricFamily, error) {
	m.mu.Lock()
	fams := m.fams
	m.mu.Unlock()
	return prometheus.Gatherers{m.reg, prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return fams, nil })}.Gather()
}
