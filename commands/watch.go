package commands

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
	"github.com/docker-heal/docker-heal/heal/watch"
	"github.com/docker-heal/docker-heal/internal/watchhttp"
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
	f.StringVar(&opts.listen, "listen", "", "Serve /metrics and /healthz on this address, e.g. "+watchhttp.DefaultAddr+" (0.0.0.0:9580 offers the container list to the network: only on a private one)")
	f.BoolVar(&opts.healthcheck, "healthcheck", false, "Ask the watch serving --listen whether it is healthy; exit 0 if so, 1 if not (for HEALTHCHECK)")
	f.DurationVar(&opts.startDelay, "start-delay", 0, "Wait this long before the first round (autoheal's AUTOHEAL_START_PERIOD)")
	return cmd
}

// runWatch wires the flags to heal/watch's scheduler: the runner once
// uses, the state lock per round, the live metrics and their server.
func runWatch(ctx context.Context, out, errOut io.Writer, engine heal.Engine, events watch.Follower, opts watchOptions) error {
	log, err := newLogger(errOut, opts.logFormat)
	if err != nil {
		return err
	}
	pol, err := opts.roundPolicy()
	if err != nil {
		return err
	}
	if err := checkPlanFormat(opts.format); err != nil {
		return err
	}
	if opts.resync <= 0 {
		return usageError("--resync %s: must be positive, e.g. 1m", opts.resync)
	}
	if opts.roundTimeout < 0 {
		return usageError("--round-timeout %v must not be negative (0: a little over the stop timeouts in play)", opts.roundTimeout)
	}
	statePath := opts.stateFile
	if statePath == "" {
		if statePath, err = store.DefaultStatePath(); err != nil {
			return withCode(ExitError, "%v", err)
		}
	}
	runner, err := opts.newRunner(engine, pol, statePath, log)
	if err != nil {
		return err
	}
	if !opts.dryRun {
		// A dry run writes nothing (as once's): no STATE.watch, and it may
		// preview beside the watch that owns the state file.
		release, err := store.LockWatch(statePath)
		if err != nil {
			return withCode(ExitError, "%v", err)
		}
		defer release()
	}

	metrics := store.NewLiveMetrics()
	if opts.metricsFile != "" && !opts.dryRun {
		metrics.File = &store.MetricsFile{Path: opts.metricsFile}
	}
	runner.Metrics = metrics
	cfg := watch.Config{Runner: runner, Events: events, Resync: opts.resync, StartDelay: opts.startDelay,
		RoundTimeout: opts.roundTimeout, DryRun: opts.dryRun, Reaction: metrics.ObserveReaction, Stream: metrics.SetStreamUp, Log: log, Now: opts.now,
		OnRound: func(round heal.Round) { printWatchRound(out, log, round, opts) }}
	if !opts.dryRun {
		lockWait := opts.lockTimeout
		if lockWait <= 0 {
			lockWait = watchLockWait
		}
		cfg.LockRound = func(ctx context.Context) (func(), error) {
			lock, err := store.LockRounds(ctx, statePath, lockWait)
			if err != nil {
				return nil, err
			}
			return func() { lock.Release() }, nil
		}
	}
	w := watch.New(cfg)

	if opts.listen != "" {
		srv, err := watchhttp.Start(watchhttp.Options{Addr: opts.listen, Metrics: metrics,
			Health: func() (any, bool) { return w.Report() }})
		if err != nil {
			return withCode(ExitError, "--listen %s: %v", opts.listen, err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		log.Info("serving /metrics and /healthz", "address", srv.Addr())
		if host, _, err := net.SplitHostPort(opts.listen); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
			log.Warn("serving on every interface: /metrics names every container and its circuit state, without authentication; listen on 127.0.0.1 unless this network is private", "address", opts.listen)
		}
	}
	log.Info("watching", "state", statePath, "resync", opts.resync.String(), "max_per_run", pol.MaxPerRun)
	return w.Run(ctx)
}

// printWatchRound prints a round that did something. With --log-format
// json every decision is one log line naming its container, and no table is
// printed (a log collector reads one JSON object a line); --format json
// prints the round's summary as one line; otherwise the table once prints.
func printWatchRound(out io.Writer, log *slog.Logger, round heal.Round, opts watchOptions) {
	if !round.Plan.Eventful() || opts.quiet {
		return
	}
	var err error
	switch {
	case opts.format == "json":
		err = writePlanJSON(out, round.Plan, round.Snapshot, opts.dryRun, false)
	case opts.logFormat == "json" && opts.format == "table":
		for _, r := range round.Plan.AuditRecords(opts.dryRun) {
			attrs := []any{"container", r.Container, "id", r.ID, "decision", r.Decision}
			for _, kv := range [][2]string{{"project", r.Project}, {"service", r.Service}, {"reason", r.Reason},
				{"result", r.Result}, {"error", r.Error}, {"note", r.Note}} {
				if kv[1] != "" {
					attrs = append(attrs, kv[0], kv[1])
				}
			}
			if r.DryRun {
				attrs = append(attrs, "dry_run", true)
			}
			log.Info("decision", attrs...)
		}
	default:
		err = printPlan(out, round.Plan, round.Snapshot, opts.dryRun, opts.format)
	}
	if err != nil {
		log.Warn("output", "error", err.Error())
	}
}
