package heal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Events sent to webhooks and remembered in Entry.Notified.
const (
	EventRestarted     = "restarted"
	EventRestartFailed = "restart_failed"
	EventStopped       = "stopped"
	EventStopFailed    = "stop_failed"
	EventUnhealthy     = "unhealthy" // action notify
	EventCircuitOpened = "circuit_opened"
	EventRecovered     = "recovered"
)

// Event is one thing worth telling someone about.
type Event struct {
	Event     string    `json:"event"`
	Time      time.Time `json:"time"`
	Host      string    `json:"host"`
	Container string    `json:"container"`
	ID        string    `json:"id"`
	Project   string    `json:"project,omitempty"`
	Service   string    `json:"service,omitempty"`
	Action    string    `json:"action"`
	Result    string    `json:"result,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Error     string    `json:"error,omitempty"`
	LastProbe string    `json:"last_probe,omitempty"`
	// Text is a one-line summary, for Slack-style hooks that show only `text`.
	Text string `json:"text"`
}

// lastProbeOutput is the newest probe's output, trimmed to one reasonable line.
func lastProbeOutput(c Container) string {
	p := c.LastProbe()
	if p == nil {
		return ""
	}
	out := strings.TrimSpace(p.Output)
	if i := strings.IndexByte(out, '\n'); i >= 0 {
		out = out[:i]
	}
	if len(out) > 300 {
		out = out[:300] + "…"
	}
	return out
}

func subject(c Container) string {
	if c.Project != "" && c.Service != "" {
		return fmt.Sprintf("%s (%s/%s)", c.Name, c.Project, c.Service)
	}
	return c.Name
}

func newEvent(kind string, c Container, host string, now time.Time, action, result, reason, errText string) Event {
	ev := Event{
		Event: kind, Time: now.UTC(), Host: host, Container: c.Name, ID: c.ID, Project: c.Project, Service: c.Service,
		Action: action, Result: result, Reason: reason, Error: errText, LastProbe: lastProbeOutput(c),
	}
	var what string
	switch kind {
	case EventRestarted:
		what = "restarted " + subject(c)
	case EventRestartFailed:
		what = "could not restart " + subject(c) + ": " + errText
	case EventStopped:
		what = "stopped " + subject(c)
	case EventStopFailed:
		what = "could not stop " + subject(c) + ": " + errText
	case EventUnhealthy:
		what = subject(c) + " is unhealthy"
	case EventCircuitOpened:
		what = "gave up on " + subject(c) + ": " + reason + "; run docker heal reset " + c.Name + " once fixed"
	case EventRecovered:
		what = subject(c) + " recovered: " + reason
	}
	if reason != "" && (kind == EventRestarted || kind == EventRestartFailed || kind == EventStopped || kind == EventUnhealthy) {
		what += " (" + reason + ")"
	}
	ev.Text = fmt.Sprintf("docker-heal on %s: %s", host, what)
	if ev.LastProbe != "" && kind != EventRecovered {
		ev.Text += "; last probe: " + ev.LastProbe
	}
	return ev
}

// Events lists what the executed plan has to report.
func (p Plan) Events(host string) []Event {
	var evs []Event
	for _, s := range p.Steps {
		c := s.Container
		switch s.Kind {
		case StepRestart:
			if s.Result == ResultSuccess {
				evs = append(evs, newEvent(EventRestarted, c, host, p.Now, string(ActionRestart), s.Result, s.sickness(), ""))
			} else if s.Result == ResultFailure {
				evs = append(evs, newEvent(EventRestartFailed, c, host, p.Now, string(ActionRestart), s.Result, s.sickness(), s.Error))
			}
			for _, d := range s.Dependents {
				switch d.Result {
				case ResultSuccess:
					evs = append(evs, newEvent(EventRestarted, d.Container, host, p.Now, string(ActionRestart), d.Result, d.Reason, ""))
				case ResultFailure:
					evs = append(evs, newEvent(EventRestartFailed, d.Container, host, p.Now, string(ActionRestart), d.Result, d.Reason, d.Error))
				}
			}
		case StepStop:
			if s.Result == ResultSuccess {
				evs = append(evs, newEvent(EventStopped, c, host, p.Now, string(ActionStop), s.Result, s.sickness(), ""))
			} else if s.Result == ResultFailure {
				evs = append(evs, newEvent(EventStopFailed, c, host, p.Now, string(ActionStop), s.Result, s.sickness(), s.Error))
			}
		case StepNotify:
			evs = append(evs, newEvent(EventUnhealthy, c, host, p.Now, string(ActionNotify), "", s.sickness(), ""))
		case StepOpenCircuit:
			evs = append(evs, newEvent(EventCircuitOpened, c, host, p.Now, "none", "", s.Reason, ""))
		case StepRecovered:
			evs = append(evs, newEvent(EventRecovered, c, host, p.Now, "none", "", s.Reason, ""))
		}
	}
	return evs
}

// AuditRecord is one line of --audit-log.
type AuditRecord struct {
	Time      time.Time `json:"time"`
	Container string    `json:"container"`
	ID        string    `json:"id"`
	Project   string    `json:"project,omitempty"`
	Service   string    `json:"service,omitempty"`
	Decision  string    `json:"decision"`
	Reason    string    `json:"reason,omitempty"`
	LastProbe *Probe    `json:"last_probe,omitempty"`
	Result    string    `json:"result,omitempty"`
	Error     string    `json:"error,omitempty"`
	DryRun    bool      `json:"dry_run,omitempty"`
}

// AuditRecords lists one record per decision, dependents included.
func (p Plan) AuditRecords(dryRun bool) []AuditRecord {
	var recs []AuditRecord
	add := func(c Container, decision, reason, result, errText string) {
		recs = append(recs, AuditRecord{
			Time: p.Now.UTC(), Container: c.Name, ID: c.ID, Project: c.Project, Service: c.Service,
			Decision: decision, Reason: reason, LastProbe: c.LastProbe(), Result: result, Error: errText, DryRun: dryRun,
		})
	}
	for _, s := range p.Steps {
		reason := s.Reason
		if reason == "" && (s.Kind == StepRestart || s.Kind == StepStop || s.Kind == StepNotify) {
			reason = s.sickness()
		}
		add(s.Container, string(s.Kind), reason, s.Result, s.Error)
		for _, d := range s.Dependents {
			add(d.Container, string(StepRestart), d.Reason, d.Result, d.Error)
		}
	}
	return recs
}

// AppendAudit appends records to the audit log as JSON lines (mode 0600 when created).
func AppendAudit(path string, recs []AuditRecord) error {
	if len(recs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("audit log %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit log %s: %w (check the folder exists and is writable)", path, err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("audit log %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("audit log %s: %w", path, err)
	}
	return nil
}

// RunSummary is what the metrics file says about one run.
type RunSummary struct {
	Time      time.Time
	Duration  time.Duration
	Success   bool
	Unhealthy int // unhealthy containers observed
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
func MetricFamilies(st *State, run RunSummary) []*dto.MetricFamily {
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
	sort.Slice(fams, func(i, j int) bool { return fams[i].GetName() < fams[j].GetName() })
	return fams
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

// Notifier posts events to webhooks. Each URL may carry a secret, so it
// never appears in an error or a log line: hooks are named by position.
type Notifier struct {
	URLs    []string
	Timeout time.Duration // for the whole batch; default 5s
	Client  *http.Client
}

// Send posts every event to every URL within the timeout, and returns the
// failures, already scrubbed of the URLs.
func (n *Notifier) Send(ctx context.Context, events []Event) []error {
	if n == nil || len(n.URLs) == 0 || len(events) == 0 {
		return nil
	}
	timeout := n.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := n.Client
	if client == nil {
		client = &http.Client{}
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for i, u := range n.URLs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, ev := range events {
				if err := postEvent(ctx, client, u, ev); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("webhook %d (%s event for %s): %s", i+1, ev.Event, ev.Container, scrub(err, u)))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}

func postEvent(ctx context.Context, client *http.Client, target string, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return errors.New("invalid URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "docker-heal")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}

// scrub turns an HTTP error into words that do not contain the URL, its
// path or query (where Slack and friends keep the secret).
func scrub(err error, target string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "timed out"
	}
	msg = strings.ReplaceAll(msg, target, "<webhook>")
	if u, perr := url.Parse(target); perr == nil {
		for _, secret := range []string{u.String(), u.RawQuery, u.EscapedPath(), u.User.String()} {
			if len(secret) > 1 {
				msg = strings.ReplaceAll(msg, secret, "<redacted>")
			}
		}
	}
	return msg
}
