package watch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

// stopwatch is the engine with a stopwatch: a restart or stop of a
// container whose unhealthy event was seen records the time from that
// event to the call. It embeds heal.Engine, so every capability of the
// engine (WatchStops among them) is forwarded; it overrides only the two
// calls it times.
type stopwatch struct {
	heal.Engine
	observe func(time.Duration)
	log     *slog.Logger
	mu      sync.Mutex
	pending map[string]seen
}

// seen is an unhealthy event: when, and the container's name to log.
type seen struct {
	at   time.Time
	name string
}

func (r *stopwatch) sawUnhealthy(id, name string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.pending[id]; !ok {
		r.pending[id] = seen{at: at, name: name}
	}
}

func (r *stopwatch) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pending, id)
}

// forgetUnlisted drops the unhealthy events, seen before a full round's
// list, of containers that list no longer holds.
func (r *stopwatch) forgetUnlisted(listed map[string]bool, before time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, s := range r.pending {
		if !listed[id] && s.at.Before(before) {
			delete(r.pending, id)
		}
	}
}

func (r *stopwatch) took(id string) (seen, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.pending[id]
	if ok {
		delete(r.pending, id)
	}
	return s, ok
}

func (r *stopwatch) timed(id, what string) {
	s, ok := r.took(id)
	if !ok {
		return
	}
	d := time.Since(s.at)
	if r.observe != nil {
		r.observe(d)
	}
	r.log.Info(what+" issued", "container", s.name, "id", shortID(id), "reaction", d.Round(time.Millisecond).String())
}

func (r *stopwatch) Restart(ctx context.Context, id string, timeout time.Duration) error {
	r.timed(id, "restart")
	return r.Engine.Restart(ctx, id, timeout)
}

func (r *stopwatch) Stop(ctx context.Context, id string, timeout time.Duration) error {
	r.timed(id, "stop")
	return r.Engine.Stop(ctx, id, timeout)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
