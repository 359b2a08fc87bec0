package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
	"github.com/docker-heal/docker-heal/internal/filelock"
)

// streamDownLimit is how long the event stream may be down before /healthz
// says unhealthy: an engine restart takes seconds, not a minute.
const streamDownLimit = time.Minute

// streamHealth is what /healthz reports.
type streamHealth struct {
	mu        sync.Mutex
	connected bool
	since     time.Time // of the current connected/disconnected state
	lastErr   string
	lastRound time.Time
	roundErr  string
}

func newStreamHealth(now time.Time) *streamHealth { return &streamHealth{since: now} }

func (h *streamHealth) set(connected bool, err error, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.connected != connected {
		h.since = at
	}
	h.connected = connected
	h.lastErr = errText(err)
}

func (h *streamHealth) roundDone(at time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastRound, h.roundErr = at, errText(err)
}

type healthReport struct {
	Status    string    `json:"status"` // ok or unhealthy
	Events    string    `json:"events"` // connected or disconnected
	Since     time.Time `json:"since"`
	Error     string    `json:"error,omitempty"`
	LastRound time.Time `json:"last_round,omitzero"`
	RoundErr  string    `json:"last_round_error,omitempty"`
}

func (h *streamHealth) report(now time.Time) (healthReport, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := healthReport{Status: "ok", Events: "connected", Since: h.since.UTC(), Error: h.lastErr, LastRound: h.lastRound.UTC(), RoundErr: h.roundErr}
	if h.lastRound.IsZero() {
		r.LastRound = time.Time{}
	}
	ok := true
	if !h.connected {
		r.Events = "disconnected"
		if now.Sub(h.since) > streamDownLimit {
			r.Status, ok = "unhealthy", false
		}
	}
	return r, ok
}

// watchMetrics is /metrics: the families --metrics-file writes, from the
// last round, plus the reaction histogram and the process's own.
type watchMetrics struct {
	reg      *prometheus.Registry
	reaction prometheus.Histogram
	// streamUp is docker_heal_event_stream_up.
	streamUp prometheus.Gauge
	// file is --metrics-file, written after each round too.
	file *store.MetricsFile
	mu   sync.Mutex
	fams []*dto.MetricFamily
}

func newWatchMetrics() *watchMetrics {
	m := &watchMetrics{reg: prometheus.NewRegistry()}
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

func (m *watchMetrics) observeReaction(d time.Duration) { m.reaction.Observe(d.Seconds()) }

// Record keeps the round's families for /metrics (a heal.MetricsSink).
func (m *watchMetrics) Record(ctx context.Context, st *heal.State, run heal.RunSummary) error {
	fams := store.MetricFamilies(st, run)
	m.mu.Lock()
	m.fams = fams
	m.mu.Unlock()
	if m.file != nil {
		return m.file.Record(ctx, st, run)
	}
	return nil
}

// Gather merges the round's families with the registry's.
func (m *watchMetrics) Gather() ([]*dto.MetricFamily, error) {
	m.mu.Lock()
	fams := m.fams
	m.mu.Unlock()
	return prometheus.Gatherers{m.reg, prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return fams, nil })}.Gather()
}

func (w *watcher) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(w.metrics, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		r, ok := w.health.report(w.now())
		rw.Header().Set("Content-Type", "application/json")
		if !ok {
			rw.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(rw).Encode(r)
	})
	return mux
}

// runHealthcheck asks the local watch's /healthz; for the image's
// HEALTHCHECK, where there is no shell and no curl.
func runHealthcheck(ctx context.Context, errOut io.Writer, listen string) error {
	if listen == "" {
		return usageError("--healthcheck needs the address watch serves: --listen or DOCKER_HEAL_LISTEN")
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return usageError("--listen %q: %v", listen, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return usageError("%v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(errOut, "docker heal watch is not answering on %s: %v\n", listen, err)
		return silentExit(ExitFindings)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprint(errOut, strings.TrimSpace(string(body))+"\n")
	if resp.StatusCode != http.StatusOK {
		return silentExit(ExitFindings)
	}
	return nil
}

// acquireWatchLock makes sure one watch per state file: it holds a flock on
// path for its lifetime and writes its pid and host there, so a second one
// can name the first.
func acquireWatchLock(path string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state folder %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("watch lock %s: %w", path, err)
	}
	if locked, err := filelock.TryLock(f); !locked || err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 200))
		f.Close()
		return nil, watchRunningError(path, strings.TrimSpace(string(holder)))
	}
	host, _ := os.Hostname()
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+" on "+host+"\n"), 0)
	return func() { f.Close() }, nil
}
