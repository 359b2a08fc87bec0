package heal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is what an Engine returns (wrapped) for a container that does
// not exist. Errors with a NotFound() method (containerd errdefs, as the
// moby client returns) count too.
var ErrNotFound = errors.New("no such container")

// IsNotFound reports whether err means the container does not exist.
func IsNotFound(err error) bool {
	if errors.Is(err, ErrNotFound) {
		return true
	}
	var nf interface{ NotFound() }
	return errors.As(err, &nf)
}

// Snapshot is what Observe saw.
type Snapshot struct {
	Containers []Container
	// Complete is true when Containers holds every container the engine
	// knows (stopped ones included), so state entries missing from it can be
	// pruned.
	Complete bool
	// Unhealthy is how many running containers the engine listed as unhealthy.
	Unhealthy int
}

// Observe takes the snapshot Decide needs with few API calls: one list of
// unhealthy containers; when something is unhealthy and selectable or the
// state remembers containers, one list of every container (for dependents,
// recovery and pruning); and an inspect of each selectable unhealthy one.
func Observe(ctx context.Context, engine Engine, st *State, pol Policy) (Snapshot, error) {
	scoped := func(extra map[string][]string) map[string][]string {
		f := map[string][]string{}
		for k, v := range pol.Scope {
			f[k] = append([]string(nil), v...)
		}
		for k, v := range extra {
			f[k] = append(f[k], v...)
		}
		return f
	}
	sick, err := engine.List(ctx, ListOptions{Filters: scoped(map[string][]string{"health": {HealthUnhealthy}})})
	if err != nil {
		return Snapshot{}, fmt.Errorf("listing unhealthy containers: %w", err)
	}
	snap := Snapshot{Unhealthy: len(sick)}
	var candidates []string
	sickIDs := map[string]bool{}
	for _, c := range sick {
		sickIDs[c.ID] = true
		if pol.Selectable(c) {
			candidates = append(candidates, c.ID)
		}
	}
	byID := map[string]Container{}
	if len(candidates) > 0 || (st != nil && len(st.Containers) > 0) {
		all, err := engine.List(ctx, ListOptions{All: true, Filters: scoped(nil)})
		if err != nil {
			return Snapshot{}, fmt.Errorf("listing containers: %w", err)
		}
		for _, c := range all {
			// The filtered list is the authority on health: old engines (API
			// 1.41) put no health in the list, newer ones may race with it.
			if !sickIDs[c.ID] && c.Health == HealthUnhealthy {
				c.Health = ""
			}
			byID[c.ID] = c
		}
		snap.Complete = len(pol.Scope) == 0
	}
	for _, c := range sick {
		c.Health = HealthUnhealthy
		byID[c.ID] = c
	}
	inspected := make([]Container, len(candidates))
	errs := make([]error, len(candidates))
	parallel(ctx, pol.Concurrency, len(candidates), func(i int) {
		inspected[i], errs[i] = engine.Inspect(ctx, candidates[i])
	})
	for i, id := range candidates {
		switch {
		case errs[i] == nil:
			c := inspected[i]
			c.Inspected = true
			if c.Health != HealthUnhealthy {
				// It changed between list and inspect; trust the newer word.
				snap.Unhealthy--
			}
			byID[id] = c
		case IsNotFound(errs[i]):
			delete(byID, id) // gone between list and inspect: nothing to heal
			snap.Unhealthy--
		case ctx.Err() != nil:
			return Snapshot{}, ctx.Err()
		default:
			// Leave it uninspected: Decide does not act on what it cannot see.
			c := byID[id]
			c.Inspected = false
			byID[id] = c
		}
	}
	for _, c := range byID {
		snap.Containers = append(snap.Containers, c)
	}
	sort.Slice(snap.Containers, func(i, j int) bool { return snap.Containers[i].ID < snap.Containers[j].ID })
	return snap, nil
}

