package heal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/docker-heal/docker-heal/internal/bounded"
)

// Executor carries out a plan over an Engine.
type Executor struct {
	Engine Engine
	Policy Policy
	Log    *slog.Logger
	// Journal, when set, records every attempt before its engine call
	// (write-ahead), so the budget counts it even if the process dies
	// during the call.
	Journal Journal
	// Deadline, when set, ends the round: no call starts after it, and the
	// calls still in flight are abandoned with their outcome pending.
	Deadline time.Time
}

// Journal is written ahead of every restart and stop.
type Journal interface {
	// Begin records an attempt on c before the engine is asked. An error
	// means it could not be recorded: the attempt is then not made.
	Begin(c Container, action Action, cause string) error
}

// ErrRoundTimeout ends a round that ran out of time (--round-timeout).
var ErrRoundTimeout = errors.New("the round ran out of time (--round-timeout)")

// Execute runs the plan's restarts and stops, at most Policy.Concurrency at
// once, each parent followed by its dependents in order, and writes each
// outcome into the plan. Notify steps are the Runner's: their outcome is
// their delivery.
//
// When ctx ends (a signal), no new work starts, but the engine calls in
// flight finish within their own bound: their outcome is recorded, not
// lost. When the Deadline passes, calls in flight are abandoned and their
// outcome is pending.
func (x *Executor) Execute(ctx context.Context, plan *Plan) {
	log := x.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dispatch, calls := ctx, context.WithoutCancel(ctx)
	if !x.Deadline.IsZero() {
		var stopDispatch, stopCalls context.CancelFunc
		dispatch, stopDispatch = context.WithDeadlineCause(dispatch, x.Deadline, ErrRoundTimeout)
		calls, stopCalls = context.WithDeadlineCause(calls, x.Deadline, ErrRoundTimeout)
		defer stopDispatch()
		defer stopCalls()
	}
	var work []int
	for i, s := range plan.Steps {
		switch s.Kind {
		case StepRestart, StepStop:
			work = append(work, i)
		}
	}
	_ = bounded.Each(dispatch, x.Policy.Concurrency, len(work), func(_ context.Context, n int) error {
		x.act(dispatch, calls, &plan.Steps[work[n]], log)
		return nil
	})
	for _, i := range work {
		if s := &plan.Steps[i]; s.Result == "" {
			s.Result, s.Error, s.notAttempted = ResultFailure, "not attempted: "+endCause(dispatch), true
		}
	}
}

// endCause says why ctx ended, in words.
func endCause(ctx context.Context) string {
	if err := context.Cause(ctx); err != nil {
		return err.Error()
	}
	return "the round ended"
}

// act carries out one restart or stop step, then the dependents of a
// restart. A dependent is new work: none starts once dispatch has ended.
func (x *Executor) act(dispatch, calls context.Context, s *Step, log *slog.Logger) {
	if s.Kind == StepStop {
		o := x.stop(calls, s.Container, s.StopTimeout, log)
		s.Result, s.Error, s.Note = o.result, o.errText, o.note
		return
	}
	o := x.restart(calls, s.Container, s.StopTimeout, "", false, log)
	s.Result, s.Error, s.Note = o.result, o.errText, o.note
	for i := range s.Dependents {
		d := &s.Dependents[i]
		switch {
		case s.Result != ResultSuccess:
			d.Error = fmt.Sprintf("not restarted: restarting %s %s", s.Container.Name, map[string]string{
				ResultFailure: "failed", ResultSkipped: "was skipped", ResultPending: "is pending"}[s.Result])
			continue
		case dispatch.Err() != nil:
			d.Result, d.Error, d.notAttempted = ResultFailure, "not attempted: "+endCause(dispatch), true
			continue
		}
		o := x.restart(calls, d.Container, d.StopTimeout, "dependent of "+s.Container.Name, !d.Container.Inspected, log)
		d.Result, d.Error, d.Note = o.result, o.errText, o.note
		if o.fresh != nil {
			d.Container, d.StopTimeout = *o.fresh, o.timeout
		}
	}
}

// outcome is what became of one engine action.
type outcome struct {
	result, errText, note string
	// fresh is the container as re-read before acting (when it was), and
	// timeout the stop timeout used.
	fresh   *Container
	timeout time.Duration
}

