package heal

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/docker-heal/docker-heal/internal/bounded"
)

// ErrNotFound is what an Engine returns (wrapped) for a container that does
// not exist. Errors with a NotFound() method (containerd errdefs, as the
// moby client returns) count too.
var ErrNotFound = errors.New("no such container")

// ErrRemoving is what an Engine returns (wrapped) when the container is being
// removed: `docker rm -f` landed during our call ("marked for removal",
// "removal ... already in progress"). Like a container not found, it is an
// operator's act, not a failure.
var ErrRemoving = errors.New("container is being removed")

// IsRemoved reports whether err means the container is gone or going:
// not found, or being removed.
func IsRemoved(err error) bool { return IsNotFound(err) || errors.Is(err, ErrRemoving) }

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
	// Exists is, when a scope (--filter) makes Containers incomplete, every
	// container id the engine knows, from an unscoped list of a full round:
	// state entries missing from it can be pruned. Nil otherwise.
	Exists map[string]bool
	// Unhealthy is how many running containers the engine listed as unhealthy.
	Unhealthy int
}

// Observe takes the snapshot Decide needs with few API calls: one list of
// unhealthy containers, one list of every container (for dependents,
// recovery, pruning, and the containers that may crash-loop or have been
// OOM-killed), and an inspect of each selectable container that is
// unhealthy or in trouble (see troubled).
func Observe(ctx context.Context, engine Engine, st *State, pol Policy) (Snapshot, error) {
	return observe(ctx, engine, st, pol, nil, time.Now())
}

// FillOOM marks the inspected containers an oom event since since was
// about (see MarkOOM), when engine keeps an OOMHistory. It asks the engine
// only when one of them may have been OOM-killed without the flag saying so:
// a SIGKILL exit (137), or a restart by the engine.
func FillOOM(ctx context.Context, engine any, cs []Container, since time.Time) error {
	h, ok := engine.(OOMHistory)
	if !ok {
		return nil
	}
	maybe := false
	for _, c := range cs {
		if c.Inspected && !c.OOMKilled && (c.ExitCode == 137 || c.RestartCount > 0) {
			maybe = true
		}
	}
	if !maybe {
		return nil
	}
	kills, err := h.OOMKills(ctx, since)
	if err != nil {
		return err
	}
	for i := range cs {
		if times := kills[cs[i].ID]; len(times) > 0 && cs[i].Inspected {
			MarkOOM(&cs[i], times)
		}
	}
	return nil
}

// troubled reports whether a listed container may be crash-looping or have
// been OOM-killed: what the list tells (state, exit code, the coarse times
// of its status text) is enough to pick the few worth an inspect.
func troubled(c Container, now time.Time, pol Policy) bool {
	switch c.State {
	case "restarting":
		return true // the engine's restart policy is at work
	case "exited", "dead":
		// 137 is SIGKILL, which the OOM killer sends: inspect tells.
		return c.ExitCode == 137 && !c.FinishedAt.IsZero() && now.Sub(c.FinishedAt) < pol.Window
	case "running":
		// Started again a moment ago: by the engine, maybe over and over.
		// The list's "Up 5 minutes" is a lower bound read after now: a
		// second of slack keeps it out of a five-minute window.
		return !c.StartedAt.IsZero() && now.Sub(c.StartedAt) < CrashLoopWindow-time.Second
	}
	return false
}

// observe is Observe; with only set, only those container ids count as
// unhealthy candidates (the others are listed for dependents alone, their
// health unknown) and the snapshot is never complete.
func observe(ctx context.Context, engine Engine, st *State, pol Policy, only map[string]bool, now time.Time) (Snapshot, error) {
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
	listed, err := engine.List(ctx, ListOptions{Filters: scoped(map[string][]string{"health": {HealthUnhealthy}})})
	if err != nil {
		return Snapshot{}, fmt.Errorf("listing unhealthy containers: %w", err)
	}
	var sick []Container
	for _, c := range listed {
		if only == nil || only[c.ID] {
			sick = append(sick, c)
		}
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
		if !sickIDs[c.ID] && (only == nil || only[c.ID]) && pol.Selectable(c) && troubled(c, now, pol) {
			candidates = append(candidates, c.ID)
		}
	}
	snap.Complete = len(pol.Scope) == 0 && only == nil
	if len(pol.Scope) > 0 && only == nil {
		// Without it, entries of removed containers are never pruned. On
		// failure nothing is pruned this round.
		if everything, err := engine.List(ctx, ListOptions{All: true}); err == nil {
			snap.Exists = make(map[string]bool, len(everything))
			for _, c := range everything {
				snap.Exists[c.ID] = true
			}
		}
	}
	for _, c := range sick {
		c.Health = HealthUnhealthy
		byID[c.ID] = c
	}
	inspected := make([]Container, len(candidates))
	errs := make([]error, len(candidates))
	_ = bounded.Each(ctx, pol.Concurrency, len(candidates), func(ctx context.Context, i int) error {
		inspected[i], errs[i] = engine.Inspect(ctx, candidates[i])
		return nil
	})
	for i, id := range candidates {
		switch {
		case errs[i] == nil && inspected[i].ID != "":
			c := inspected[i]
			c.Inspected = true
			if sickIDs[id] && c.Health != HealthUnhealthy {
				// It changed between list and inspect; trust the newer word.
				snap.Unhealthy--
			}
			byID[id] = c
		case IsNotFound(errs[i]):
			delete(byID, id) // gone between list and inspect: nothing to heal
			if sickIDs[id] {
				snap.Unhealthy--
			}
		case ctx.Err() != nil:
			return Snapshot{}, ctx.Err()
		default:
			// Leave it uninspected: Decide does not act on what it cannot see.
			c := byID[id]
			c.Inspected = false
			byID[id] = c
		}
	}
	var inspectedIDs []string
	var ins []Container
	for _, id := range candidates {
		if c, ok := byID[id]; ok && c.Inspected {
			inspectedIDs, ins = append(inspectedIDs, id), append(ins, c)
		}
	}
	if err := FillOOM(ctx, engine, ins, now.Add(-pol.Window)); err == nil {
		for i, id := range inspectedIDs {
			byID[id] = ins[i]
		}
	}
	for _, c := range byID {
		snap.Containers = append(snap.Containers, c)
	}
	sort.Slice(snap.Containers, func(i, j int) bool { return snap.Containers[i].ID < snap.Containers[j].ID })
	return snap, nil
}
