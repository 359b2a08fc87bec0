package heal

import (
	"fmt"
	"strings"
	"time"
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
	// EventCrashLoop: the engine keeps restarting the container (once per episode).
	EventCrashLoop = "crash_loop"
	// EventOOMKilled: the kernel killed it for lack of memory (once per kill).
	EventOOMKilled = "oom_killed"
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
	case EventCrashLoop:
		what = subject(c) + " is crash-looping: " + reason
	case EventOOMKilled:
		what = subject(c) + " was OOM-killed: " + reason
	}
	if reason != "" && (kind == EventRestarted || kind == EventRestartFailed || kind == EventStopped || kind == EventUnhealthy) {
		what += " (" + reason + ")"
	}
	ev.Text = fmt.Sprintf("docker-heal on %s: %s", host, what)
	if ev.LastProbe != "" && kind != EventRecovered && kind != EventCrashLoop && kind != EventOOMKilled {
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
		case StepAlert:
			evs = append(evs, newEvent(s.Event, c, host, p.Now, "none", "", s.Reason, ""))
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
	// Note says what else happened (skipped because an operator stopped
	// it, stopped again, pending).
	Note   string `json:"note,omitempty"`
	DryRun bool   `json:"dry_run,omitempty"`
}

// AuditRecords lists one record per decision, dependents included.
func (p Plan) AuditRecords(dryRun bool) []AuditRecord {
	var recs []AuditRecord
	add := func(c Container, decision, reason, result, errText, note string) {
		recs = append(recs, AuditRecord{
			Time: p.Now.UTC(), Container: c.Name, ID: c.ID, Project: c.Project, Service: c.Service,
			Decision: decision, Reason: reason, LastProbe: c.LastProbe(), Result: result, Error: errText, Note: note, DryRun: dryRun,
		})
	}
	for _, s := range p.Steps {
		reason := s.Reason
		if reason == "" && (s.Kind == StepRestart || s.Kind == StepStop || s.Kind == StepNotify) {
			reason = s.sickness()
		}
		if s.Kind == StepAlert {
			reason = strings.ReplaceAll(s.Event, "_", "-") + ": " + reason
		}
		add(s.Container, string(s.Kind), reason, s.Result, s.Error, s.Note)
		for _, d := range s.Dependents {
			add(d.Container, string(StepRestart), d.Reason, d.Result, d.Error, d.Note)
		}
	}
	return recs
}