// reread looks at c again right before acting on it: an operator may have
// stopped, paused or removed it since the round observed it, and then it
// is left alone. ok is false with the outcome to report.
func (x *Executor) reread(ctx context.Context, c Container, what string) (fresh Container, o outcome, ok bool) {
	inspectCtx, cancel := context.WithTimeout(ctx, x.inspectTimeout())
	defer cancel()
	fresh, err := x.Engine.Inspect(inspectCtx, c.ID)
	switch {
	case IsNotFound(err):
		return fresh, outcome{result: ResultSkipped, note: "removed since the round observed it: left alone"}, false
	case err != nil:
		return fresh, outcome{result: ResultFailure, errText: fmt.Sprintf("inspecting %s before %s it: %v", c.Name, what, err)}, false
	}
	fresh.Inspected = true
	if fresh.State != "running" {
		return fresh, outcome{result: ResultSkipped, note: stateNote(fresh.State)}, false
	}
	return fresh, outcome{}, true
}

// stateNote says why a container no longer running is left alone.
func stateNote(state string) string {
	switch state {
	case "exited", "created", "dead", "":
		return "stopped since the round observed it (" + state + "): an operator's stop wins, left alone"
	case "removing":
		return "being removed since the round observed it: left alone"
	}
	return state + " since the round observed it: left alone"
}

// restart restarts c and says whether it happened. c is re-read first (and,
// when refresh is set, its stop timeout taken from what is read). The
// attempt is written ahead of the call. A call that errors or times out may
// still have restarted it, so we look again: a newer StartedAt means it did.
// An operator's stop that lands while the restart is in flight is honoured:
// the container is stopped again.
func (x *Executor) restart(ctx context.Context, c Container, timeout time.Duration, cause string, refresh bool, log *slog.Logger) outcome {
	var watchDone func(bool) int
	// Subscribed before the re-read: a stop after it is seen.
	switch done, err := x.Engine.WatchStops(ctx, c.ID); {
	case errors.Is(err, ErrStopsUnwatched):
	case err != nil:
		log.Warn("cannot follow the container's events; an operator's stop during the restart would go unseen", "container", c.Name, "error", err.Error())
	default:
		watchDone = done
		defer func() {
			if watchDone != nil {
				watchDone(false)
			}
		}()
	}
	fresh, o, ok := x.reread(ctx, c, "restarting")
	if !ok {
		if o.result == ResultSkipped {
			log.Info("not restarted", "container", c.Name, "id", short(c.ID), "why", o.note)
		}
		return o
	}
	if refresh {
		timeout = x.Policy.PolicyFor(fresh).StopTimeout
		o.fresh = &fresh
	}
	o.timeout = timeout
	// A start time newer than this one means the engine did restart it.
	before := fresh.StartedAt
	if x.Journal != nil {
		if err := x.Journal.Begin(c, ActionRestart, cause); err != nil {
			o.result, o.errText = ResultFailure, fmt.Sprintf("not restarted: the attempt could not be written to the state file first: %v", err)
			log.Error("restart not attempted", "container", c.Name, "error", o.errText)
			return o
		}
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout+x.margin())
	start := time.Now()
	err := x.Engine.Restart(callCtx, c.ID, timeout)
	timedOut := callCtx.Err() != nil && ctx.Err() == nil
	cancel()
	if err == nil {
		o.result = ResultSuccess
		log.Info("restarted", "container", c.Name, "id", short(c.ID), "took", time.Since(start).Round(time.Millisecond).String())
		if watchDone != nil {
			stops := watchDone(true)
			watchDone = nil
			if stops > 1 {
				x.restop(ctx, c, timeout, &o, log)
			}
		}
		return o
	}
	if IsNotFound(err) {
		o.result, o.note = ResultSkipped, "removed since the round observed it: left alone"
		return o
	}
	if ctx.Err() != nil {
		// The round ran out of time with the call in flight: the engine may
		// still carry it out. The next round reads what happened.
		if x.startedAgain(ctx, c, before) {
			o.result = ResultSuccess
			return o
		}
		o.result, o.note = ResultPending, "still in flight when the round ended ("+endCause(ctx)+"); the next round reads its outcome from the engine"
		log.Warn("restart pending", "container", c.Name, "id", short(c.ID), "why", o.note)
		return o
	}
	// After the round's own end (pending, above): the next round sees a removal.
	if x.removedDuring(ctx, c, err) {
		// `docker rm -f` landed during the restart: the engine refused the
		// start ("marked for removal"), and the container is gone or going.
		o.result, o.note = ResultSkipped, "removed during the restart: left alone"
		log.Info("not restarted", "container", c.Name, "id", short(c.ID), "why", o.note)
		return o
	}
	if timedOut {
		err = fmt.Errorf("no answer within %s (stop timeout %s + margin %s)", timeout+x.margin(), timeout, x.margin())
	}
	if x.startedAgain(ctx, c, before) {
		log.Warn("restart call failed, but the container did restart", "container", c.Name, "error", err.Error())
		o.result = ResultSuccess
		return o
	}
	o.result, o.errText = ResultFailure, fmt.Sprintf("restarting %s: %v", c.Name, err)
	log.Error("restart failed", "container", c.Name, "id", short(c.ID), "error", o.errText)
	return o
}

