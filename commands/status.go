package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/docker/cli/cli/command"
	units "github.com/docker/go-units"
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
		Long: `Show the health of running containers (or the named ones): health, failing
streak, the last probe's result, uptime, and whether docker heal once would act.

--wait is a deploy gate: it blocks until every selected container that has a
healthcheck is healthy (those without one count once running), and exits 1
with the reasons when --timeout passes first.

Exit status: 0 shown (or all ready with --wait), 1 --wait timed out,
2 the engine could not be asked.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.names = args
			if err := opts.configure(cmd.Flags()); err != nil {
				return err
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
	f.StringVar(&opts.format, "format", "table", "Output format: table, json (one object per line), or a Go template such as '{{.Name}} {{.Health}}'")
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
	opts.healColumn = stateHealColumn(opts.stateFile, pol)
	return nil
}

// stateHealColumn reads once's state (read-only, no lock) for the HEAL
// column: backoff and open circuits show there. A missing or unreadable
// state file means no history, not an error: status must always answer.
func stateHealColumn(path string, pol heal.Policy) func(heal.Container, time.Time) string {
	if path == "" {
		path, _ = store.DefaultStatePath()
	}
	var st *heal.State
	if path != "" {
		if s, err := store.ReadState(path); err == nil {
			st = s
		}
	}
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
	sortContainers(cs)
	return cs, nil
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
func ready(c heal.Container, now time.Time) (bool, string) {
	if c.State != "running" {
		return false, c.State
	}
	switch c.Health {
	case heal.HealthHealthy, heal.HealthNone, "":
		return true, ""
	}
	why := c.Health
	if c.Health == heal.HealthUnhealthy {
		why += fmt.Sprintf(" (failing streak %d)", c.FailingStreak)
	}
	if p := c.LastProbe(); p != nil {
		why += ", last probe " + probeText(p, now, true)
	} else {
		why += ", no probe result yet"
	}
	return false, why
}

// waitHealthy is the deploy gate. Each round lists the selection; only the
// containers the list cannot already call ready are inspected. It needs at
// least one container: a gate over nothing (a typo in --project) must not pass.
func waitHealthy(ctx context.Context, out io.Writer, engine statusEngine, lo heal.ListOptions, opts statusOptions, render statusRenderer) error {
	poll := opts.pollEvery
	if poll <= 0 {
		poll = time.Second
	}
	deadline := opts.now().Add(opts.timeout)
	for {
		listed, err := selectContainers(ctx, engine, lo, opts.names)
		if err != nil {
			return err
		}
		var pending []string
		for _, c := range listed {
			// The list's health is the status text on 20.10: healthy and
			// "no healthcheck" are final enough; anything else is inspected.
			if ok, _ := ready(c, opts.now()); !ok {
				pending = append(pending, c.ID)
			}
		}
		var notReady []heal.Container
		if len(pending) > 0 {
			cs, err := engine.InspectMany(ctx, pending, opts.concurrency)
			if err != nil {
				return engineError(err)
			}
			for _, c := range cs {
				if ok, _ := ready(c, opts.now()); !ok {
					notReady = append(notReady, c)
				}
			}
		}
		now := opts.now()
		if len(listed) > 0 && len(notReady) == 0 {
			cs, err := statusSnapshot(ctx, engine, lo, opts)
			if err != nil {
				return err
			}
			return render(out, cs, opts)
		}
		if !now.Before(deadline) {
			if len(listed) == 0 {
				return withCode(ExitFindings, "timed out after %v: no container matches the selection", opts.timeout)
			}
			sortContainers(notReady)
			var b strings.Builder
			fmt.Fprintf(&b, "timed out after %v waiting for %s of %d:", opts.timeout, humanize.Plural(len(notReady), "container"), len(listed))
			for _, c := range notReady {
				_, why := ready(c, now)
				fmt.Fprintf(&b, "\n  %s: %s", safetext.Escape(c.Name), why)
			}
			return withCode(ExitFindings, "%s", b.String())
		}
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

// statusRow is one container as json and templates see it.
type statusRow struct {
	Name          string      `json:"name"`
	ID            string      `json:"id"`
	Project       string      `json:"project"`
	Service       string      `json:"service"`
	State         string      `json:"state"`
	Health        string      `json:"health"`
	FailingStreak int         `json:"failing_streak"`
	LastProbe     *heal.Probe `json:"last_probe"`
	StartedAt     *time.Time  `json:"started_at"`
	Heal          string      `json:"heal"`
	// For templates only.
	Uptime string `json:"-"`
	Probe  string `json:"-"`
}

func newRow(c heal.Container, opts statusOptions, now time.Time) statusRow {
	r := statusRow{
		Name: c.Name, ID: c.ID, Project: c.Project, Service: c.Service,
		State: c.State, Health: c.Health, FailingStreak: c.FailingStreak,
		Heal: opts.healColumn(c, now), Uptime: "-", Probe: "-",
	}
	if r.Health == "" {
		r.Health = heal.HealthNone
	}
	if p := c.LastProbe(); p != nil {
		last := *p
		r.LastProbe = &last
		r.Probe = probeText(p, now, opts.noTrunc)
	}
	if !c.StartedAt.IsZero() {
		t := c.StartedAt
		r.StartedAt = &t
		if c.State == "running" {
			r.Uptime = units.HumanDuration(now.Sub(c.StartedAt))
		}
	}
	return r
}

// probeWidth is how much of a probe's output the table shows without --no-trunc.
const probeWidth = 40

// probeText is "3s ago, exit 1: first line of output".
func probeText(p *heal.Probe, now time.Time, noTrunc bool) string {
	out := strings.TrimSpace(p.Output)
	if !noTrunc {
		out = safetext.Escape(oneLine(out))
		if r := []rune(out); len(r) > probeWidth {
			out = string(r[:probeWidth-1]) + "…"
		}
	} else {
		out = safetext.Escape(strings.Join(strings.Fields(strings.ReplaceAll(out, "\n", " ⏎ ")), " "))
	}
	text := fmt.Sprintf("%s ago, exit %d", humanize.Age(now.Sub(p.Start)), p.ExitCode)
	if out != "" {
		text += ": " + out
	}
	return text
}

// age is a compact duration: 4s, 3m, 2h, 5d.
type statusRenderer func(out io.Writer, cs []heal.Container, opts statusOptions) error

func newStatusRenderer(format string, noTrunc bool) (statusRenderer, error) {
	switch format {
	case "", "table":
		return renderStatusTable, nil
	case "json":
		return renderStatusJSON, nil
	}
	tmpl, err := template.New("format").Funcs(template.FuncMap{
		"json": func(v any) (string, error) { b, err := json.Marshal(v); return string(b), err },
	}).Parse(format)
	if err != nil {
		return nil, usageError("--format: %v (use table, json or a Go template such as '{{.Name}} {{.Health}}')", err)
	}
	return func(out io.Writer, cs []heal.Container, opts statusOptions) error {
		now := opts.now()
		for _, c := range cs {
			// A template may print any field (.LastProbe.Output too): its
			// output is escaped as a whole, keeping the template's own
			// newlines and tabs.
			var b strings.Builder
			if err := tmpl.Execute(&b, newRow(c, opts, now)); err != nil {
				return withCode(ExitError, "--format: %v", err)
			}
			if _, err := io.WriteString(out, safetext.EscapeKeepLines(b.String())+"\n"); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

func renderStatusJSON(out io.Writer, cs []heal.Container, opts statusOptions) error {
	now := opts.now()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, c := range cs {
		if err := enc.Encode(newRow(c, opts, now)); err != nil {
			return err
		}
	}
	// encoding/json leaves C1 controls raw; a terminal may obey them.
	_, err := out.Write(safetext.JSON(buf.Bytes()))
	return err
}

func renderStatusTable(out io.Writer, cs []heal.Container, opts statusOptions) error {
	now := opts.now()
	table, flush := newPlainTable(out)
	table.Header("NAME", "PROJECT/SERVICE", "STATE", "HEALTH", "STREAK", "LAST PROBE", "UPTIME", "HEAL")
	for _, c := range cs {
		r := newRow(c, opts, now)
		ps := "-"
		if r.Project != "" || r.Service != "" {
			ps = r.Project + "/" + r.Service
		}
		streak := "-"
		if r.Health != heal.HealthNone {
			streak = fmt.Sprint(r.FailingStreak)
		}
		if err := appendClean(table, r.Name, ps, r.State, r.Health, streak, r.Probe, r.Uptime, r.Heal); err != nil {
			return err
		}
	}
	if err := table.Render(); err != nil {
		return err
	}
	return flush()
}
