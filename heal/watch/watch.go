// Package watch is the scheduler of `docker heal watch`: it follows the
// engine's events, runs a round of heal's Runner on the containers they
// name, a full round at start, after every reconnect and every resync, and
// looks again when a waiting decision falls due. Events only say which
// container to look at; the decision is the same Decide once uses, on a
// fresh observation (client-go's list, watch, resync).
package watch

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

// Follower is the event source: internal/dockerengine's Engine, or a
// test's fake. Follow sends until ctx ends, then closes out.
type Follower interface {
	Follow(ctx context.Context, opts heal.FollowOptions, out chan<- heal.EngineEvent)
}

// Config is what a Watcher needs. Runner is built as once builds it; the
// Watcher runs copies of it, its Engine behind a stopwatch.
type Config struct {
	Runner *heal.Runner
	Events Follower
	// Resync is how often a full round runs; the storm guard
	// (Policy.MaxPerRun) counts per Resync window.
	Resync time.Duration
	// StartDelay holds the first round back this long.
	StartDelay time.Duration
	// RoundTimeout is each round's (heal.RoundOptions.Timeout).
	RoundTimeout time.Duration
	DryRun       bool
	// LockRound takes the state lock for one round; nil takes none.
	LockRound func(ctx context.Context) (release func(), err error)
	// Reaction, when set, is told the time from an unhealthy event to the
	// restart or stop it led to.
	Reaction func(time.Duration)
	// Stream, when set, is told of every change of the event stream's
	// connection (true: following).
	Stream func(connected bool)
	// OnRound is told of every round that ran, to print it.
	OnRound func(heal.Round)
	Log     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Watcher holds what lives across rounds. Rounds run one at a time; the
// event loop keeps reading events meanwhile and queues the containers named.
type Watcher struct {
	cfg    Config
	pol    heal.Policy
	runner heal.Runner
	clock  *stopwatch
	health *Health
	log    *slog.Logger
	now    func() time.Time

	// The storm guard's window: actions taken since windowStart.
	windowStart   time.Time
	windowActions int
	window        int // counts resync windows; only Run's goroutine touches these three

	// died is the last die event of each container; only Run's goroutine
	// touches it.
	died map[string]heal.ExitRecord
}

// RetryAfterFailure is when the containers of a failed event round are
// looked at again (a full round retries at the next resync or reconnect).
const RetryAfterFailure = 5 * time.Second

// New makes a Watcher; Run starts it.
func New(cfg Config) *Watcher {
	w := &Watcher{cfg: cfg, pol: cfg.Runner.Policy.WithDefaults(), log: cfg.Log, now: cfg.Now}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	w.clock = &stopwatch{Engine: cfg.Runner.Engine, observe: cfg.Reaction, log: w.log, pending: map[string]seen{}}
	w.runner = *cfg.Runner
	w.runner.Engine = w.clock
	// A round runs at most the time of its actions (RoundTimeout, else the
	// longest stop timeout allowed and the margin): health expects a
	// successful round within two resyncs of that.
	bound := cfg.RoundTimeout
	if bound <= 0 {
		bound = max(w.pol.MaxStopTimeout, w.pol.StopTimeout, heal.DefaultStopTimeout) + w.pol.RestartMargin
	}
	w.health = NewHealth(w.now().Add(cfg.StartDelay), 2*cfg.Resync+bound)
	return w
}

// Health is what /healthz reports.
func (w *Watcher) Health() *Health { return w.health }

// Report is the health now, by the watcher's clock.
func (w *Watcher) Report() (Report, bool) { return w.health.Report(w.now()) }

// roundResult is what a round tells the event loop.
type roundResult struct {
	// recheck maps container ids to when a waiting decision falls due.
	recheck map[string]time.Time
	// actions is how many restarts and stops the round took; window is
	// the storm-guard window it ran in (they count only toward that one).
	actions, window int
	// gone are the containers with a die event kept that a full round no
	// longer listed: removed while the event stream was down.
	gone []string
}

// Run follows events and runs rounds until ctx ends, then lets the round in
// flight finish and returns.
func (w *Watcher) Run(ctx context.Context) error {
	evs := make(chan heal.EngineEvent, 64)
	followCtx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	follow := heal.FollowOptions{Filters: map[string][]string{}}
	for k, v := range w.pol.Scope {
		if k == "label" { // the only scope term the events API and the list share
			follow.Filters[k] = v
		}
	}
	go w.cfg.Events.Follow(followCtx, follow, evs)

	var (
		needFull  = true
		pending   = map[string]bool{}
		rechecks  = map[string]time.Time{}
		running   bool
		done      = make(chan roundResult, 1)
		timer     = time.NewTimer(time.Hour)
		startWait <-chan time.Time
	)
	timer.Stop()
	resync := time.NewTicker(w.cfg.Resync)
	defer resync.Stop()
	w.windowStart = w.now()
	w.died = map[string]heal.ExitRecord{}
	if w.cfg.StartDelay > 0 {
		startWait = time.After(w.cfg.StartDelay)
	}

	armTimer := func() {
		timer.Stop()
		var next time.Time
		for _, at := range rechecks {
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		if !next.IsZero() {
			timer.Reset(max(time.Until(next), 0))
		}
	}
	for {
		if !running && startWait == nil && ctx.Err() == nil && (needFull || len(pending) > 0) {
			var ids []string
			if !needFull {
				ids = slices.Sorted(maps.Keys(pending))
			}
			needFull, pending, running = false, map[string]bool{}, true
			exits := maps.Clone(w.died)
			// The round gets the window's budget as a value: Run resets the
			// window while a round may be in flight.
			budget := roundBudget{left: max(0, w.pol.MaxPerRun-w.windowActions), ends: w.windowStart.Add(w.cfg.Resync), window: w.window}
			go func() { done <- w.round(ctx, ids, exits, budget) }()
		}
		select {
		case <-ctx.Done():
			if running {
				w.log.Info("stopping: waiting for the round in flight")
				<-done
			}
			w.log.Info("stopped")
			return nil
		case <-startWait:
			startWait = nil
		case ev, ok := <-evs:
			if !ok {
				evs = nil // Follow ended (ctx): the Done case returns
				continue
			}
			switch ev.Kind {
			case heal.StreamConnected:
				w.health.setStream(true, nil, ev.Time)
				w.streamChanged(true)
				w.log.Info("following engine events")
				needFull = true
			case heal.StreamDisconnected:
				w.health.setStream(false, ev.Err, ev.Time)
				w.streamChanged(false)
				w.log.Warn("engine event stream lost; reconnecting", "error", errText(ev.Err))
			case heal.EventHealthStatus:
				if ev.Health == heal.HealthUnhealthy {
					w.clock.sawUnhealthy(ev.ID, ev.Name, ev.Time)
				} else {
					w.clock.forget(ev.ID)
				}
				pending[ev.ID] = true
			case heal.EventDestroy, heal.EventDie, heal.EventPause:
				w.clock.forget(ev.ID)
				if _, ok := rechecks[ev.ID]; ok {
					delete(rechecks, ev.ID)
					armTimer()
				}
				if ev.Kind == heal.EventDie {
					pending[ev.ID] = true // a crash loop or an OOM kill is decided on a fresh look
					w.died[ev.ID] = heal.ExitRecord{Time: ev.Time, ExitCode: ev.ExitCode}
				}
				if ev.Kind == heal.EventDestroy {
					delete(w.died, ev.ID)
					// A round for it drops it from the condition gauge.
					pending[ev.ID] = true
				}
			case heal.EventOOM:
				pending[ev.ID] = true
			case heal.EventUnpause:
				// Its pause dropped its recheck, and a container still
				// unhealthy sends no new health_status: look at it now.
				pending[ev.ID] = true
			}
		case <-resync.C:
			needFull = true
			w.windowStart, w.windowActions = w.now(), 0
			w.window++
		case <-timer.C:
			now := w.now()
			for id, at := range rechecks {
				if !at.After(now) {
					pending[id] = true
					delete(rechecks, id)
				}
			}
			armTimer()
		case res := <-done:
			running = false
			if res.window == w.window {
				w.windowActions += res.actions
			}
			for _, id := range res.gone {
				delete(w.died, id)
			}
			maps.Copy(rechecks, res.recheck)
			armTimer()
		}
	}
}

func (w *Watcher) streamChanged(connected bool) {
	if w.cfg.Stream != nil {
		w.cfg.Stream(connected)
	}
}

// round is one round of the runner under the state lock, over every
// container (ids nil) or the ones named. The storm guard counts what this
// resync window already did.
// roundBudget is what is left of the storm guard's window for one round.
type roundBudget struct {
	left   int
	ends   time.Time
	window int
}

func (w *Watcher) round(ctx context.Context, ids []string, died map[string]heal.ExitRecord, budget roundBudget) roundResult {
	runner := w.runner
	runner.Policy.MaxPerRun = budget.left
	if w.cfg.LockRound != nil {
		release, err := w.cfg.LockRound(ctx)
		if err != nil {
			w.log.Warn("round skipped: the state lock", "error", err.Error())
			return w.roundFailed(ids, err)
		}
		defer release()
	}
	// A signal cancels ctx: the runner starts nothing new, lets the calls in
	// flight finish and records them.
	round, err := runner.RunRound(ctx, heal.RoundOptions{Only: ids, DryRun: w.cfg.DryRun, Timeout: w.cfg.RoundTimeout, Died: died})
	if err != nil {
		w.log.Warn("round failed; retried after the next event, reconnect or resync", "error", err.Error())
		return w.roundFailed(ids, err)
	}
	var held []string
	res := roundResult{window: budget.window}
	for _, s := range round.Plan.Steps {
		if (s.Kind == heal.StepRestart || s.Kind == heal.StepStop) && s.Result != "" {
			res.actions++
		}
		if s.Kind == heal.StepWait && s.Wait == heal.WaitStormGuard {
			held = append(held, s.Container.Name)
		}
	}
	if len(held) > 0 {
		w.log.Warn("held back by --max-per-run until the next --resync window", "containers", strings.Join(held, ","),
			"max_per_run", w.pol.MaxPerRun, "window_ends", budget.ends.UTC().Format(time.RFC3339))
	}
	if w.cfg.OnRound != nil {
		w.cfg.OnRound(round)
	}
	w.health.roundDone(w.now(), round.SaveErr)
	if ids == nil {
		// A container removed while the stream was down sent no destroy
		// event: the full round's list is the word on what still exists.
		listed := make(map[string]bool, len(round.Snapshot.Containers))
		for _, c := range round.Snapshot.Containers {
			listed[c.ID] = true
		}
		for id := range died {
			if !listed[id] {
				res.gone = append(res.gone, id)
			}
		}
		w.clock.forgetUnlisted(listed, round.Start)
	}
	if w.cfg.DryRun {
		return res
	}
	res.recheck = Rechecks(round.Plan, round.Start)
	return res
}

// roundFailed keeps the containers of a failed event round queued: they are
// looked at again in a few seconds (a full round retries at the next resync
// or reconnect anyway).
func (w *Watcher) roundFailed(ids []string, err error) roundResult {
	w.health.roundDone(w.now(), err)
	res := roundResult{recheck: map[string]time.Time{}}
	for _, id := range ids {
		res.recheck[id] = w.now().Add(RetryAfterFailure)
	}
	return res
}

// Rechecks says when each container the plan made wait falls due: the end
// of its --min-unhealthy, backoff, grace or circuit window, by the step's
// typed wait cause. A wait with no known end is looked at again in a
// second; storm-guard waits fall due with the window, at the next resync.
func Rechecks(plan heal.Plan, now time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for _, s := range plan.Steps {
		if s.Kind != heal.StepWait || s.Wait == heal.WaitStormGuard {
			continue
		}
		due := s.WaitUntil
		if !due.After(now) {
			due = now.Add(time.Second) // it said wait, but not until when: look again soon
		}
		out[s.Container.ID] = due.Add(10 * time.Millisecond)
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
