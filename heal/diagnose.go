package heal

import (
	"fmt"
	"strings"
	"time"

	"github.com/docker-heal/docker-heal/internal/humanize"
)

// Condition is what is wrong (or right) with a container, one word.
type Condition string

// Conditions, from the worst down. A container has exactly one.
const (
	// CondCrashLoop: the engine's restart policy keeps restarting it
	// (CrashLoopRestarts or more restarts, the last one within
	// CrashLoopWindow), as kubectl's CrashLoopBackOff.
	CondCrashLoop Condition = "crash-loop"
	// CondOOMKilled: the kernel killed it for exceeding its memory limit.
	CondOOMKilled Condition = "oom-killed"
	CondUnhealthy Condition = "unhealthy"
	// CondExited: its process ended and the engine did not restart it.
	CondExited Condition = "exited"
	// CondDead: the engine failed to stop or remove it.
	CondDead Condition = "dead"
	// CondRestarting: the engine is restarting it (its restart policy), not
	// (yet) often enough to be a crash loop.
	CondRestarting Condition = "restarting"
	// CondCreated: created, never started.
	CondCreated  Condition = "created"
	CondPaused   Condition = "paused"
	CondRemoving Condition = "removing"
	// CondStarting: its healthcheck has not passed yet (start period).
	CondStarting Condition = "starting"
	CondHealthy  Condition = "healthy"
	// CondRunning: running, without a healthcheck.
	CondRunning Condition = "running"
)

// Conditions lists every condition, for metrics (a gauge per condition,
// zeros included) and documentation.
var Conditions = []Condition{CondCrashLoop, CondOOMKilled, CondUnhealthy, CondExited, CondDead, CondRestarting,
	CondCreated, CondPaused, CondRemoving, CondStarting, CondHealthy, CondRunning}

// Crash-loop thresholds. The engine backs off between restarts from 100ms,
// doubling to one minute, and starts afresh after a run of 10s or more
// (daemon/restartmanager): three restarts with the last one less than five
// minutes ago is a process that does not stay up.
const (
	CrashLoopRestarts = 3
	CrashLoopWindow   = 5 * time.Minute
)

// Failing reports whether the condition is a failure a deploy gate must not
// wait out: it will not turn healthy by itself. created is not: compose
// creates, then starts.
func (c Condition) Failing() bool {
	switch c {
	case CondCrashLoop, CondOOMKilled, CondExited, CondDead:
		return true
	}
	return false
}

// Diagnosis is what is the matter with one container, and since when.
type Diagnosis struct {
	Condition Condition `json:"condition"`
	// Reason says why, in one line: "exit 137: killed (SIGKILL), out of
	// memory", "failing streak 3, last probe: exit 1: connection refused".
	Reason string `json:"reason"`
	// Since is when the container entered the condition, as far as the
	// engine tells: the last start, exit or probe. Zero when unknown.
	Since time.Time `json:"since,omitzero"`
	// Restarts is the engine's RestartCount.
	Restarts int `json:"restarts"`
	// ExitCode is the last exit's code when the engine still shows it
	// (exited, restarting, dead), else nil.
	ExitCode *int `json:"exit_code"`
	// OOMKilled: the last exit (or, on newer engines, a process since the
	// start) was killed for lack of memory.
	OOMKilled bool `json:"oom_killed"`
	// StartPeriodLeft is how much of the healthcheck's start period is left
	// (starting only).
	StartPeriodLeft time.Duration `json:"-"`
}

