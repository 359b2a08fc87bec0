package heal

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/docker-heal/docker-heal/internal/bounded"
)

// Executor carries out a plan over an Engine.
type Executor struct {
	Engine Engine
	Policy Policy
	Log    *slog.Logger
}

// Execute runs the plan's restarts and stops, at most Policy.Concurrency at
// once, each parent followed by its dependents in order, and writes each
// outcome into the plan. Notify steps are the Runner's: their outcome is
// their delivery.
func (x *Executor) Execute(ctx context.Context, plan *Plan) {
	log := x.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var work []int
	for i, s := range plan.Steps {
		switch s.Kind {
		case StepRestart, StepStop:
			work = append(work, i)
		}
	}
	_ = bounded.Each(ctx, x.Policy.Concurrency, len(work), func(ctx context.Context, n int) error {
		x.act(ctx, &plan.Steps[work[n]], log)
		return nil
	})
	for _, i := range work {
		if s := &plan.Steps[i]; s.Result == "" {
			s.Result, s.Error = ResultFailure, "not attempted: "+context.Cause(ctx).Error()
		}
	}
}

// act carries out one restart or stop step, then the dependents of a
// restart, each engine call under ctx.
func (x *Executor) act(ctx context.Context, s *Step, log *slog.Logger) {
	if s.Kind == StepStop {
		s.Result, s.Error = x.stop(ctx, s.Container, s.StopTimeout, log)
		return
	}
	s.Result, s.Error = x.restart(ctx, s.Container, s.StopTimeout, log)
	for i := range s.Dependents {
		d := &s.Dependents[i]
		if s.Result != ResultSuccess {
			d.Error = fmt.Sprintf("not restarted: restarting %s failed", s.Container.Name)
			continue
		}
		c, timeout := d.Container, d.StopTimeout
		if !c.Inspected {
			// Listed, not inspected: fetch its own stop timeout and start time.
			fresh, err := x.Engine.Inspect(ctx, c.ID)
			if err != nil {
				d.Result, d.Error = ResultFailure, fmt.Sprintf("inspecting %s before restarting it: %v", c.Name, err)
				log.Warn("dependent not restarted", "container", c.Name, "parent", s.Container.Name, "error", d.Error)
				continue
			}
			fresh.Inspected = true
			c, timeout = fresh, x.Policy.PolicyFor(fresh).StopTimeout
			d.Container, d.StopTimeout = c, timeout
		}
		d.Result, d.Error = x.restart(ctx, c, timeout, log)
	}
}

// restart restarts c and says whether it happened. A call that errors or
// times out may still have restarted it, so we look again: a newer StartedAt
// means it did.
func (x *Executor) restart(ctx context.Context, c Container, timeout time.Duration, log *slog.Logger) (result, errText string) {
	callCtx, cancel := context.WithTimeout(ctx, timeout+x.margin())
	start := time.Now()
	err := x.Engine.Restart(callCtx, c.ID, timeout)
	timedOut := callCtx.Err() != nil && ctx.Err() == nil
	cancel()
	if err == nil {
		log.Info("restarted", "container", c.Name, "id", short(c.ID), "took", time.Since(start).Round(time.Millisecond).String())
		return ResultSuccess, ""
	}
	if timedOut {
		err = fmt.Errorf("no answer within %s (stop timeout %s + margin %s)", timeout+x.margin(), timeout, x.margin())
	}
	if x.startedAgain(ctx, c) {
		log.Warn("restart call failed, but the container did restart", "container", c.Name, "error", err.Error())
		return ResultSuccess, ""
	}
	msg := fmt.Sprintf("restarting %s: %v", c.Name, err)
	log.Error("restart failed", "container", c.Name, "id", short(c.ID), "error", msg)
	return ResultFailure, msg
}

func (x *Executor) stop(ctx context.Context, c Container, timeout time.Duration, log *slog.Logger) (result, errText string) {
	callCtx, cancel := context.WithTimeout(ctx, timeout+x.margin())
	err := x.Engine.Stop(callCtx, c.ID, timeout)
	cancel()
	if err == nil {
		log.Info("stopped", "container", c.Name, "id", short(c.ID))
		return ResultSuccess, ""
	}
	inspectCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	after, ierr := x.Engine.Inspect(inspectCtx, c.ID)
	cancel()
	if ierr == nil && after.State != "running" && after.State != "restarting" {
		return ResultSuccess, ""
	}
	msg := fmt.Sprintf("stopping %s: %v", c.Name, err)
	log.Error("stop failed", "container", c.Name, "id", short(c.ID), "error", msg)
	return ResultFailure, msg
}

// startedAgain inspects c after a failed restart call.
func (x *Executor) startedAgain(ctx context.Context, c Container) bool {
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	inspectCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	after, err := x.Engine.Inspect(inspectCtx, c.ID)
	return err == nil && after.State == "running" && !c.StartedAt.IsZero() && after.StartedAt.After(c.StartedAt)
}

func (x *Executor) margin() time.Duration {
	if x.Policy.RestartMargin > 0 {
		return x.Policy.RestartMargin
	}
	return 30 * time.Second
}

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
