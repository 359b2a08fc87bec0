package heal

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker-heal/docker-heal/internal/humanize"
)

// StepKind is what the plan does with one container.
type StepKind string

// Step kinds. Restart, Stop, Notify, OpenCircuit, CloseCircuit and Recovered
// make something happen; Wait and Skip only report.
const (
	StepRestart      StepKind = "restart"
	StepStop         StepKind = "stop"
	StepNotify       StepKind = "notify"
	StepOpenCircuit  StepKind = "open-circuit"
	StepCloseCircuit StepKind = "close-circuit"
	StepRecovered    StepKind = "recovered"
	// StepAlert tells someone what the engine is going through (a crash
	// loop, an OOM kill): nothing to restart, the engine does that.
	StepAlert StepKind = "alert"
	StepWait  StepKind = "wait"
	StepSkip  StepKind = "skip"
)

// WaitCause is what a wait step waits for: a watcher schedules its next
// look by it (and never by the words of Reason).
type WaitCause string

// Wait causes.
const (
	// WaitPending: an earlier attempt has no known outcome yet.
	WaitPending WaitCause = "pending"
	// WaitGrace: the container started recently (start period or --grace).
	WaitGrace WaitCause = "grace"
	// WaitMinUnhealthy: not unhealthy long enough yet (--min-unhealthy).
	WaitMinUnhealthy WaitCause = "min-unhealthy"
	// WaitBackoff: the wait after its last restart.
	WaitBackoff WaitCause = "backoff"
	// WaitCircuitClosing: healthy again with its circuit open, which closes
	// after a window of health.
	WaitCircuitClosing WaitCause = "circuit-closing"
	// WaitStormGuard: --max-per-run was reached this run; it falls due with
	// the next run (a watcher's next storm-guard window), not at a time.
	WaitStormGuard WaitCause = "storm-guard"
)

// Step is the decision for one container.
type Step struct {
	Kind      StepKind
	Container Container
	// Reason says why, in words ("backoff until 12:03:00").
	Reason string
	// Event is what an alert step reports: EventCrashLoop or EventOOMKilled.
	Event string
	// OOMAt identifies the OOM kill an EventOOMKilled alert reports (the
	// exit's time), so the next rounds know it was told.
	OOMAt time.Time
	// UnhealthyFor is how long the container has been seen unhealthy across runs (0 = just now).
	UnhealthyFor time.Duration
	// StopTimeout for restart and stop.
	StopTimeout time.Duration
	// StopTimeoutAsked is the stop timeout the container asked for when
	// --max-stop-timeout capped it to StopTimeout, else 0.
	StopTimeoutAsked time.Duration
	// Dependents are restarted after the container, in order, when its restart succeeded.
	Dependents []Dependent
	// Wait is what a StepWait waits for; WaitUntil is when it falls due,
	// zero when no time is known (pending, storm guard).
	Wait      WaitCause
	WaitUntil time.Time
	// CircuitOpen marks a container whose restart budget is spent (open or opening).
	CircuitOpen bool
	// Outcome, filled by the executor.
	Result string // ResultSuccess, ResultFailure, ResultPending, ResultSkipped, or "" when nothing was attempted
	Error  string
	// Note says what else happened: why it was skipped, that an operator's
	// stop was honoured, why the outcome is pending.
	Note string
	// notAttempted marks a step the round ended before (no engine call).
	notAttempted bool
}

// Dependent is a container restarted after its parent.
type Dependent struct {
	Container   Container
	Reason      string // "shares network namespace of web"
	StopTimeout time.Duration
	Result      string
	Error       string
	Note        string
	// notAttempted marks a dependent the round ended before.
	notAttempted bool
}

// Plan is the outcome of Decide: one step per container worth a word.
type Plan struct {
	Now   time.Time
	Steps []Step
}

// Acts reports whether the step changes something (or must be reported as an
// open circuit), as opposed to only waiting or skipping.
func (s Step) Acts() bool {
	switch s.Kind {
	case StepWait:
		return false
	case StepSkip:
		return s.CircuitOpen
	}
	return true
}

