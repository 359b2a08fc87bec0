package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
	"github.com/docker-heal/docker-heal/internal/notify"
	"github.com/docker-heal/docker-heal/internal/safetext"
)

type onceOptions struct {
	policy         heal.Policy
	stateFile      string
	lockTimeout    time.Duration
	auditLog       string
	metricsFile    string
	webhooks       []string
	notify         []string
	webhookTimeout time.Duration
	dryRun         bool
	format         string
	quiet          bool
	logFormat      string
	configFile     string
	filters        []string
	roundTimeout   time.Duration
	// now is the clock; nil means time.Now. Tests set it.
	now func() time.Time
}

func newOnceCommand(dockerCli command.Cli) *cobra.Command {
	opts := onceOptions{policy: heal.DefaultPolicy()}
	cmd := &cobra.Command{
		Use:   "once [OPTIONS]",
		Short: "Run one round of health-based recovery (for cron or a systemd timer)",
		Long: `Run one round of health-based recovery and exit: restart the unhealthy containers
labelled docker-heal.enable=true (or all with --all), with a restart budget,
backoff and a storm guard, remembering what was done in a state file.

Exit status: 0 the round ran and every action succeeded (or there was nothing
to do, or another run holds the lock); 1 a restart failed or a circuit opened in this round;
2 the round could not run.

Every restart is written to the state file before the engine is asked, so the
budget counts it even if the process dies. SIGTERM or SIGINT ends the round
early: nothing new starts, restarts in flight finish, and the round is
recorded; a second signal exits at once. --max-stop-timeout caps any stop
timeout; --round-timeout ends the round with what is still in flight pending,
and the next round reads its outcome from the engine.`,
		Args:                  cobra.NoArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags(), os.LookupEnv); err != nil {
				return err
			}
			if err := opts.merge(cmd.Flags()); err != nil {
				return err
			}
			engine, err := engineFor(cmd, dockerCli)
			if err != nil {
				return err
			}
			// systemd stops a timer's service with SIGTERM: finish what is
			// in flight and record it; a second signal exits at once.
			ctx, stop := interruptible(cmd.Context(), dockerCli.Err(), os.Exit)
			defer stop()
			return runOnce(ctx, dockerCli.Out(), dockerCli.Err(), engine, opts)
		},
	}
	addRoundFlags(cmd.Flags(), &opts)
	return cmd
}

// addRoundFlags adds the flags once and watch share: selection, policy,
// state, outputs and notifications.
func addRoundFlags(f *pflag.FlagSet, opts *onceOptions) {
	p := &opts.policy
	f.BoolVar(&p.All, "all", p.All, "Act on every container not labelled docker-heal.enable=false")
	f.DurationVar(&p.MinUnhealthy, "min-unhealthy", p.MinUnhealthy, "Act only on containers seen unhealthy at least this long, across runs")
	f.IntVar(&p.MaxRestarts, "max-restarts", p.MaxRestarts, "Restarts per --window before the circuit opens (label docker-heal.max-restarts)")
	f.DurationVar(&p.Window, "window", p.Window, "Window of the restart budget")
	f.DurationVar(&p.Backoff, "backoff", p.Backoff, "Wait after a restart before the next one, doubled each time (capped at 30m)")
	f.IntVar(&p.MaxPerRun, "max-per-run", p.MaxPerRun, "At most this many restarts and stops per run (storm guard)")
	f.IntVar(&p.Concurrency, "concurrency", p.Concurrency, "Restarts run in parallel")
	f.DurationVar(&p.Grace, "grace", p.Grace, "Leave containers alone this long after they start (at least their healthcheck start period)")
	f.DurationVar(&p.StopTimeout, "stop-timeout", p.StopTimeout, "Stop timeout for every container instead of its own (label docker-heal.stop-timeout wins)")
	f.DurationVar(&p.MaxStopTimeout, "max-stop-timeout", p.MaxStopTimeout, "Cap on any stop timeout (label, --stop-timeout or the container's own), reported when it applies; 0 for no cap")
	f.DurationVar(&opts.roundTimeout, "round-timeout", 0, "End the round this long after it began, reporting restarts in flight as pending (default: a little over the stop timeouts in play)")
	f.StringVar(&opts.stateFile, "state-file", "", "State file (default /var/lib/docker-heal/state.json as root, else $XDG_STATE_HOME/docker-heal/state.json)")
	f.DurationVar(&opts.lockTimeout, "lock-timeout", 0, "Wait this long for another run to finish (default: exit at once)")
	f.StringVar(&opts.auditLog, "audit-log", "", "Append one JSON line per decision to this file")
	f.StringVar(&opts.metricsFile, "metrics-file", "", "Write Prometheus metrics to this file (for node_exporter's textfile collector)")
	f.StringArrayVar(&opts.webhooks, "webhook", nil, "POST a JSON event to this URL on restart, failure, circuit opened, recovery (repeatable)")
	f.DurationVar(&opts.webhookTimeout, "webhook-timeout", 5*time.Second, "Time allowed for all webhooks of a run")
	f.BoolVar(&opts.dryRun, "dry-run", false, "Print the plan; restart nothing, write nothing")
	f.StringVar(&opts.format, "format", "table", "Output format: table, json, or a Go template as docker ps takes ('table {{.Container}}\t{{.Decision}}\t{{.Result}}')")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "Print nothing when nothing happened")
	f.StringVar(&opts.logFormat, "log-format", "text", "Log format on stderr: text or json")
	f.StringArrayVarP(&opts.filters, "filter", "f", nil, "Only consider containers matching this docker filter, e.g. label=com.docker.compose.project=shop (repeatable)")
	f.StringVar(&opts.configFile, "config", "", "Config file with a heal: section (default /etc/docker-heal/config.yaml as root, else $XDG_CONFIG_HOME/docker-heal/config.yaml, when present); flags win")
	f.StringArrayVar(&opts.notify, "notify", nil, "Send a message through this shoutrrr URL (slack://, discord://, ntfy://, generic://…) on restart, failure, circuit opened, recovery (repeatable)")
}

