package heal

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/docker-heal/docker-heal/internal/bounded"
)

// MaxNotifyAttempts bounds how often one notification is tried (once per
// round) before it is dropped, with a failure in the audit log.
const MaxNotifyAttempts = 5

// Delivery is one attempt to deliver one event to one target.
type Delivery struct {
	Event   Event
	Target  string
	Attempt int    // 1 for the first
	Error   string // "" when delivered
	Dropped bool   // the last attempt failed: the event is given up on
}

// Pending is a notification some targets have not received yet.
type Pending struct {
	Event Event `json:"event"`
	// Targets still to deliver to.
	Targets   []string `json:"targets"`
	Attempts  int      `json:"attempts"`
	LastError string   `json:"last_error,omitempty"`
}

// deliver queues the plan's events behind those left from earlier rounds,
// tries each pending one once per target, and keeps what failed for the
// next round (up to MaxNotifyAttempts). A notify step's outcome is its
// event's delivery.
func (r *Runner) deliver(ctx context.Context, st *State, plan *Plan) []Delivery {
	var targets []string
	if r.Notifier != nil {
		targets = r.Notifier.Targets()
	}
	fresh := plan.Events(r.Host)
	if len(targets) == 0 {
		for i := range plan.Steps {
			switch s := &plan.Steps[i]; s.Kind {
			case StepNotify:
				s.Result, s.Error = ResultFailure, "no notification target is configured (--webhook, --notify, or heal.webhooks)"
			case StepAlert:
				s.Note = "nobody told: no notification target is configured"
			}
		}
		return nil
	}
	configured := map[string]bool{}
	for _, t := range targets {
		configured[t] = true
	}
	for _, ev := range fresh {
		st.Outbox = append(st.Outbox, Pending{Event: ev, Targets: append([]string(nil), targets...)})
	}
	timeout := r.NotifyTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Targets are tried in parallel, so one that hangs does not use up the
	// others' time; each gets the pending events oldest first.
	errs := make([]map[string]error, len(st.Outbox))
	for i := range errs {
		errs[i] = map[string]error{}
	}
	var mu sync.Mutex
	_ = bounded.Each(ctx, len(targets), len(targets), func(ctx context.Context, t int) error {
		target := targets[t]
		for i, p := range st.Outbox {
			if !slices.Contains(p.Targets, target) {
				continue
			}
			err := r.Notifier.Deliver(ctx, target, p.Event)
			mu.Lock()
			errs[i][target] = err
			mu.Unlock()
		}
		return nil
	})

	var out []Delivery
	kept := st.Outbox[:0]
	for i, p := range st.Outbox {
		p.Attempts++
		first := len(out)
		var left []string
		for _, t := range p.Targets {
			err, tried := errs[i][t]
			if !configured[t] {
				continue // no longer configured: nobody to deliver to
			}
			if !tried {
				left = append(left, t) // the round was cancelled first
				continue
			}
			d := Delivery{Event: p.Event, Target: t, Attempt: p.Attempts}
			if err != nil {
				d.Error = err.Error()
				p.LastError = d.Error
				left = append(left, t)
				r.log().Warn("notification not delivered", "event", p.Event.Event, "container", p.Event.Container, "target", t, "attempt", p.Attempts, "error", d.Error)
			}
			out = append(out, d)
		}
		p.Targets = left
		if len(left) > 0 && p.Attempts < MaxNotifyAttempts {
			kept = append(kept, p)
			continue
		}
		if len(left) > 0 {
			for i := first; i < len(out); i++ {
				out[i].Dropped = out[i].Error != ""
			}
			r.log().Error("notification dropped", "event", p.Event.Event, "container", p.Event.Container, "attempts", p.Attempts, "error", p.LastError)
		}
	}
	st.Outbox = kept
	if st.NotificationsTotal == nil {
		st.NotificationsTotal = map[string]int64{}
	}
	for _, d := range out {
		switch {
		case d.Error == "":
			st.NotificationsTotal[ResultSuccess]++
		case d.Dropped:
			st.NotificationsTotal[ResultFailure]++
			st.NotificationsTotal[NotificationDropped]++
		default:
			st.NotificationsTotal[ResultFailure]++
		}
	}

	// A notify step succeeded when its event reached every target now. An
	// alert is a notice like a restart's: its delivery is only noted.
	for i := range plan.Steps {
		s := &plan.Steps[i]
		if s.Kind == StepAlert {
			s.Note = "notified"
			for _, d := range out {
				if d.Event.Event == s.Event && d.Event.ID == s.Container.ID && d.Event.Time.Equal(plan.Now) && d.Error != "" {
					s.Note = "notification not delivered (retried next round): " + d.Error
				}
			}
			continue
		}
		if s.Kind != StepNotify {
			continue
		}
		s.Result = ResultSuccess
		for _, d := range out {
			if d.Event.Event == EventUnhealthy && d.Event.ID == s.Container.ID && d.Event.Time.Equal(plan.Now) && d.Error != "" {
				s.Result = ResultFailure
				s.Error = fmt.Sprintf("notification not delivered (retried next round): %s", d.Error)
			}
		}
	}
	return out
}

// NotificationDropped is the result counted for a notification given up on.
const NotificationDropped = "dropped"

// deliveryRecords are the audit records of the deliveries worth keeping:
// failures, and the successes of a retry.
func deliveryRecords(ds []Delivery, now time.Time) []AuditRecord {
	var recs []AuditRecord
	for _, d := range ds {
		if d.Error == "" && d.Attempt == 1 {
			continue
		}
		rec := AuditRecord{Time: now.UTC(), Container: d.Event.Container, ID: d.Event.ID, Project: d.Event.Project, Service: d.Event.Service,
			Decision: "deliver", Reason: fmt.Sprintf("%s event of %s to %s, attempt %d of %d", d.Event.Event, d.Event.Time.UTC().Format(time.RFC3339), d.Target, d.Attempt, MaxNotifyAttempts)}
		switch {
		case d.Error == "":
			rec.Result = ResultSuccess
		case d.Dropped:
			rec.Result, rec.Error = ResultFailure, d.Error+"; given up"
		default:
			rec.Result, rec.Error = ResultFailure, d.Error+"; retried next round"
		}
		recs = append(recs, rec)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Container < recs[j].Container })
	return recs
}

// Notifiers is several Notifiers as one: each target is delivered by the
// one that names it.
type Notifiers []Notifier

// Targets lists every target of every notifier.
func (ns Notifiers) Targets() []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Targets()...)
	}
	return out
}

// Deliver sends ev through the notifier that names target.
func (ns Notifiers) Deliver(ctx context.Context, target string, ev Event) error {
	for _, n := range ns {
		if slices.Contains(n.Targets(), target) {
			return n.Deliver(ctx, target, ev)
		}
	}
	return fmt.Errorf("%s is not configured", target)
}