// Eventful reports whether any step acts: --quiet prints nothing otherwise.
func (p Plan) Eventful() bool {
	for _, s := range p.Steps {
		if s.Acts() {
			return true
		}
	}
	return false
}

// String renders the plan one line per step, dependents indented: the form
// table tests compare.
func (p Plan) String() string {
	var b strings.Builder
	for _, s := range p.Steps {
		b.WriteString(s.line(p.Now))
		b.WriteByte('\n')
		for _, d := range s.Dependents {
			fmt.Fprintf(&b, "  then restart %s: %s\n", d.Container.Name, d.Reason)
		}
	}
	return b.String()
}

func (s Step) line(now time.Time) string {
	name := s.Container.Name
	switch s.Kind {
	case StepRestart, StepStop, StepNotify:
		return fmt.Sprintf("%s %s (%s)", s.Kind, name, s.sickness())
	case StepOpenCircuit:
		return fmt.Sprintf("open circuit %s: %s", name, s.Reason)
	case StepCloseCircuit:
		return fmt.Sprintf("close circuit %s: %s", name, s.Reason)
	case StepRecovered:
		return fmt.Sprintf("recovered %s: %s", name, s.Reason)
	case StepAlert:
		return fmt.Sprintf("alert %s %s: %s", name, s.Event, s.Reason)
	default:
		return fmt.Sprintf("%s %s: %s", s.Kind, name, s.Reason)
	}
}

func (s Step) sickness() string {
	parts := []string{"unhealthy"}
	if s.UnhealthyFor > 0 {
		parts[0] += " " + shortDuration(s.UnhealthyFor)
	}
	if s.Container.FailingStreak > 0 {
		parts = append(parts, fmt.Sprintf("streak %d", s.Container.FailingStreak))
	}
	if s.StopTimeoutAsked > 0 {
		parts = append(parts, fmt.Sprintf("stop timeout %s capped to %s (--max-stop-timeout)", shortDuration(s.StopTimeoutAsked), shortDuration(s.StopTimeout)))
	}
	return strings.Join(parts, ", ")
}

// shortDuration prints 3m, 1h30m, 45s: whole seconds, no trailing zero units.
func shortDuration(d time.Duration) string { return humanize.Duration(d.Round(time.Second)) }