// Diagnose says what condition c is in at now. Pure: c as the engine
// showed it, nothing else. A container that was only listed (not
// inspected) gets what the list tells: state, health, exit code.
func Diagnose(c Container, now time.Time) Diagnosis {
	d := Diagnosis{Restarts: c.RestartCount, OOMKilled: c.OOMKilled}
	exitCode := func() {
		code := c.ExitCode
		d.ExitCode = &code
	}
	ago := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return " " + humanize.Age(now.Sub(t)) + " ago"
	}
	lastExit := func() string {
		text := ExitText(c.ExitCode, c.OOMKilled) + ago(c.FinishedAt)
		if e := strings.TrimSpace(c.Error); e != "" {
			text += ": " + oneLine(e, 200)
		}
		return text
	}
	restarts := func() string {
		return fmt.Sprintf("restarted %s by the engine", times(c.RestartCount))
	}
	crashLooping := c.RestartCount >= CrashLoopRestarts && c.RestartPolicy != "no"

	switch c.State {
	case "created":
		d.Condition, d.Since, d.Reason = CondCreated, c.CreatedAt, "created, never started"
		if c.Error != "" {
			d.Reason = "never started: " + oneLine(c.Error, 200)
		}
		return d
	case "dead":
		exitCode()
		d.Condition, d.Since, d.Reason = CondDead, c.FinishedAt, "the engine could not stop or remove it"
		if c.Error != "" {
			d.Reason += ": " + oneLine(c.Error, 200)
		}
		return d
	case "removing":
		d.Condition, d.Since, d.Reason = CondRemoving, c.FinishedAt, "being removed"
		return d
	case "paused":
		d.Condition, d.Reason = CondPaused, "paused (docker unpause resumes it)"
		return d
	case "restarting":
		// Waiting out the engine's backoff before the next start.
		exitCode()
		d.Since = c.FinishedAt
		switch {
		case crashLooping:
			d.Condition = CondCrashLoop
		case c.OOMKilled:
			d.Condition = CondOOMKilled
		default:
			d.Condition = CondRestarting
		}
		d.Reason = lastExit() + "; the engine restarts it (restart policy " + policyName(c.RestartPolicy) + ")"
		if c.Inspected {
			d.Reason = lastExit() + "; " + restarts() + ", waiting to start it again"
		}
		return d
	case "exited":
		exitCode()
		d.Since = c.FinishedAt
		d.Condition = CondExited
		if c.OOMKilled {
			d.Condition = CondOOMKilled
		}
		d.Reason = lastExit()
		if c.RestartCount > 0 {
			d.Reason += "; " + restarts() + ", then it gave up (restart policy " + policyName(c.RestartPolicy) + ")"
		}
		return d
	}

	// Running (or state unknown).
	up := now.Sub(c.StartedAt)
	recent := !c.StartedAt.IsZero() && up < CrashLoopWindow
	if crashLooping && recent {
		d.Condition, d.Since = CondCrashLoop, c.StartedAt
		d.Reason = restarts() + ", up " + shortDuration(max(up, 0)) + " since the last"
		if !c.FinishedAt.IsZero() {
			d.Reason += "; last exit" + ago(c.FinishedAt)
			switch {
			case c.DiedWith != nil:
				code := *c.DiedWith
				d.ExitCode = &code
				d.Reason += ": " + ExitText(code, c.OOMKilled)
			case c.OOMKilled:
				d.Reason += ": out of memory (OOMKilled)"
			}
		}
		return d
	}
	if c.OOMKilled && recent {
		// On 20.10 the flag is the last exit's; newer engines set it while
		// the container runs, when the kernel killed one of its processes.
		d.Condition = CondOOMKilled
		if c.RestartCount > 0 && !c.FinishedAt.IsZero() {
			d.Since = c.FinishedAt
			d.Reason = "last exit" + ago(c.FinishedAt) + ": out of memory (OOMKilled); " + restarts()
		} else {
			d.Since = c.StartedAt
			d.Reason = "the kernel killed a process in it: out of memory (OOMKilled)"
		}
		return d
	}
	switch c.Health {
	case HealthUnhealthy:
		d.Condition = CondUnhealthy
		d.Since = streakStart(c)
		d.Reason = fmt.Sprintf("failing streak %d", c.FailingStreak)
		if p := c.LastProbe(); p != nil {
			d.Reason += fmt.Sprintf(", last probe: exit %d", p.ExitCode)
			if out := lastProbeOutput(c); out != "" {
				d.Reason += ": " + out
			}
		}
	case HealthStarting:
		d.Condition, d.Since = CondStarting, c.StartedAt
		if c.StartPeriod > 0 && !c.StartedAt.IsZero() {
			d.StartPeriodLeft = max(c.StartedAt.Add(c.StartPeriod).Sub(now), 0)
		}
		switch {
		case !c.Inspected:
			d.Reason = "waiting for its first passing probe"
		case d.StartPeriodLeft > 0:
			d.Reason = fmt.Sprintf("start period: %s of %s left", shortDuration(d.StartPeriodLeft), shortDuration(c.StartPeriod))
		default:
			d.Reason = "waiting for its first passing probe"
			if c.FailingStreak > 0 {
				d.Reason += fmt.Sprintf(" (failing streak %d of %d retries)", c.FailingStreak, c.Retries)
			}
		}
	case HealthHealthy:
		d.Condition, d.Since = CondHealthy, healthySince(c)
		d.Reason = "healthcheck passing"
	default:
		d.Condition, d.Since = CondRunning, c.StartedAt
		d.Reason = "running, no healthcheck"
		if c.Health == "" {
			d.Reason = "running"
		}
	}
	if c.RestartCount > 0 && d.Reason != "" {
		d.Reason += "; " + restarts()
	}
	return d
}

