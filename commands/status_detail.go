package commands

import (
	"fmt"
	"io"
	"strings"
	"time"

	units "github.com/docker/go-units"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/humanize"
	"github.com/docker-heal/docker-heal/internal/safetext"
)

// renderStatusDetail is status NAME: one container, its diagnosis, the
// probes the engine keeps (with their duration: the probe's latency), its
// last exit, and what docker heal did to it (once's state file).
func renderStatusDetail(out io.Writer, c heal.Container, opts statusOptions) error {
	now := opts.now()
	d := heal.Diagnose(c, now)
	var b strings.Builder
	field := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%-12s %s\n", name+":", fmt.Sprintf(format, args...))
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return fmt.Sprintf("%s (%s ago)", t.In(now.Location()).Format("2006-01-02 15:04:05"), units.HumanDuration(max(now.Sub(t), 0)))
	}
	field("Name", "%s", safetext.Escape(c.Name))
	field("ID", "%s", c.ID)
	if c.Project != "" || c.Service != "" {
		field("Project", "%s/%s", safetext.Escape(c.Project), safetext.Escape(c.Service))
	}
	field("Condition", "%s since %s", d.Condition, when(d.Since))
	field("Reason", "%s", safetext.Escape(d.Reason))
	field("State", "%s", c.State)
	field("Started", "%s", when(c.StartedAt))
	field("Restarts", "%d by the engine since the last manual start (restart policy %s)", c.RestartCount, orDash(c.RestartPolicy))
	if !c.FinishedAt.IsZero() {
		exit := "the engine no longer shows its code (it started again)"
		if c.State != "running" && c.State != "paused" {
			exit = heal.ExitText(c.ExitCode, c.OOMKilled)
		} else if c.OOMKilled {
			exit = "out of memory (OOMKilled)"
		}
		field("Last exit", "%s, %s", when(c.FinishedAt), exit)
		if c.Error != "" {
			field("Error", "%s", safetext.Escape(c.Error))
		}
	}
	e := opts.state.Entry(c.ID)
	if e != nil && len(e.Exits) > 0 {
		b.WriteString("Exits seen by docker heal:\n")
		for _, x := range e.Exits {
			exit := heal.ExitText(x.ExitCode, x.OOMKilled)
			if x.ExitCode < 0 {
				exit = "exit code not seen (it was running again)"
			}
			fmt.Fprintf(&b, "  %s  %s\n", x.Time.In(now.Location()).Format("2006-01-02 15:04:05"), exit)
		}
	}
	if c.HasHealthcheck {
		field("Health", "%s, failing streak %d (every %s, timeout %s, %d retries, start period %s)", c.Health, c.FailingStreak,
			humanize.Duration(c.Interval), humanize.Duration(c.Timeout), c.Retries, humanize.Duration(c.StartPeriod))
		if len(c.Probes) > 0 {
			b.WriteString("Probes (oldest first):\n")
			for _, p := range c.Probes {
				took := "-"
				if !p.End.IsZero() {
					took = p.End.Sub(p.Start).Round(time.Millisecond).String()
				}
				out := strings.TrimSpace(p.Output)
				if !opts.noTrunc {
					out = truncate(oneLine(out), 2*probeWidth)
				} else {
					out = strings.ReplaceAll(out, "\n", " ⏎ ")
				}
				fmt.Fprintf(&b, "  %s  exit %d  took %-7s %s\n", p.Start.In(now.Location()).Format("15:04:05"), p.ExitCode, took, safetext.Escape(out))
			}
		}
	} else {
		field("Health", "no healthcheck")
	}
	field("Heal", "%s", opts.healColumn(c, now))
	if e != nil {
		if !e.FirstSeenUnhealthy.IsZero() {
			field("Unhealthy", "seen since %s", when(e.FirstSeenUnhealthy))
		}
		if e.CircuitOpen {
			field("Circuit", "open since %s: docker heal reset %s to let it act again", when(e.CircuitOpenedAt), safetext.Escape(c.Name))
		}
		if now.Before(e.BackoffUntil) {
			field("Backoff", "until %s", e.BackoffUntil.In(now.Location()).Format("15:04:05"))
		}
		if len(e.Restarts) > 0 {
			b.WriteString("Done by docker heal:\n")
			for _, r := range e.Restarts {
				line := fmt.Sprintf("  %s  %s %s", r.Time.In(now.Location()).Format("2006-01-02 15:04:05"), r.Action, r.Result)
				for _, extra := range []string{r.Cause, r.Error, r.Note} {
					if extra != "" {
						line += "; " + safetext.Escape(extra)
					}
				}
				b.WriteString(line + "\n")
			}
		}
		if n := e.RestartsTotal[heal.ResultSuccess] + e.RestartsTotal[heal.ResultFailure]; n > 0 {
			field("Totals", "%d succeeded, %d failed", e.RestartsTotal[heal.ResultSuccess], e.RestartsTotal[heal.ResultFailure])
		}
	} else {
		field("History", "none in docker heal's state file")
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
