package heal

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// The collaborators of a round. Each is small so that tests fake it in a few
// lines and so that once, watch and tests wire the same Runner differently.
type (
	// StateStore keeps the State between rounds.
	StateStore interface {
		// Load returns the state to plan from (a fresh one when there is none).
		Load(ctx context.Context, now time.Time) (*State, error)
		Save(ctx context.Context, st *State, now time.Time) error
	}
	// Notifier delivers events. Targets are stable names of its destinations
	// that carry no secret (they are written in the state file).
	Notifier interface {
		Targets() []string
		// Deliver sends one event to one target; nil means it was delivered.
		// The error must not contain the target's secret.
		Deliver(ctx context.Context, target string, ev Event) error
	}
	// MetricsSink records the outcome of a round.
	MetricsSink interface {
		Record(ctx context.Context, st *State, run RunSummary) error
	}
	// AuditLog keeps one record per decision and per failed delivery.
	AuditLog interface {
		Append(ctx context.Context, recs []AuditRecord) error
	}
	// Clock tells the time; a round reads it at its start and end only.
	Clock interface{ Now() time.Time }
)

// ClockFunc makes a func a Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// RunSummary is what the metrics say about one round.
type RunSummary struct {
	Time      time.Time
	Duration  time.Duration
	Success   bool
	Unhealthy int // unhealthy containers observed
}

// Runner runs rounds of observe -> decide -> execute -> record. Engine and
// Store are required; a nil Notifier, MetricsSink or AuditLog does nothing
// (and a notify step then fails: nobody could be told).
type Runner struct {
	Engine   Engine
	Store    StateStore
	Notifier Notifier
	Metrics  MetricsSink
	Audit    AuditLog
	Clock    Clock // nil: time.Now
	Policy   Policy
	// Host names this machine in events.
	Host string
	// NotifyTimeout bounds the delivery of every notification of a round;
	// 0 means 5s.
	NotifyTimeout time.Duration
	Log           *slog.Logger
}

// RoundOptions shape one round.
type RoundOptions struct {
	// Only limits the round to these container ids (a watcher's round for
	// one container); empty means every container. The others are still
	// listed, as possible dependents, but nothing is decided about them.
	Only []string
	// DryRun stops after Decide: nothing is executed, sent or written.
	DryRun bool
	// Timeout ends the round's actions this long after the round began:
	// restarts still in flight are reported pending and the next round
	// reads their outcome. 0 means DefaultRoundTimeout of the plan.
	Timeout time.Duration
	// Died are the die events a watcher saw, by container id: the exit
	// codes the engine forgets once it restarts a container.
	Died map[string]ExitRecord
}

// Round is what one round saw, decided and did.
type Round struct {
	Start    time.Time
	Snapshot Snapshot
	Plan     Plan
	// Deliveries are this round's delivery attempts, in order.
	Deliveries []Delivery
	// SaveErr is set when the state could not be saved: the next round will
	// not know what this one did.
	SaveErr error
}

// Failed reports whether the round must exit 1: an action failed or a
// circuit opened (see Plan.Failed).
func (r Round) Failed() bool { return r.Plan.Failed() }

func (r *Runner) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}

func (r *Runner) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// RunRound runs one round. The error is for a round that could not run (the
// state could not be loaded, the engine could not be listed); what failed
// inside a round that ran is in the Round.
//
// When ctx ends during the actions (a signal), no new action starts; those
// in flight finish within their bound, and the round is recorded as usual:
// its state, audit log and metrics are written with ctx's cancellation
// ignored. Every attempt is written to the state ahead of its engine call.
func (r *Runner) RunRound(ctx context.Context, opts RoundOptions) (Round, error) {
	begun := time.Now() // the real clock: the round's deadline
	start := r.now()
	pol := r.Policy.WithDefaults()
	round := Round{Start: start}
	st, err := r.Store.Load(ctx, start)
	if err != nil {
		return round, err
	}
	var only map[string]bool
	if len(opts.Only) > 0 {
		only = map[string]bool{}
		for _, id := range opts.Only {
			only[id] = true
		}
	}
	round.Snapshot, err = observe(ctx, r.Engine, st, pol, only, start)
	if err != nil {
		if !opts.DryRun {
			r.recordMetrics(ctx, st, RunSummary{Time: start, Duration: r.now().Sub(start)})
		}
		return round, err
	}
	for i := range round.Snapshot.Containers {
		c := &round.Snapshot.Containers[i]
		if d, ok := opts.Died[c.ID]; ok {
			MarkDied(c, d)
		}
		if e := st.Entry(c.ID); e != nil && len(e.Exits) > 0 {
			MarkDied(c, e.Exits[len(e.Exits)-1])
		}
	}
	r.resolvePending(ctx, st, round.Snapshot, start)
	round.Plan = Decide(round.Snapshot.Containers, st, pol, start)
	applied := round.Snapshot
	if only != nil {
		round.Plan, applied = focus(round.Plan, round.Snapshot, only)
	}
	if opts.DryRun {
		return round, nil
	}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultRoundTimeout(round.Plan, pol)
	}
	journal := &stateJournal{ctx: context.WithoutCancel(ctx), store: r.Store, st: st, at: start}
	x := &Executor{Engine: r.Engine, Policy: pol, Log: r.log(), Journal: journal, Deadline: begun.Add(timeout)}
	x.Execute(ctx, &round.Plan)
	// What was done is recorded even when a signal ended the round early.
	ctx = context.WithoutCancel(ctx)
	round.Deliveries = r.deliver(ctx, st, &round.Plan)
	st.Apply(applied, round.Plan, pol)
	st.NoteConditions(round.Snapshot.Containers, only, start)
	if round.SaveErr = r.Store.Save(ctx, st, start); round.SaveErr != nil {
		r.log().Error("state not saved: the next run will not know what this one did", "error", round.SaveErr.Error())
	}
	if r.Audit != nil {
		recs := append(round.Plan.AuditRecords(false), deliveryRecords(round.Deliveries, start)...)
		if err := r.Audit.Append(ctx, recs); err != nil {
			r.log().Error("audit log not written", "error", err.Error())
		}
	}
	r.recordMetrics(ctx, st, RunSummary{Time: start, Duration: r.now().Sub(start),
		Success: round.SaveErr == nil && !round.Plan.Failed(), Unhealthy: round.Snapshot.Unhealthy})
	return round, nil
}

