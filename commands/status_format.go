package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker/cli/cli/command/formatter"
	units "github.com/docker/go-units"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/humanize"
	"github.com/docker-heal/docker-heal/internal/safetext"
)

// statusRow is one container as json shows it.
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
	// The diagnosis.
	Condition heal.Condition `json:"condition"`
	Reason    string         `json:"reason"`
	Restarts  int            `json:"restarts"`
	Since     *time.Time     `json:"since"`
	ExitCode  *int           `json:"exit_code"`
	OOMKilled bool           `json:"oom_killed"`
	// For templates only.
	Uptime string `json:"-"`
	Probe  string `json:"-"`
	since  string
}

func newRow(c heal.Container, opts statusOptions, now time.Time) statusRow {
	d := heal.Diagnose(c, now)
	r := statusRow{
		Name: c.Name, ID: c.ID, Project: c.Project, Service: c.Service,
		State: c.State, Health: c.Health, FailingStreak: c.FailingStreak,
		Heal: opts.healColumn(c, now), Uptime: "-", Probe: "-",
		Condition: d.Condition, Reason: d.Reason, Restarts: d.Restarts, ExitCode: d.ExitCode, OOMKilled: d.OOMKilled,
		since: "-",
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
	if !d.Since.IsZero() {
		t := d.Since
		r.Since = &t
		r.since = units.HumanDuration(max(now.Sub(t), 0)) + " ago"
	}
	return r
}

// probeWidth is how much of a probe's output the table shows without --no-trunc.
const probeWidth = 40

// reasonWidth is how much of the reason the table shows without --no-trunc.
const reasonWidth = 60

// probeText is "3s ago, exit 1: first line of output".
func probeText(p *heal.Probe, now time.Time, noTrunc bool) string {
	out := strings.TrimSpace(p.Output)
	if !noTrunc {
		out = truncate(safetext.Escape(oneLine(out)), probeWidth)
	} else {
		out = safetext.Escape(strings.Join(strings.Fields(strings.ReplaceAll(out, "\n", " ⏎ ")), " "))
	}
	text := fmt.Sprintf("%s ago, exit %d", humanize.Age(now.Sub(p.Start)), p.ExitCode)
	if out != "" {
		text += ": " + out
	}
	return text
}

func truncate(s string, width int) string {
	if r := []rune(s); len(r) > width {
		return string(r[:width-1]) + "…"
	}
	return s
}

// defaultStatusTable is the table status prints without --format.
const defaultStatusTable = "table {{.Name}}\t{{.ProjectService}}\t{{.Condition}}\t{{.Reason}}\t{{.Restarts}}\t{{.Since}}\t{{.Heal}}"

// statusContext is one container as docker/cli's formatter sees it: the
// methods are what --format templates may use, as docker ps's are.
type statusContext struct {
	formatter.HeaderContext
	row     statusRow
	noTrunc bool
}

func newStatusContext() *statusContext {
	c := &statusContext{}
	c.Header = formatter.SubHeaderContext{
		"Name": "NAME", "ID": "CONTAINER ID", "Project": "PROJECT", "Service": "SERVICE", "ProjectService": "PROJECT/SERVICE",
		"State": "STATE", "Health": "HEALTH", "FailingStreak": "STREAK", "LastProbe": "LAST PROBE", "Probe": "LAST PROBE",
		"StartedAt": "STARTED AT", "Uptime": "UPTIME", "Heal": "HEAL", "Condition": "CONDITION", "Reason": "REASON",
		"Restarts": "RESTARTS", "Since": "SINCE", "ExitCode": "EXIT CODE", "OOMKilled": "OOM KILLED",
	}
	return c
}

// MarshalJSON is what {{json .}} prints: the row of --format json.
func (c *statusContext) MarshalJSON() ([]byte, error) { return json.Marshal(c.row) }

func (c *statusContext) Name() string    { return safetext.Escape(c.row.Name) }
func (c *statusContext) ID() string      { return c.row.ID }
func (c *statusContext) Project() string { return safetext.Escape(c.row.Project) }
func (c *statusContext) Service() string { return safetext.Escape(c.row.Service) }
func (c *statusContext) ProjectService() string {
	if c.row.Project == "" && c.row.Service == "" {
		return "-"
	}
	return safetext.Escape(c.row.Project + "/" + c.row.Service)
}
func (c *statusContext) State() string  { return c.row.State }
func (c *statusContext) Health() string { return c.row.Health }
func (c *statusContext) FailingStreak() int {
	return c.row.FailingStreak
}
func (c *statusContext) LastProbe() *heal.Probe { return c.row.LastProbe }
func (c *statusContext) Probe() string          { return c.row.Probe }
func (c *statusContext) StartedAt() *time.Time  { return c.row.StartedAt }
func (c *statusContext) Uptime() string         { return c.row.Uptime }
func (c *statusContext) Heal() string           { return c.row.Heal }
func (c *statusContext) Condition() string      { return string(c.row.Condition) }
func (c *statusContext) Reason() string {
	r := safetext.Escape(c.row.Reason)
	if !c.noTrunc {
		r = truncate(r, reasonWidth)
	}
	return r
}
func (c *statusContext) Restarts() int { return c.row.Restarts }

// Since is "3 minutes ago", or "-" when the engine does not tell.
func (c *statusContext) Since() string { return c.row.since }

// ExitCode is the last exit's code, or "-" while the engine shows none.
func (c *statusContext) ExitCode() string {
	if c.row.ExitCode == nil {
		return "-"
	}
	return fmt.Sprint(*c.row.ExitCode)
}
func (c *statusContext) OOMKilled() bool { return c.row.OOMKilled }

type statusRenderer func(out io.Writer, cs []heal.Container, opts statusOptions) error

// newStatusRenderer renders as docker ps does: table (the default
// columns), json (one object per line), "table TEMPLATE" (a header and
// aligned columns) or a bare Go template (one line per container).
func newStatusRenderer(format string, noTrunc bool) (statusRenderer, error) {
	switch format {
	case "", formatter.TableFormatKey:
		format = defaultStatusTable
	case formatter.JSONFormatKey:
		return renderStatusJSON, nil
	}
	// Parse once now, so a bad template is a usage error before any call.
	probe := formatter.Context{Output: io.Discard, Format: formatter.Format(format)}
	if err := probe.Write(newStatusContext(), func(func(formatter.SubContext) error) error { return nil }); err != nil {
		return nil, usageError("--format: %v (use table, json or a Go template such as 'table {{.Name}}\\t{{.Condition}}')", err)
	}
	return func(out io.Writer, cs []heal.Container, opts statusOptions) error {
		now := opts.now()
		rows := make([]formatter.SubContext, 0, len(cs))
		for _, c := range cs {
			sc := newStatusContext()
			sc.row, sc.noTrunc = newRow(c, opts, now), noTrunc
			rows = append(rows, sc)
		}
		return writeTemplateRows(out, format, newStatusContext(), rows)
	}, nil
}

// writeTemplateRows prints rows through docker/cli's formatter (the header
// from header, for a table format). A template may print any field (a
// container's name, reason or probe output too): the output is escaped as
// a whole, keeping the table's newlines and tabs.
func writeTemplateRows(out io.Writer, format string, header formatter.SubContext, rows []formatter.SubContext) error {
	var buf bytes.Buffer
	ctx := formatter.Context{Output: &buf, Format: formatter.Format(format)}
	err := ctx.Write(header, func(write func(formatter.SubContext) error) error {
		for _, r := range rows {
			if err := write(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return withCode(ExitError, "--format: %v", err)
	}
	_, err = io.WriteString(out, safetext.EscapeKeepLines(buf.String()))
	return err
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