// MarkDied gives a running container the exit code of its last exit, from
// a die event or a recorded exit at the same time (the engine resets the
// code when it starts the container again).
func MarkDied(c *Container, x ExitRecord) {
	if c.State != "running" || c.DiedWith != nil || x.ExitCode < 0 || c.FinishedAt.IsZero() || x.Time.Sub(c.FinishedAt).Abs() > oomSlack {
		return
	}
	code := x.ExitCode
	c.DiedWith = &code
}

// streakStart is when the failing streak began: the first failing probe of
// the trailing run in the log, or the oldest probe the log keeps.
func streakStart(c Container) time.Time {
	for i := len(c.Probes) - 1; i >= 0; i-- {
		if c.Probes[i].ExitCode == 0 {
			if i+1 < len(c.Probes) {
				return c.Probes[i+1].Start
			}
			return time.Time{}
		}
	}
	if len(c.Probes) > 0 {
		return c.Probes[0].Start
	}
	return time.Time{}
}

// healthySince is the first passing probe of the trailing passing run; when
// every probe kept passed and the engine kept fewer than it keeps (5), the
// container has been healthy since its first probe after the start.
func healthySince(c Container) time.Time {
	since := time.Time{}
	for i := len(c.Probes) - 1; i >= 0 && c.Probes[i].ExitCode == 0; i-- {
		since = c.Probes[i].Start
	}
	if since.IsZero() {
		return c.StartedAt
	}
	return since
}

// ExitMeaning is a process exit code in words ("" when it has no usual
// meaning), as the shell and the
// engine use them: 0 completed, 126 not executable, 127 not found,
// 128+N killed by signal N (137 SIGKILL: docker kill, the stop timeout, or
// the OOM killer; 143 SIGTERM: docker stop; 139 SIGSEGV).
func ExitMeaning(code int, oomKilled bool) string {
	what := ""
	switch code {
	case 0:
		what = "completed"
	case 1:
		what = "error"
	case 2:
		what = "misuse (bad arguments)"
	case 125:
		what = "the container runtime failed"
	case 126:
		what = "command not executable"
	case 127:
		what = "command not found"
	case 130:
		what = "SIGINT: interrupted"
	case 134:
		what = "SIGABRT: aborted"
	case 137:
		what = "SIGKILL: docker kill, the stop timeout, or out of memory"
	case 139:
		what = "SIGSEGV: segmentation fault"
	case 143:
		what = "SIGTERM: docker stop"
	default:
		if code > 128 && code < 160 {
			what = fmt.Sprintf("killed by signal %d", code-128)
		}
	}
	if oomKilled {
		if code == 137 {
			what = "SIGKILL"
		}
		if what != "" {
			what += ", "
		}
		what += "out of memory: OOMKilled"
	}
	return what
}

// ExitText is "exit 137 (killed (SIGKILL), out of memory (OOMKilled))", or
// "exit 3" for a code without a usual meaning.
func ExitText(code int, oomKilled bool) string {
	if what := ExitMeaning(code, oomKilled); what != "" {
		return fmt.Sprintf("exit %d (%s)", code, what)
	}
	return fmt.Sprintf("exit %d", code)
}

func policyName(p string) string {
	if p == "" {
		return "unknown"
	}
	return p
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func oneLine(s string, width int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > width {
		s = string(r[:width]) + "…"
	}
	return s
}
