package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/notify"
)

type watchOptions struct {
	onceOptions
	resync      time.Duration
	listen      string
	healthcheck bool
	startDelay  time.Duration
}

// watchLockWait is how long a watch round waits for the state lock when
// --lock-timeout is not given: a cron `once` or `reset` holds it briefly.
const watchLockWait = time.Minute

func newWatchCommand(dockerCli command.Cli) *cobra.Command {
	opts := watchOptions{onceOptions: onceOptions{policy: heal.DefaultPolicy()}}
	cmd := &cobra.Command{
		Use:   "watch [OPTIONS]",
		Short: "Heal continuously: act on the engine's health events, resync every minute",
		Long: `Follow the engine's container events and act on a container the moment the
engine reports it unhealthy (or once --min-unhealthy has passed), with the same
selection, policy, state file, audit log and notifications as once. A full round,
exactly what once does, runs at start and every --resync, and after every
reconnect, so a missed event costs one resync. --max-per-run caps the restarts
per --resync window.

Every flag can also be set as DOCKER_HEAL_<FLAG> (DOCKER_HEAL_MIN_UNHEALTHY=30s;
repeatable flags take several values separated by spaces); autoheal's
AUTOHEAL_CONTAINER_LABEL, AUTOHEAL_DEFAULT_STOP_TIMEOUT, AUTOHEAL_START_PERIOD
and WEBHOOK_URL are honoured too.

SIGTERM or SIGINT: no new work, restarts in flight finish, state is saved, exit 0.
Exit status 2: it could not start (bad flag, state folder, another watch).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags(), os.LookupEnv); err != nil {
				return err
			}
			if opts.healthcheck {
				return runHealthcheck(cmd.Context(), dockerCli.Err(), opts.listen)
			}
			if err := opts.merge(cmd.Flags()); err != nil {
				return err
			}
			engine, err := engineFor(cmd, dockerCli)
			if err != nil {
				return err
			}
			// The first signal: no new work, what is in flight finishes and
			// is recorded; a second one exits at once.
			ctx, stop := interruptible(cmd.Context(), dockerCli.Err(), os.Exit)
			defer stop()
			return runWatch(ctx, dockerCli.Out(), dockerCli.Err(), engine, engine, opts)
		},
	}
	f := cmd.Flags()
	addRoundFlags(f, &opts.onceOptions)
	f.Lookup("lock-timeout").Usage = "Wait this long for the state lock when a once or reset holds it (default 1m)"
	f.Lookup("max-per-run").Usage = "At most this many restarts and stops per --resync window (storm guard)"
	f.DurationVar(&opts.resync, "resync", time.Minute, "Run a full round this often (and after every reconnect); --max-per-run counts per this window")
	f.StringVar(&opts.listen, "listen", "", "Serve /metrics and /healthz on this address, e.g. :9580 or 127.0.0.1:9580")
	f.BoolVar(&opts.healthcheck, "healthcheck", false, "Ask the watch serving --listen whether it is healthy; exit 0 if so, 1 if not (for HEALTHCHECK)")
	f.DurationVar(&opts.startDelay, "start-delay", 0, "Wait this long before the first round (autoheal's AUTOHEAL_START_PERIOD)")
	return cmd
}

// follower is the event source: dockerengine.Engine, or a test's fake.
type follower interface {
	Follow(ctx context.Context, opts dockerengine.FollowOptions, out chan<- heal.EngineEvent)
}

// watcher holds what lives across rounds. Rounds run one at a time; the
// event loop keeps reading events meanwhile and queues the containers named.
type watcher struct {
	opts      watchOptions
	pol       heal.Policy
	engine    *reactionEngine
	statePath string
	lockWait  time.Duration
	out       io.Writer
	log       *slog.Logger
	runner    *heal.Runner
	metrics   *watchMetrics
	health    *streamHealth
	now       func() time.Time

	// The storm guard's window: actions taken since windowStart.
	windowStart   time.Time
	windowActions int
}

// roundResult is what a round tells the event loop.
type roundResult struct {
	// recheck maps container ids to when a waiting decision falls due
	// (--min-unhealthy, backoff, grace).
	recheck map[string]time.Time
	err     error
}

func runWatch(ctx context.Context, out, errOut io.Writer, engine heal.Engine, events follower, opts watchOptions) error {
	log, err := newLogger(errOut, opts.logFormat)
	if err != nil {
		return err
	}
	pol, err := opts.roundPolicy()
	if err != nil {
		return err
	}
	if opts.format != "table" && opts.format != "json" {
		return usageError("--format %q: use table or json", opts.format)
	}
	if opts.resync <= 0 {
		return usageError("--resync %s: must be positive, e.g. 1m", opts.resync)
	}
	notifier, err := newNotifier(opts.notify)
	if err != nil {
		return err
	}
	clock := opts.now
	if clock == nil {
		clock = time.Now
	}
	statePath := opts.stateFile
	if statePath == "" {
		if statePath, err = store.DefaultStatePath(); err != nil {
			return withCode(ExitError, "%v", err)
		}
	}
	release, err := acquireWatchLock(statePath + ".watch")
	if err != nil {
		return withCode(ExitError, "%v", err)
	}
	defer release()

	w := &watcher{
		opts: opts, pol: pol, statePath: statePath, out: out, log: log,
		metrics: newWatchMetrics(), health: newStreamHealth(clock()), now: clock,
		lockWait: opts.lockTimeout,
	}
	if w.lockWait <= 0 {
		w.lockWait = watchLockWait
	}
	w.engine = &reactionEngine{Engine: engine, metrics: w.metrics, log: log, pending: map[string]time.Time{}}
	w.runner = &heal.Runner{Engine: w.engine, Store: &store.File{Path: statePath, ReadOnly: opts.dryRun, Log: log},
		Policy: pol, Log: log, NotifyTimeout: opts.webhookTimeout, Clock: heal.ClockFunc(clock)}
	w.runner.Host, _ = os.Hostname()
	w.runner.Notifier = roundNotifier(opts.webhooks, notifier)
	if opts.auditLog != "" {
		w.runner.Audit = store.AuditLog{Path: opts.auditLog}
	}
	w.runner.Metrics = w.metrics
	if opts.metricsFile != "" && !opts.dryRun {
		w.metrics.file = &store.MetricsFile{Path: opts.metricsFile}
	}

	if opts.listen != "" {
		ln, err := net.Listen("tcp", opts.listen)
		if err != nil {
			return withCode(ExitError, "--listen %s: %v", opts.listen, err)
		}
		srv := &http.Server{Handler: w.handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		log.Info("serving /metrics and /healthz", "address", ln.Addr().String())
	}
	log.Info("watching", "state", statePath, "resync", opts.resync.String(), "max_per_run", pol.MaxPerRun)
	return w.loop(ctx, events)
}

// loop follows events and runs rounds until ctx ends, then lets the round in
// flight finish and returns.
func (w *watcher) loop(ctx context.Context, events follower) error {
	evs := make(chan heal.EngineEvent, 64)
	followCtx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	follow := dockerengine.FollowOptions{Filters: map[string][]string{}}
	for k, v := range w.pol.Scope {
		if k == "label" { // the only scope term the events API and the list share
			follow.Filters[k] = v
		}
	}
	go events.Follow(followCtx, follow, evs)

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
	resync := time.NewTicker(w.opts.resync)
	defer resync.Stop()
	w.windowStart = w.now()
	if w.opts.startDelay > 0 {
		startWait = time.After(w.opts.startDelay)
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
				for id := range pending {
					ids = append(ids, id)
				}
				slices.Sort(ids)
			}
			needFull, pending, running = false, map[string]bool{}, true
			go func() { done <- w.round(ctx, ids) }()
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
				w.health.set(true, nil, ev.Time)
				w.metrics.streamUp.Set(1)
				w.log.Info("following engine events")
				needFull = true
			case heal.StreamDisconnected:
				w.health.set(false, ev.Err, ev.Time)
				w.metrics.streamUp.Set(0)
				w.log.Warn("engine event stream lost; reconnecting", "error", errText(ev.Err))
			case heal.EventHealthStatus:
				if ev.Health == heal.HealthUnhealthy {
					w.engine.sawUnhealthy(ev.ID, ev.Time)
				} else {
					w.engine.forget(ev.ID)
				}
				pending[ev.ID] = true
			case heal.EventDestroy, heal.EventDie, heal.EventPause:
				w.engine.forget(ev.ID)
				if _, ok := rechecks[ev.ID]; ok {
					delete(rechecks, ev.ID)
					armTimer()
				}
				if ev.Kind == heal.EventDie {
					pending[ev.ID] = true // a crash loop or an OOM kill is decided on a fresh look
				}
			case heal.EventOOM:
				pending[ev.ID] = true
			}
		case <-resync.C:
			needFull = true
			w.windowStart, w.windowActions = w.now(), 0
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
			for id, at := range res.recheck {
				rechecks[id] = at
			}
			armTimer()
		}
	}
}

// round is one round of the runner under the state lock, over every
// container (ids nil) or the ones named. --max-per-run counts what this
// --resync window already did.
func (w *watcher) round(ctx context.Context, ids []string) roundResult {
	runner := *w.runner
	runner.Policy.MaxPerRun = max(0, w.pol.MaxPerRun-w.windowActions)
	if !w.opts.dryRun {
		lock, err := store.AcquireLock(ctx, w.statePath+".lock", w.lockWait)
		if err != nil {
			w.log.Warn("round skipped: the state lock", "error", err.Error())
			return w.roundFailed(ids, err)
		}
		defer lock.Release()
	}
	// A signal cancels ctx: the runner starts nothing new, lets the calls in
	// flight finish and records them.
	round, err := runner.RunRound(ctx, heal.RoundOptions{Only: ids, DryRun: w.opts.dryRun, Timeout: w.opts.roundTimeout})
	if err != nil {
		w.log.Warn("round failed; retried after the next event, reconnect or resync", "error", err.Error())
		return w.roundFailed(ids, err)
	}
	var held []string
	for _, s := range round.Plan.Steps {
		if (s.Kind == heal.StepRestart || s.Kind == heal.StepStop) && s.Result != "" {
			w.windowActions++
		}
		if s.Kind == heal.StepWait && strings.HasPrefix(s.Reason, "storm guard") {
			held = append(held, s.Container.Name)
		}
	}
	if len(held) > 0 {
		w.log.Warn("held back by --max-per-run until the next --resync window", "containers", strings.Join(held, ","),
			"max_per_run", w.pol.MaxPerRun, "window_ends", w.windowStart.Add(w.opts.resync).UTC().Format(time.RFC3339))
	}
	if round.Plan.Eventful() && !w.opts.quiet {
		if err := printPlan(w.out, round.Plan, round.Snapshot, w.opts.dryRun, w.opts.format); err != nil {
			w.log.Warn("output", "error", err.Error())
		}
	}
	w.health.roundDone(round.Start, round.SaveErr)
	if w.opts.dryRun {
		return roundResult{}
	}
	st, err := runner.Store.Load(ctx, w.now())
	if err != nil {
		st = heal.NewState()
	}
	return roundResult{recheck: rechecksOf(round.Plan, st, runner.Policy, round.Start)}
}

// roundNotifier is every destination of notifications: webhooks and
// shoutrrr URLs; nil when there is none.
func roundNotifier(webhooks []string, shoutrrr *notify.Shoutrrr) heal.Notifier {
	var all notifiers
	if len(webhooks) > 0 {
		all = append(all, &store.Notifier{URLs: webhooks})
	}
	if shoutrrr != nil {
		all = append(all, shoutrrr)
	}
	if len(all) == 0 {
		return nil
	}
	return all
}

// notifiers delivers through whichever of them names the target.
type notifiers []heal.Notifier

func (ns notifiers) Targets() []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Targets()...)
	}
	return out
}

func (ns notifiers) Deliver(ctx context.Context, target string, ev heal.Event) error {
	for _, n := range ns {
		if slices.Contains(n.Targets(), target) {
			return n.Deliver(ctx, target, ev)
		}
	}
	return fmt.Errorf("%s is not configured", target)
}

// roundFailed keeps the containers of a failed event round queued: they are
// looked at again in a few seconds (a full round retries at the next resync
// or reconnect anyway).
func (w *watcher) roundFailed(ids []string, err error) roundResult {
	w.health.roundDone(w.now(), err)
	res := roundResult{err: err, recheck: map[string]time.Time{}}
	for _, id := range ids {
		res.recheck[id] = w.now().Add(5 * time.Second)
	}
	return res
}

// rechecksOf says when each container the plan made wait falls due: the
// end of --min-unhealthy, of its backoff or of its grace. Storm-guard waits
// fall due with the window, at the next resync.
func rechecksOf(plan heal.Plan, st *heal.State, pol heal.Policy, now time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for _, s := range plan.Steps {
		if s.Kind != heal.StepWait || strings.HasPrefix(s.Reason, "storm guard") {
			continue
		}
		c := s.Container
		var times []time.Time
		if e := st.Entry(c.ID); e != nil {
			if !e.FirstSeenUnhealthy.IsZero() {
				times = append(times, e.FirstSeenUnhealthy.Add(pol.MinUnhealthy))
			}
			times = append(times, e.BackoffUntil)
		}
		if !c.StartedAt.IsZero() {
			times = append(times, c.StartedAt.Add(max(c.StartPeriod, pol.Grace)))
		}
		var due time.Time
		for _, t := range times {
			if t.After(now) && (due.IsZero() || t.Before(due)) {
				due = t
			}
		}
		if due.IsZero() {
			due = now.Add(time.Second) // it said wait, but not until when: look again soon
		}
		out[c.ID] = due.Add(10 * time.Millisecond)
	}
	return out
}

// reactionEngine is the engine with a stopwatch: a restart of a container
// whose unhealthy event was seen records the time from that event to the
// restart being issued.
type reactionEngine struct {
	heal.Engine
	metrics *watchMetrics
	log     *slog.Logger
	mu      sync.Mutex
	pending map[string]time.Time
}

// OOMKills passes the engine's oom history through (heal.OOMHistory).
func (r *reactionEngine) OOMKills(ctx context.Context, since time.Time) (map[string][]time.Time, error) {
	if h, ok := r.Engine.(heal.OOMHistory); ok {
		return h.OOMKills(ctx, since)
	}
	return nil, nil
}

func (r *reactionEngine) sawUnhealthy(id string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.pending[id]; !ok {
		r.pending[id] = at
	}
}

func (r *reactionEngine) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pending, id)
}

func (r *reactionEngine) took(id string) (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.pending[id]
	if !ok {
		return 0, false
	}
	delete(r.pending, id)
	return time.Since(at), true
}

func (r *reactionEngine) Restart(ctx context.Context, id string, timeout time.Duration) error {
	if d, ok := r.took(id); ok {
		r.metrics.observeReaction(d)
		r.log.Info("restart issued", "id", shortID(id), "reaction", d.Round(time.Millisecond).String())
	}
	return r.Engine.Restart(ctx, id, timeout)
}

func (r *reactionEngine) Stop(ctx context.Context, id string, timeout time.Duration) error {
	if d, ok := r.took(id); ok {
		r.metrics.observeReaction(d)
		r.log.Info("stop issued", "id", shortID(id), "reaction", d.Round(time.Millisecond).String())
	}
	return r.Engine.Stop(ctx, id, timeout)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// errWatchRunning is what a second watch on the same state file gets.
var errWatchRunning = errors.New("another docker heal watch is running")

func watchRunningError(path, holder string) error {
	if holder == "" {
		holder = "unknown pid"
	}
	return fmt.Errorf("%w on this state file (%s, lock %s): stop it first, or give this one its own --state-file", errWatchRunning, holder, path)
}