// merge applies the config file (--config, else the host's: see
// config.HostPath) under the flags the user set.
func (opts *onceOptions) merge(flags *pflag.FlagSet) error {
	fromFile, err := hostHeal(flags, opts.configFile)
	if err != nil {
		return err
	}
	opts.policy.BackoffMax = fromFile.BackoffMax // no flag
	return nil
}

func newLogger(errOut io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(errOut, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(errOut, nil)), nil
	}
	return nil, usageError("--log-format %q: use text or json", format)
}

func runOnce(ctx context.Context, out, errOut io.Writer, engine heal.Engine, opts onceOptions) error {
	pol, err := opts.roundPolicy()
	if err != nil {
		return err
	}
	if err := checkPlanFormat(opts.format); err != nil {
		return err
	}
	if opts.roundTimeout < 0 {
		return usageError("--round-timeout %v must not be negative (0: a little over the stop timeouts in play)", opts.roundTimeout)
	}
	log, err := newLogger(errOut, opts.logFormat)
	if err != nil {
		return err
	}
	statePath := opts.stateFile
	if statePath == "" {
		if statePath, err = store.DefaultStatePath(); err != nil {
			return withCode(ExitError, "%v", err)
		}
	}
	if !opts.dryRun {
		// A dry run reads without the lock: it changes nothing.
		lock, err := store.LockRounds(ctx, statePath, opts.lockTimeout)
		if errors.Is(err, store.ErrLocked) {
			if !opts.quiet {
				log.Info("another docker heal run is in progress; nothing done", "lock", store.LockPath(statePath))
			}
			return nil
		}
		if err != nil && ctx.Err() != nil {
			// SIGTERM or SIGINT while waiting (--lock-timeout): as when the
			// lock is held, nothing was done.
			log.Info("interrupted while waiting for another docker heal run; nothing done", "lock", store.LockPath(statePath))
			return nil
		}
		if err != nil {
			return withCode(ExitError, "%v (pass --state-file to use another folder)", err)
		}
		defer lock.Release()
	}

	runner, err := opts.newRunner(engine, pol, statePath, log)
	if err != nil {
		return err
	}
	if opts.metricsFile != "" {
		runner.Metrics = store.MetricsFile{Path: opts.metricsFile}
	}
	round, err := runner.RunRound(ctx, heal.RoundOptions{DryRun: opts.dryRun, Timeout: opts.roundTimeout})
	if err != nil {
		return withCode(ExitError, "%v", err)
	}
	if !(opts.quiet && !round.Plan.Eventful()) {
		if err := printPlan(out, round.Plan, round.Snapshot, opts.dryRun, opts.format); err != nil {
			return err
		}
	}
	if round.SaveErr != nil {
		return withCode(ExitError, "%v", round.SaveErr)
	}
	if round.Failed() {
		return silentExit(ExitFindings)
	}
	return nil
}