func clock(t, now time.Time) string {
	if loc := now.Location(); loc != nil {
		t = t.In(loc)
	}
	if t.Sub(now) >= 24*time.Hour {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("15:04:05")
}

// Decide turns a snapshot into a plan. It is a pure function of its
// arguments: no clock, no engine, no file. The snapshot holds every
// container the engine reported; unhealthy candidates must be inspected
// (Inspected) for grace and stop timeouts to be known. st may be nil.
func Decide(snapshot []Container, st *State, pol Policy, now time.Time) Plan {
	plan := Plan{Now: now}
	cs := append([]Container(nil), snapshot...)
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Name != cs[j].Name {
			return cs[i].Name < cs[j].Name
		}
		return cs[i].ID < cs[j].ID
	})

	type actionable struct {
		index     int
		firstSeen time.Time
	}
	var acting []actionable
	for _, c := range cs {
		e := st.Entry(c.ID)
		// An alert tells; it does not stand in for healing: an OOM-killed
		// container that runs on unhealthy is still decided on below
		// (what the engine is restarting never is, in decideUnhealthy).
		if step, ok := decideAlert(c, e, pol, now); ok {
			plan.Steps = append(plan.Steps, step)
		}
		if c.Health != HealthUnhealthy {
			if step, ok := decideHealthy(c, e, pol, now); ok {
				plan.Steps = append(plan.Steps, step)
			}
			continue
		}
		step := decideUnhealthy(c, e, st.pending(c.ID, EventUnhealthy), pol, now)
		if step.Kind == "" {
			continue
		}
		plan.Steps = append(plan.Steps, step)
		if step.Kind == StepRestart || step.Kind == StepStop {
			first := now
			if e != nil && !e.FirstSeenUnhealthy.IsZero() {
				first = e.FirstSeenUnhealthy
			}
			acting = append(acting, actionable{len(plan.Steps) - 1, first})
		}
	}

	// Storm guard: the longest sick go first; the rest wait for the next run.
	sort.SliceStable(acting, func(i, j int) bool { return acting[i].firstSeen.Before(acting[j].firstSeen) })
	var parents []int
	for n, a := range acting {
		if n < pol.MaxPerRun {
			parents = append(parents, a.index)
			continue
		}
		s := &plan.Steps[a.index]
		s.Kind, s.Wait, s.WaitUntil = StepWait, WaitStormGuard, time.Time{}
		s.Reason = fmt.Sprintf("storm guard: %s already this run (--max-per-run)", humanize.Plural(pol.MaxPerRun, "action"))
		s.Dependents = nil
	}
	sort.Ints(parents)

	// Dependents, once the parents are known. A parent that is itself a
	// dependent of another parent is restarted in that one's list, after it.
	reach := make([]map[string]bool, len(parents))
	for n, i := range parents {
		reach[n] = map[string]bool{}
		if plan.Steps[i].Kind != StepRestart {
			continue
		}
		for _, d := range dependents(plan.Steps[i].Container, cs, pol, map[string]bool{}) {
			reach[n][d.Container.ID] = true
		}
	}
	dropped := map[int]bool{}
	for n, i := range parents {
		if plan.Steps[i].Kind != StepRestart {
			continue
		}
		id := plan.Steps[i].Container.ID
		for m, j := range parents {
			// Mutual reachability (a label loop): the earlier one leads.
			if m != n && reach[m][id] && (!reach[n][plan.Steps[j].Container.ID] || m < n) {
				dropped[i] = true
			}
		}
	}
	taken := map[string]bool{}
	for _, i := range parents {
		if !dropped[i] {
			taken[plan.Steps[i].Container.ID] = true
		}
	}
	for _, i := range parents {
		if s := &plan.Steps[i]; !dropped[i] && s.Kind == StepRestart {
			s.Dependents = dependents(s.Container, cs, pol, taken)
		}
	}
	if len(dropped) > 0 {
		kept := plan.Steps[:0]
		for i, s := range plan.Steps {
			if !dropped[i] {
				kept = append(kept, s)
			}
		}
		plan.Steps = kept
	}
	return plan
}

// decideAlert says whether c's crash loop or OOM kill is news: once per
// crash-loop episode (until it is seen out of the loop), once per OOM kill
// (identified by its exit's time), for the containers docker heal looks
// after. Kills older than the policy's window are history, not news.
func decideAlert(c Container, e *Entry, pol Policy, now time.Time) (Step, bool) {
	if !c.Inspected || IsSwarmTask(c) || IsKubernetes(c) || !pol.PolicyFor(c).Enabled {
		return Step{}, false
	}
	d := Diagnose(c, now)
	if at := OOMKey(c); c.OOMKilled && now.Sub(at) < pol.Window && !oomSeen(c, e) {
		return Step{Kind: StepAlert, Container: c, Event: EventOOMKilled, OOMAt: at, Reason: d.Reason}, true
	}
	if d.Condition == CondCrashLoop && (e == nil || !e.Notified[EventCrashLoop]) {
		return Step{Kind: StepAlert, Container: c, Event: EventCrashLoop, Reason: d.Reason}, true
	}
	return Step{}, false
}

// oomSeen reports whether the OOM kill c shows is the one e last saw. A
// kill first seen while its run went on (keyed by the run's start: the oom
// event comes before the exit) and seen again at that run's exit is the
// same kill, not a second one.
func oomSeen(c Container, e *Entry) bool {
	if e == nil || e.LastOOM.IsZero() {
		return false
	}
	if !OOMKey(c).After(e.LastOOM) {
		return true
	}
	return e.LastOOM.Equal(c.StartedAt) && !c.FinishedAt.IsZero() && !c.FinishedAt.Before(c.StartedAt)
}