// parallel runs fn(0..n-1) with at most limit at once.
func parallel(ctx context.Context, limit, n int, fn func(i int)) {
	if limit < 1 {
		limit = 1
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}

// Executor carries out a plan over an Engine.
type Executor struct {
	Engine Engine
	Policy Policy
	Log    *slog.Logger
}

// Execute runs the plan's restarts and stops, at most Policy.Concurrency at
// once, each parent followed by its dependents in order, and writes each
// outcome into the plan.
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
		case StepNotify:
			plan.Steps[i].Result = ResultSuccess
		}
	}
	parallel(ctx, x.Policy.Concurrency, len(work), func(n int) {
		s := &plan.Steps[work[n]]
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
	})
	for _, i := range work {
		if s := &plan.Steps[i]; s.Result == "" {
			s.Result, s.Error = ResultFailure, "not attempted: "+context.Cause(ctx).Error()
		}
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

// Apply records what was observed and done into the state: first-seen and
// healthy-since times, attempts, backoff, circuits, notifications, counters.
// Entries of containers no longer present are pruned when the snapshot is
// complete.
func (st *State) Apply(snap Snapshot, plan Plan, pol Policy) {
	now := plan.Now
	stepFor := map[string]*Step{}
	for i := range plan.Steps {
		stepFor[plan.Steps[i].Container.ID] = &plan.Steps[i]
	}
	for _, c := range snap.Containers {
		e := st.Containers[c.ID]
		s := stepFor[c.ID]
		if c.Health == HealthUnhealthy {
			if e == nil && (s == nil || (s.Kind == StepSkip && !s.CircuitOpen)) {
				continue // not ours to track: disabled, excluded, or a bad label
			}
			e = st.entryFor(c)
			if e.FirstSeenUnhealthy.IsZero() {
				e.FirstSeenUnhealthy = now
			}
			e.HealthySince = time.Time{}
			continue
		}
		if e == nil || (c.State != "running" && c.State != "") || c.Health == HealthStarting {
			continue
		}
		e.Name = c.Name
		e.FirstSeenUnhealthy = time.Time{}
		delete(e.Notified, EventUnhealthy)
		if e.HealthySince.IsZero() {
			e.HealthySince = now
		}
	}
	record := func(c Container, action Action, result, errText, cause string) *Entry {
		e := st.entryFor(c)
		e.Restarts = append(e.Restarts, RestartRecord{Time: now, Action: action, Result: result, Error: errText, Cause: cause})
		if e.RestartsTotal == nil {
			e.RestartsTotal = map[string]int64{}
		}
		e.RestartsTotal[result]++
		return e
	}
	for _, s := range plan.Steps {
		switch s.Kind {
		case StepRestart, StepStop:
			if s.Result == "" {
				continue
			}
			action := ActionRestart
			if s.Kind == StepStop {
				action = ActionStop
			}
			e := record(s.Container, action, s.Result, s.Error, "")
			e.BackoffUntil = now.Add(pol.BackoffAfter(e.RestartsIn(pol.Window, now)))
			for _, d := range s.Dependents {
				if d.Result != "" {
					record(d.Container, ActionRestart, d.Result, d.Error, "dependent of "+s.Container.Name)
				}
			}
		case StepNotify:
			e := st.entryFor(s.Container)
			if e.Notified == nil {
				e.Notified = map[string]bool{}
			}
			e.Notified[EventUnhealthy] = true
		case StepOpenCircuit:
			e := st.entryFor(s.Container)
			e.CircuitOpen, e.CircuitOpenedAt = true, now
			if e.Notified == nil {
				e.Notified = map[string]bool{}
			}
			e.Notified[EventCircuitOpened] = true
		case StepCloseCircuit:
			e := st.entryFor(s.Container)
			e.CircuitOpen, e.CircuitOpenedAt, e.BackoffUntil = false, time.Time{}, time.Time{}
			e.Restarts = nil
			delete(e.Notified, EventCircuitOpened)
		}
	}
	if snap.Complete {
		exists := make(map[string]bool, len(snap.Containers))
		for _, c := range snap.Containers {
			exists[c.ID] = true
		}
		st.Prune(exists, pol, now)
	}
}

// Reset clears the circuit, backoff and attempt history of the containers
// named (by name, id or id prefix of at least 4 characters). It returns the
// names it reset and the arguments that matched nothing.
func (st *State) Reset(args []string) (reset, unknown []string) {
	for _, arg := range args {
		arg = strings.TrimPrefix(arg, "/")
		found := false
		for id, e := range st.Containers {
			if e.Name == arg || id == arg || (len(arg) >= 4 && strings.HasPrefix(id, arg)) {
				found = true
				e.CircuitOpen, e.CircuitOpenedAt, e.BackoffUntil = false, time.Time{}, time.Time{}
				e.Restarts = nil
				e.Notified = nil
				reset = append(reset, e.Name)
			}
		}
		if !found {
			unknown = append(unknown, arg)
		}
	}
	sort.Strings(reset)
	return reset, unknown
}