// restop stops c again: an operator stopped it while our restart was in
// flight, and the restart's start undid that.
func (x *Executor) restop(ctx context.Context, c Container, timeout time.Duration, o *outcome, log *slog.Logger) {
	callCtx, cancel := context.WithTimeout(ctx, timeout+x.margin())
	err := x.Engine.Stop(callCtx, c.ID, timeout)
	cancel()
	if err != nil && !IsRemoved(err) {
		o.result, o.errText = ResultFailure, fmt.Sprintf("an operator stopped %s during the restart, and stopping it again failed: %v", c.Name, err)
		log.Error("operator's stop not restored", "container", c.Name, "error", o.errText)
		return
	}
	o.note = "an operator stopped it during the restart: stopped again"
	log.Warn("operator's stop honoured", "container", c.Name, "id", short(c.ID), "note", o.note)
}

func (x *Executor) stop(ctx context.Context, c Container, timeout time.Duration, log *slog.Logger) outcome {
	_, o, ok := x.reread(ctx, c, "stopping")
	if !ok {
		if o.result == ResultSkipped {
			o.note = strings.Replace(o.note, "left alone", "nothing to stop", 1)
		}
		return o
	}
	if x.Journal != nil {
		if err := x.Journal.Begin(c, ActionStop, ""); err != nil {
			o.result, o.errText = ResultFailure, fmt.Sprintf("not stopped: the attempt could not be written to the state file first: %v", err)
			return o
		}
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout+x.margin())
	err := x.Engine.Stop(callCtx, c.ID, timeout)
	cancel()
	if err == nil {
		log.Info("stopped", "container", c.Name, "id", short(c.ID))
		o.result = ResultSuccess
		return o
	}
	inspectCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.inspectTimeout())
	after, ierr := x.Engine.Inspect(inspectCtx, c.ID)
	cancel()
	if (ierr == nil && after.State != "running" && after.State != "restarting") || IsRemoved(ierr) || IsRemoved(err) {
		o.result = ResultSuccess
		return o
	}
	if ctx.Err() != nil {
		o.result, o.note = ResultPending, "still in flight when the round ended ("+endCause(ctx)+"); the next round reads its outcome from the engine"
		return o
	}
	o.result, o.errText = ResultFailure, fmt.Sprintf("stopping %s: %v", c.Name, err)
	log.Error("stop failed", "container", c.Name, "id", short(c.ID), "error", o.errText)
	return o
}

func (x *Executor) inspectTimeout() time.Duration { return 15 * time.Second }

// removedDuring says whether c was removed (or is being removed) while a call
// on it failed with err: the engine said so, or a look at it finds it gone,
// being removed, or dead (what a removal that failed half-way leaves).
func (x *Executor) removedDuring(ctx context.Context, c Container, err error) bool {
	if IsRemoved(err) {
		return true
	}
	inspectCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.inspectTimeout())
	defer cancel()
	now, ierr := x.Engine.Inspect(inspectCtx, c.ID)
	if ierr != nil {
		return IsRemoved(ierr)
	}
	return now.State == "removing" || now.State == "dead"
}

// startedAgain inspects c after a failed restart call: running with a start
// time newer than before means the engine did restart it.
func (x *Executor) startedAgain(ctx context.Context, c Container, before time.Time) bool {
	inspectCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.inspectTimeout())
	defer cancel()
	after, err := x.Engine.Inspect(inspectCtx, c.ID)
	return err == nil && after.State == "running" && !before.IsZero() && after.StartedAt.After(before)
}

func (x *Executor) margin() time.Duration { return x.Policy.WithDefaults().RestartMargin }

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Failed reports whether a restart or stop failed, or a circuit opened in
// this round: the run then exits 1. A circuit already open is reported every
// round but exits 0, so a timer unit does not stay failed for an hour over
// one notification that was already sent.
func (p Plan) Failed() bool {
	for _, s := range p.Steps {
		if s.Result == ResultFailure || s.Kind == StepOpenCircuit {
			return true
		}
		for _, d := range s.Dependents {
			if d.Result == ResultFailure {
				return true
			}
		}
	}
	return false
}