// OOMKey identifies an OOM kill of c: the time of the exit it caused (on
// Engine 20.10 the flag is the last exit's, kept across the restart), or the
// start of the run it happened in when there was no exit yet.
func OOMKey(c Container) time.Time {
	if !c.FinishedAt.IsZero() {
		return c.FinishedAt
	}
	return c.StartedAt
}

// decideHealthy handles a container that is not unhealthy: recoveries and
// closing circuits.
func decideHealthy(c Container, e *Entry, pol Policy, now time.Time) (Step, bool) {
	if e == nil || (c.State != "running" && c.State != "") || c.Health == HealthStarting {
		// A restarted container is "starting" until its first probe: not yet a recovery.
		return Step{}, false
	}
	if e.CircuitOpen {
		since := e.HealthySince
		if since.IsZero() {
			since = now
		}
		healthyFor := now.Sub(since)
		if healthyFor >= pol.Window {
			return Step{Kind: StepCloseCircuit, Container: c,
				Reason: fmt.Sprintf("healthy for %s", shortDuration(healthyFor))}, true
		}
		return Step{Kind: StepWait, Wait: WaitCircuitClosing, WaitUntil: since.Add(pol.Window), Container: c,
			Reason: fmt.Sprintf("circuit open, healthy since %s, closes at %s", clock(since, now), clock(since.Add(pol.Window), now))}, true
	}
	if !e.FirstSeenUnhealthy.IsZero() {
		n := 0
		for _, r := range e.Restarts {
			if !r.Time.Before(e.FirstSeenUnhealthy) && r.Cause == "" {
				n++
			}
		}
		if n > 0 {
			return Step{Kind: StepRecovered, Container: c,
				Reason: fmt.Sprintf("healthy again after %s", humanize.Plural(n, "restart"))}, true
		}
	}
	return Step{}, false
}

// decideUnhealthy applies the rules, in order, to one unhealthy container.
func decideUnhealthy(c Container, e *Entry, pending *Pending, pol Policy, now time.Time) Step {
	step := Step{Container: c}
	skip := func(reason string) Step { step.Kind, step.Reason = StepSkip, reason; return step }
	wait := func(cause WaitCause, until time.Time, reason string) Step {
		step.Kind, step.Wait, step.WaitUntil, step.Reason = StepWait, cause, until, reason
		return step
	}

	if why := exclusion(c); why != "" {
		return skip(why)
	}
	cp := pol.PolicyFor(c)
	if cp.Problem != "" {
		return skip(cp.Problem + "; fix the label to let docker heal act")
	}
	if !cp.Enabled {
		return skip("not enabled (label " + LabelEnable + "=true, or --all)")
	}
	if !c.Inspected {
		// Listed as unhealthy but gone before it could be inspected.
		return Step{}
	}
	if d := Diagnose(c, now); d.Condition == CondCrashLoop || c.State == "restarting" {
		// Its restart policy is at it already; one more restart would only
		// reset the engine's count and backoff.
		return skip(fmt.Sprintf("the engine is restarting it (%s): not restarted by docker heal", d.Reason))
	}
	step.StopTimeout, step.StopTimeoutAsked = cp.StopTimeout, cp.StopTimeoutAsked
	if e != nil && !e.FirstSeenUnhealthy.IsZero() && now.After(e.FirstSeenUnhealthy) {
		step.UnhealthyFor = now.Sub(e.FirstSeenUnhealthy)
	}
	if since, ok := e.pendingSince(); ok {
		// The engine may still be carrying it out: never a second one on top.
		return wait(WaitPending, time.Time{}, fmt.Sprintf("the attempt of %s has no known outcome yet (pending); read from the engine next round", clock(since, now)))
	}
	if until := pol.graceUntil(c); now.Before(until) {
		return wait(WaitGrace, until, fmt.Sprintf("in grace until %s (started %s ago)", clock(until, now), shortDuration(now.Sub(c.StartedAt))))
	}
	if step.UnhealthyFor < pol.MinUnhealthy {
		return wait(WaitMinUnhealthy, now.Add(pol.MinUnhealthy-step.UnhealthyFor), fmt.Sprintf("unhealthy for %s, acting after %s (--min-unhealthy)", shortDuration(step.UnhealthyFor), shortDuration(pol.MinUnhealthy)))
	}
	if cp.Action == ActionNotify {
		if pending != nil {
			return skip(fmt.Sprintf("action notify: delivery pending, attempt %d of %d failed (%s)", pending.Attempts, MaxNotifyAttempts, pending.LastError))
		}
		if e != nil && e.Notified[EventUnhealthy] {
			return skip("action notify: already notified for this episode")
		}
		step.Kind = StepNotify
		return step
	}
	restarts := e.RestartsIn(pol.Window, now)
	if e != nil && e.CircuitOpen {
		step.CircuitOpen = true
		return skip(fmt.Sprintf("circuit open (%s in %s); docker heal reset %s to retry", humanize.Plural(restarts, "restart"), shortDuration(pol.Window), c.Name))
	}
	if restarts >= cp.MaxRestarts {
		step.Kind, step.CircuitOpen = StepOpenCircuit, true
		step.Reason = fmt.Sprintf("%s in %s, still unhealthy", humanize.Plural(restarts, "restart"), shortDuration(pol.Window))
		return step
	}
	if e != nil && now.Before(e.BackoffUntil) {
		return wait(WaitBackoff, e.BackoffUntil, "backoff until "+clock(e.BackoffUntil, now))
	}
	if cp.Action == ActionStop {
		step.Kind = StepStop
	} else {
		step.Kind = StepRestart
	}
	return step
}