func (r *Runner) recordMetrics(ctx context.Context, st *State, run RunSummary) {
	if r.Metrics == nil {
		return
	}
	if err := r.Metrics.Record(ctx, st, run); err != nil {
		r.log().Error("metrics not written", "error", err.Error())
	}
}

// DefaultRoundTimeout is a little over what the plan's actions may take:
// the longest parent-and-dependents chain of stop timeouts (each with the
// restart margin) for every wave of Policy.Concurrency actions, plus one
// margin.
func DefaultRoundTimeout(plan Plan, pol Policy) time.Duration {
	pol = pol.WithDefaults()
	margin := pol.RestartMargin
	var longest time.Duration
	actions := 0
	for _, s := range plan.Steps {
		if s.Kind != StepRestart && s.Kind != StepStop {
			continue
		}
		actions++
		chain := s.StopTimeout + margin
		for _, d := range s.Dependents {
			// A dependent not inspected yet may have a longer timeout of its
			// own, up to the cap.
			chain += max(d.StopTimeout, pol.MaxStopTimeout) + margin
		}
		longest = max(longest, chain)
	}
	waves := (actions + max(pol.Concurrency, 1) - 1) / max(pol.Concurrency, 1)
	return time.Duration(waves)*longest + margin
}

// stateJournal writes each attempt to the state file before its engine
// call: if the process dies during the call, the next round still counts it.
type stateJournal struct {
	ctx   context.Context
	store StateStore
	mu    sync.Mutex
	st    *State
	at    time.Time
}

func (j *stateJournal) Begin(c Container, action Action, cause string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.st.beginAttempt(c, action, cause, j.at)
	if err := j.store.Save(j.ctx, j.st, j.at); err != nil {
		j.st.cancelAttempt(c.ID, action, cause, j.at)
		return err
	}
	return nil
}

// resolvePending reads from the engine the outcome of attempts an earlier
// round left pending (it died during the call, or ran out of time): a
// restart happened when the container started after the attempt, a stop
// when it no longer runs. One still too young to judge stays pending.
func (r *Runner) resolvePending(ctx context.Context, st *State, snap Snapshot, now time.Time) {
	seen := map[string]Container{}
	for _, c := range snap.Containers {
		seen[c.ID] = c
	}
	margin := r.Policy.WithDefaults().RestartMargin
	for _, id := range slices.Sorted(maps.Keys(st.Containers)) {
		e := st.Containers[id]
		if _, ok := e.pendingSince(); !ok {
			continue
		}
		c, ok := seen[id]
		if !ok || !c.Inspected {
			fresh, err := r.Engine.Inspect(ctx, id)
			switch {
			case IsNotFound(err):
				c, ok = Container{ID: id}, false
			case err != nil:
				r.log().Warn("cannot read the outcome of a pending attempt; trying next round", "container", e.Name, "error", err.Error())
				continue
			default:
				c, ok = fresh, true
			}
		}
		for i := range e.Restarts {
			rec := &e.Restarts[i]
			if rec.Result != ResultPending {
				continue
			}
			const read = "outcome read from the engine after the round that attempted it"
			switch {
			case !ok:
				rec.Result, rec.Error = ResultFailure, "the container was removed before the outcome was known"
			case rec.Action == ActionRestart && c.StartedAt.After(rec.Time):
				rec.Result, rec.Note = ResultSuccess, read
			case rec.Action == ActionStop && c.State != "running" && c.State != "restarting":
				rec.Result, rec.Note = ResultSuccess, read
			case now.Sub(rec.Time) < max(r.Policy.MaxStopTimeout, r.Policy.StopTimeout, DefaultStopTimeout)+margin:
				continue // the engine may still be at it
			default:
				rec.Result, rec.Error = ResultFailure, "the engine shows no "+string(rec.Action)+" after the attempt"
			}
			e.count(rec.Result)
			r.log().Info("pending attempt resolved", "container", e.Name, "action", string(rec.Action), "result", rec.Result)
		}
	}
}

// focus keeps the steps about the containers in only, and the part of the
// snapshot the state may learn from.
func focus(plan Plan, snap Snapshot, only map[string]bool) (Plan, Snapshot) {
	steps := plan.Steps[:0:0]
	for _, s := range plan.Steps {
		if only[s.Container.ID] {
			steps = append(steps, s)
		}
	}
	plan.Steps = steps
	applied := Snapshot{Unhealthy: snap.Unhealthy}
	for _, c := range snap.Containers {
		if only[c.ID] {
			applied.Containers = append(applied.Containers, c)
		}
	}
	return plan, applied
}
