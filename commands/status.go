package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
	"github.com/docker-heal/docker-heal/internal/humanize"
	"github.com/docker-heal/docker-heal/internal/safetext"
)

type statusOptions struct {
	all        bool
	filters    []string
	project    string
	unhealthy  bool
	noTrunc    bool
	format     string
	wait       bool
	timeout    time.Duration
	stateFile  string
	configFile string
	names      []string
	// concurrency bounds parallel inspects; 0 means dockerengine's default.
	concurrency int
	// pollEvery is the --wait polling interval; 0 means one second.
	pollEvery time.Duration
	// now is the clock; nil means time.Now. Tests set it.
	now func() time.Time
	// healColumn fills the HEAL column; nil means "on"/"off" from labels only.
	healColumn func(c heal.Container, now time.Time) string
	// state is once's state, for the detail of one container; nil: none.
	state *heal.State
	// detail shows the one named container in detail (status NAME).
	detail bool
	// progress receives what --wait waits for (stderr); tty rewrites it in place.
	progress io.Writer
	tty      bool
	ttyWidth uint
}

// statusEngine is what status needs from the engine: a list, and inspects
// of the containers it selected, in parallel with a bound.
type statusEngine interface {
	List(ctx context.Context, opts heal.ListOptions) ([]heal.Container, error)
	InspectMany(ctx context.Context, ids []string, concurrency int) ([]heal.Container, error)
}