// newRunner is the round runner once and watch share: the engine, the state
// file, notifications and the audit log as the flags say (metrics are each
// command's: a file for once, a live registry for watch).
func (opts onceOptions) newRunner(engine heal.Engine, pol heal.Policy, statePath string, log *slog.Logger) (*heal.Runner, error) {
	notifier, err := newNotifier(opts.notify)
	if err != nil {
		return nil, err
	}
	runner := &heal.Runner{Engine: engine, Store: &store.File{Path: statePath, ReadOnly: opts.dryRun, Log: log},
		Policy: pol, Log: log, NotifyTimeout: opts.webhookTimeout, Notifier: roundNotifier(opts.webhooks, notifier)}
	if opts.now != nil {
		runner.Clock = heal.ClockFunc(opts.now)
	}
	runner.Host, _ = os.Hostname()
	if opts.auditLog != "" {
		runner.Audit = store.AuditLog{Path: opts.auditLog}
	}
	return runner, nil
}

// roundNotifier is every destination of notifications: webhooks and
// shoutrrr URLs; nil when there is none.
func roundNotifier(webhooks []string, shoutrrr *notify.Shoutrrr) heal.Notifier {
	var all heal.Notifiers
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

// roundPolicy completes and checks the merged policy, and adds --filter's scope.
func (opts onceOptions) roundPolicy() (heal.Policy, error) {
	pol := opts.policy.WithDefaults()
	if err := pol.Validate(); err != nil {
		return pol, usageError("%v", err)
	}
	for _, f := range opts.filters {
		key, value, ok := strings.Cut(f, "=")
		if !ok || key == "" || key == "health" {
			return pol, usageError("--filter %q: use KEY=VALUE, e.g. label=com.docker.compose.project=shop (health is chosen by once itself)", f)
		}
		if pol.Scope == nil {
			pol.Scope = map[string][]string{}
		}
		pol.Scope[key] = append(pol.Scope[key], value)
	}
	return pol, nil
}

// newNotifier checks the --notify URLs; nil when there are none.
func newNotifier(urls []string) (*notify.Shoutrrr, error) {
	if len(urls) == 0 {
		return nil, nil
	}
	n, err := notify.New(urls, 0)
	if err != nil {
		return nil, usageError("--notify: %v", err)
	}
	return n, nil
}

// onceStep is one line of the summary in --format json.
type onceStep struct {
	Container  string      `json:"container"`
	ID         string      `json:"id"`
	Project    string      `json:"project,omitempty"`
	Service    string      `json:"service,omitempty"`
	Decision   string      `json:"decision"`
	Reason     string      `json:"reason,omitempty"`
	Result     string      `json:"result,omitempty"`
	Error      string      `json:"error,omitempty"`
	Note       string      `json:"note,omitempty"`
	LastProbe  *heal.Probe `json:"last_probe,omitempty"`
	Dependents []onceStep  `json:"dependents,omitempty"`
}

type onceSummary struct {
	Time      time.Time  `json:"time"`
	DryRun    bool       `json:"dry_run"`
	Unhealthy int        `json:"unhealthy"`
	Steps     []onceStep `json:"steps"`
	Plan      string     `json:"plan"`
}

// printPlan prints a round as --format says: json is the round's summary,
// anything else goes through docker/cli's formatter (plan_format.go).
func printPlan(out io.Writer, plan heal.Plan, snap heal.Snapshot, dryRun bool, format string) error {
	if format == "json" {
		return writePlanJSON(out, plan, snap, dryRun, true)
	}
	if len(plan.Steps) == 0 && planTemplate(format) == defaultPlanTable {
		_, err := fmt.Fprintf(out, "Nothing to do: %d unhealthy container(s), none to act on.\n", snap.Unhealthy)
		return err
	}
	return writePlanTemplate(out, plan, dryRun, format)
}

// writePlanJSON writes the round's summary: indented for once, one line
// for watch (one JSON object a line, for a log collector).
func writePlanJSON(out io.Writer, plan heal.Plan, snap heal.Snapshot, dryRun, indent bool) error {
	recs := plan.AuditRecords(dryRun)
	sum := onceSummary{Time: plan.Now.UTC(), DryRun: dryRun, Unhealthy: snap.Unhealthy, Steps: []onceStep{}, Plan: plan.String()}
	i := 0
	for _, s := range plan.Steps {
		step := toOnceStep(recs[i])
		i++
		for range s.Dependents {
			step.Dependents = append(step.Dependents, toOnceStep(recs[i]))
			i++
		}
		sum.Steps = append(sum.Steps, step)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(sum); err != nil {
		return err
	}
	// encoding/json leaves C1 controls raw; a terminal may obey them.
	_, err := out.Write(safetext.JSON(buf.Bytes()))
	return err
}

func toOnceStep(r heal.AuditRecord) onceStep {
	return onceStep{Container: r.Container, ID: r.ID, Project: r.Project, Service: r.Service, Decision: r.Decision,
		Reason: r.Reason, Result: r.Result, Error: r.Error, Note: r.Note, LastProbe: r.LastProbe}
}