// dependents finds, breadth first, the containers to restart after parent:
// those sharing its network namespace, and the compose services that opted
// in (depends_on with restart: true, or docker-heal.restart-with). Containers
// in taken are left out; those found are added to it.
func dependents(parent Container, all []Container, pol Policy, taken map[string]bool) []Dependent {
	var out []Dependent
	queue := []Container{parent}
	for len(queue) > 0 {
		up := queue[0]
		queue = queue[1:]
		var level []Dependent
		for _, d := range all {
			if d.ID == parent.ID || d.ID == up.ID || taken[d.ID] || alreadyIn(out, d.ID) || alreadyIn(level, d.ID) {
				continue
			}
			reason := dependsReason(d, up, pol)
			if reason == "" || exclusion(d) != "" {
				continue
			}
			if v, ok := d.Labels[LabelEnable]; ok {
				if b, valid := ParseBool(v); valid && !b {
					continue
				}
			}
			level = append(level, Dependent{Container: d, Reason: reason, StopTimeout: pol.PolicyFor(d).StopTimeout})
		}
		for _, l := range level {
			taken[l.Container.ID] = true
		}
		out = append(out, level...)
		for _, l := range level {
			queue = append(queue, l.Container)
		}
	}
	return out
}

func alreadyIn(ds []Dependent, id string) bool {
	for _, d := range ds {
		if d.Container.ID == id {
			return true
		}
	}
	return false
}

// dependsReason says why d must restart after up, or "".
func dependsReason(d, up Container, pol Policy) string {
	if mode, ok := strings.CutPrefix(d.NetworkMode, "container:"); ok && mode != "" {
		if mode == up.ID || mode == up.Name || (len(mode) >= 12 && strings.HasPrefix(up.ID, mode)) {
			return "shares network namespace of " + up.Name
		}
	}
	if d.Project != up.Project {
		return ""
	}
	if up.Service != "" && d.Service != up.Service {
		if restart, ok := dependsOn(d.Labels[LabelComposeDependsOn])[up.Service]; ok && restart {
			return "depends on " + up.Service + " (compose depends_on restart: true)"
		}
	}
	for _, w := range pol.PolicyFor(d).RestartWith {
		if (up.Service != "" && w == up.Service && d.Service != up.Service) || w == up.Name {
			return "restart-with " + w
		}
	}
	return ""
}