func newStatusCommand(dockerCli command.Cli) *cobra.Command {
	opts := statusOptions{timeout: 2 * time.Minute, format: "table"}
	cmd := &cobra.Command{
		Use:   "status [OPTIONS] [CONTAINER...]",
		Short: "Show the health of running containers: why sick, since when, and whether heal acts",
		Long: `Show the condition of running containers (or the named ones): healthy,
running, starting, unhealthy, crash-loop, oom-killed, restarting, exited, dead,
created or paused; why (failing streak and last probe, exit code and what it
means, restarts by the engine), since when, and whether docker heal once would
act. status NAME shows one container in detail: its probes with their output
and duration, its last exit, and what docker heal did to it.

--wait is a deploy gate: it blocks until every selected container that has a
healthcheck is healthy (those without one count once running), and exits 1
with the reasons when --timeout passes first, or at once when a container
exited, crash-loops or was OOM-killed.

Exit status: 0 shown (or all ready with --wait), 1 --wait timed out,
2 the engine could not be asked.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.names = args
			if err := opts.configure(cmd.Flags()); err != nil {
				return err
			}
			// status NAME: one container in detail, unless a format is asked for.
			opts.detail = len(args) == 1 && !cmd.Flags().Changed("format") && !opts.wait
			opts.progress, opts.tty = dockerCli.Err(), dockerCli.Err().IsTerminal()
			if opts.tty {
				_, opts.ttyWidth = dockerCli.Err().GetTtySize()
			}
			if cmd.Flags().Changed("timeout") && !opts.wait {
				return usageError("--timeout is how long --wait waits: add --wait")
			}
			engine, err := engineFor(cmd, dockerCli)
			if err != nil {
				return err
			}
			return runStatus(cmd.Context(), dockerCli.Out(), engine, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.all, "all", "a", false, "Include stopped containers")
	f.StringArrayVarP(&opts.filters, "filter", "f", nil, "Filter as docker ps does: label=K[=V], name=, health=, status=, id= (repeatable)")
	f.StringVar(&opts.project, "project", "", "Only the containers of this compose project")
	f.BoolVar(&opts.unhealthy, "unhealthy", false, "Only unhealthy containers")
	f.BoolVar(&opts.noTrunc, "no-trunc", false, "Do not truncate the last probe's output")
	f.StringVar(&opts.format, "format", "table", "Output format: table, json (one object per line), or a Go template as docker ps takes, e.g. 'table {{.Name}}\t{{.Condition}}\t{{.Reason}}'")
	f.BoolVar(&opts.wait, "wait", false, "Wait until every selected container is healthy (or running, without a healthcheck)")
	f.DurationVar(&opts.timeout, "timeout", opts.timeout, "How long --wait waits")
	f.StringVar(&opts.stateFile, "state-file", "", "docker heal once's state file, for the HEAL column (default: once's default)")
	f.StringVar(&opts.configFile, "config", "", "docker heal once's config file, for the HEAL column (default: once's default)")
	return cmd
}

// configure reads the host config as once does, so the HEAL column shows
// what once would do: the same policy, the same state file.
func (opts *statusOptions) configure(flags *pflag.FlagSet) error {
	pol, err := hostHeal(flags, opts.configFile)
	if err != nil {
		return err
	}
	opts.stateFile, _ = flags.GetString("state-file")
	opts.state = readStateQuietly(opts.stateFile)
	opts.healColumn = func(c heal.Container, now time.Time) string { return heal.HealColumn(c, opts.state, pol, now) }
	return nil
}

// readStateQuietly reads once's state (read-only, no lock). A missing or
// unreadable state file means no history, not an error: status must
// always answer.
func readStateQuietly(path string) *heal.State {
	if path == "" {
		path, _ = store.DefaultStatePath()
	}
	if path != "" {
		if s, err := store.ReadState(path); err == nil {
			return s
		}
	}
	return nil
}

// stateHealColumn reads once's state (read-only, no lock) for the HEAL
// column: backoff and open circuits show there. A missing or unreadable
// state file means no history, not an error: status must always answer.
func stateHealColumn(path string, pol heal.Policy) func(heal.Container, time.Time) string {
	st := readStateQuietly(path)
	return func(c heal.Container, now time.Time) string { return heal.HealColumn(c, st, pol, now) }
}

// labelHealColumn is the HEAL column without a state file: labels only.
func labelHealColumn(c heal.Container, _ time.Time) string {
	for _, k := range []string{heal.LabelEnable, heal.LabelAutoheal} {
		if strings.EqualFold(strings.TrimSpace(c.Labels[k]), "true") {
			return "on"
		}
	}
	return "off"
}

func runStatus(ctx context.Context, out io.Writer, engine statusEngine, opts statusOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	if opts.healColumn == nil {
		opts.healColumn = labelHealColumn
	}
	if opts.wait && opts.unhealthy {
		return usageError("--wait waits for health; with --unhealthy it could never pass")
	}
	if opts.wait && opts.timeout <= 0 {
		return usageError("--timeout %v: give --wait a positive timeout, e.g. 2m", opts.timeout)
	}
	render, err := newStatusRenderer(opts.format, opts.noTrunc)
	if err != nil {
		return err
	}
	listOpts, err := statusListOptions(opts)
	if err != nil {
		return err
	}
	if opts.wait {
		return waitHealthy(ctx, out, engine, listOpts, opts, render)
	}
	cs, err := statusSnapshot(ctx, engine, listOpts, opts)
	if err != nil {
		return err
	}
	if opts.detail && len(cs) == 1 {
		return renderStatusDetail(out, cs[0], opts)
	}
	return render(out, cs, opts)
}

// statusListOptions turns --all, --filter, --project and --unhealthy into
// the list API's filters, so the engine does the selecting.
func statusListOptions(opts statusOptions) (heal.ListOptions, error) {
	lo := heal.ListOptions{All: opts.all, Filters: map[string][]string{}}
	for _, f := range opts.filters {
		key, value, ok := strings.Cut(f, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !ok || key == "" {
			return lo, usageError("--filter %q: use KEY=VALUE, e.g. label=com.docker.compose.project=shop or health=unhealthy", f)
		}
		lo.Filters[key] = append(lo.Filters[key], value)
	}
	if opts.project != "" {
		lo.Filters["label"] = append(lo.Filters["label"], heal.LabelComposeProject+"="+opts.project)
	}
	if opts.unhealthy {
		lo.Filters["health"] = append(lo.Filters["health"], heal.HealthUnhealthy)
	}
	if len(opts.names) > 0 {
		lo.All = true // a named container is shown whatever its state
	}
	return lo, nil
}

// statusSnapshot lists the selected containers and inspects them (in
// parallel, bounded): the list API of Engine 20.10 has no probes or streaks.
func statusSnapshot(ctx context.Context, engine statusEngine, lo heal.ListOptions, opts statusOptions) ([]heal.Container, error) {
	listed, err := selectContainers(ctx, engine, lo, opts.names)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(listed))
	for i, c := range listed {
		ids[i] = c.ID
	}
	cs, err := engine.InspectMany(ctx, ids, opts.concurrency)
	if err != nil {
		return nil, engineError(err)
	}
	// The engine's oom events say what its OOMKilled flag may miss; status
	// shows a container all the same when they cannot be read.
	_ = heal.FillOOM(ctx, engine, cs, opts.now().Add(-time.Hour))
	markDied(cs, opts.state)
	sortContainers(cs)
	return cs, nil
}

// markDied gives a container running again the code of its last exit, when
// once or watch recorded it (the engine resets it at start).
func markDied(cs []heal.Container, st *heal.State) {
	for i := range cs {
		if e := st.Entry(cs[i].ID); e != nil && len(e.Exits) > 0 {
			heal.MarkDied(&cs[i], e.Exits[len(e.Exits)-1])
		}
	}
}

// selectContainers lists, then keeps the named containers (see
// heal.Match) when names are given. An unknown name is an error.
func selectContainers(ctx context.Context, engine statusEngine, lo heal.ListOptions, names []string) ([]heal.Container, error) {
	listed, err := engine.List(ctx, lo)
	if err != nil {
		return nil, engineError(err)
	}
	if len(names) == 0 {
		return listed, nil
	}
	var out []heal.Container
	taken := map[string]bool{}
	for _, n := range names {
		i, err := heal.Match(listed, n, heal.ContainerKey)
		if err != nil {
			return nil, usageError("%v", err)
		}
		if i < 0 {
			if len(lo.Filters) > 0 {
				continue // filtered out, not unknown
			}
			return nil, withCode(ExitError, "no such container: %s (see docker ps -a)", n)
		}
		if c := listed[i]; !taken[c.ID] {
			taken[c.ID] = true
			out = append(out, c)
		}
	}
	return out, nil
}

func sortContainers(cs []heal.Container) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Project != b.Project {
			return a.Project < b.Project
		}
		return a.Name < b.Name
	})
}

// engineError maps engine errors to exit 2 with a one-line message.
func engineError(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return withCode(ExitError, "%s", oneLine(err.Error()))
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// ready says whether a container passes the deploy gate, and if not, why.
// failed is true when it will not pass by waiting: it exited, crash-loops,
// was OOM-killed or is dead (see heal.Condition.Failing). A container that
// was only listed (not inspected) is never failed: the list does not know
// enough (restart counts, the OOM flag).
func ready(c heal.Container, now time.Time) (ok, failed bool, why string) {
	d := heal.Diagnose(c, now)
	if c.Inspected && d.Condition.Failing() {
		return false, true, string(d.Condition) + ": " + d.Reason
	}
	if c.State != "running" {
		return false, false, c.State
	}
	switch c.Health {
	case heal.HealthHealthy, heal.HealthNone, "":
		return true, false, ""
	}
	why = c.Health
	if c.Health == heal.HealthUnhealthy {
		why += fmt.Sprintf(" (failing streak %d)", c.FailingStreak)
	}
	if c.Health == heal.HealthStarting && d.StartPeriodLeft > 0 {
		why += fmt.Sprintf(" (start period: %s left)", humanize.Duration(d.StartPeriodLeft.Round(time.Second)))
	}
	if p := c.LastProbe(); p != nil {
		why += ", last probe " + probeText(p, now, true)
	} else {
		why += ", no probe result yet"
	}
	return false, false, why
}

// waitHealthy is the deploy gate. Each round lists the selection; only the
// containers the list cannot already call ready are inspected. It needs at
// least one container: a gate over nothing (a typo in --project) must not
// pass. It fails at once when a container exited, crash-loops or was
// OOM-killed: waiting would not make it healthy.
func waitHealthy(ctx context.Context, out io.Writer, engine statusEngine, lo heal.ListOptions, opts statusOptions, render statusRenderer) error {
	poll := opts.pollEvery
	if poll <= 0 {
		poll = time.Second
	}
	progress := newWaitProgress(opts.progress, opts.tty, int(opts.ttyWidth))
	defer progress.done()
	deadline := opts.now().Add(opts.timeout)
	for {
		listed, err := selectContainers(ctx, engine, lo, opts.names)
		if err != nil {
			return err
		}
		var pending []string
		for _, c := range listed {
			// The list's health is the status text on 20.10: healthy and
			// "no healthcheck" are final enough, unless the container started
			// a moment ago (the engine may be restarting it over and over);
			// anything else is inspected.
			ok, _, _ := ready(c, opts.now())
			if !ok || opts.now().Sub(c.StartedAt) < heal.CrashLoopWindow {
				pending = append(pending, c.ID)
			}
		}
		var notReady, failed []heal.Container
		if len(pending) > 0 {
			cs, err := engine.InspectMany(ctx, pending, opts.concurrency)
			if err != nil {
				return engineError(err)
			}
			_ = heal.FillOOM(ctx, engine, cs, opts.now().Add(-time.Hour))
			markDied(cs, opts.state)
			for _, c := range cs {
				ok, fail, _ := ready(c, opts.now())
				switch {
				case fail:
					failed = append(failed, c)
				case !ok:
					notReady = append(notReady, c)
				}
			}
		}
		now := opts.now()
		if len(failed) > 0 {
			progress.done()
			sortContainers(failed)
			var b strings.Builder
			fmt.Fprintf(&b, "%s of %d will not become healthy by waiting:", humanize.Plural(len(failed), "container"), len(listed))
			for _, c := range failed {
				_, _, why := ready(c, now)
				fmt.Fprintf(&b, "\n  %s: %s", safetext.Escape(c.Name), safetext.Escape(why))
			}
			return withCode(ExitFindings, "%s", b.String())
		}
		if len(listed) > 0 && len(notReady) == 0 {
			progress.done()
			cs, err := statusSnapshot(ctx, engine, lo, opts)
			if err != nil {
				return err
			}
			return render(out, cs, opts)
		}
		if !now.Before(deadline) {
			progress.done()
			if len(listed) == 0 {
				return withCode(ExitFindings, "timed out after %v: no container matches the selection", opts.timeout)
			}
			sortContainers(notReady)
			var b strings.Builder
			fmt.Fprintf(&b, "timed out after %v waiting for %s of %d:", opts.timeout, humanize.Plural(len(notReady), "container"), len(listed))
			for _, c := range notReady {
				_, _, why := ready(c, now)
				fmt.Fprintf(&b, "\n  %s: %s", safetext.Escape(c.Name), why)
			}
			return withCode(ExitFindings, "%s", b.String())
		}
		progress.show(waitingText(listed, notReady, deadline.Sub(now), now))
		wait := poll
		if left := deadline.Sub(now); left < wait {
			wait = left
		}
		select {
		case <-ctx.Done():
			return withCode(ExitError, "interrupted while waiting: %v", ctx.Err())
		case <-time.After(wait):
		}
	}
}

// waitingText is what --wait is waiting for, in one line.
func waitingText(listed, notReady []heal.Container, left time.Duration, now time.Time) string {
	if len(listed) == 0 {
		return fmt.Sprintf("waiting for a container to match the selection (%s left)", humanize.Duration(left.Round(time.Second)))
	}
	sortContainers(notReady)
	parts := make([]string, 0, len(notReady))
	for _, c := range notReady {
		d := heal.Diagnose(c, now)
		part := safetext.Escape(c.Name) + " " + string(d.Condition)
		if d.Condition == heal.CondStarting && d.StartPeriodLeft > 0 {
			part += fmt.Sprintf(" (start period %s left)", humanize.Duration(d.StartPeriodLeft.Round(time.Second)))
		}
		if d.Condition == heal.CondUnhealthy {
			part += fmt.Sprintf(" (streak %d)", c.FailingStreak)
		}
		parts = append(parts, part)
	}
	return fmt.Sprintf("waiting for %d of %d (%s left): %s", len(notReady), len(listed),
		humanize.Duration(left.Round(time.Second)), strings.Join(parts, ", "))
}

// waitProgress shows what --wait waits for: on a terminal one line,
// rewritten in place; otherwise a line each time it changes.
type waitProgress struct {
	w     io.Writer
	tty   bool
	width int
	last  string
	shown bool
}

func newWaitProgress(w io.Writer, tty bool, width int) *waitProgress {
	if width <= 0 {
		width = 80
	}
	return &waitProgress{w: w, tty: tty, width: width}
}

func (p *waitProgress) show(text string) {
	if p.w == nil || text == p.last {
		return
	}
	p.last = text
	if p.tty {
		// Carriage return, erase the line: the line is rewritten in place,
		// so it must not wrap.
		fmt.Fprintf(p.w, "\r\x1b[K%s", truncate(text, p.width-1))
		p.shown = true
		return
	}
	fmt.Fprintln(p.w, text)
}

// done ends the line a terminal shows.
func (p *waitProgress) done() {
	if p.w != nil && p.tty && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}
