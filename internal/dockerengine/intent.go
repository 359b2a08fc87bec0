package dockerengine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/heal"
)

var _ heal.Engine = (*Engine)(nil)

// restartSettle bounds how long a watch waits, after a restart call
// returned, for the engine's "restart" event: every event of that restart
// was published before it.
const restartSettle = 2 * time.Second

// WatchStops follows the engine's stop events of one container from now on,
// so that a restart can tell whether someone else (an operator's `docker
// stop`) stopped the container while it was in flight. The engine's own
// restart stops a running container once; a second stop is somebody else's.
// done ends the watch and returns the stops seen; after a restart call that
// succeeded, pass restarted so it first waits (briefly) for that restart's
// last event.
func (e *Engine) WatchStops(ctx context.Context, id string) (done func(restarted bool) (stops int), err error) {
	wctx, cancel := context.WithCancel(ctx)
	f := client.Filters{}
	f.Add("type", string(events.ContainerEventType))
	f.Add("container", id)
	f.Add("event", string(events.ActionStop), string(events.ActionRestart))
	// Events returns once the engine has answered the subscription: from
	// here on, nothing is missed. An engine that does not answer must not
	// hold the restart: the wait is bounded like any call.
	subscribed := make(chan client.EventsResult, 1)
	go func() { subscribed <- e.api.Events(wctx, client.EventsListOptions{Filters: f}) }()
	var res client.EventsResult
	select {
	case res = <-subscribed:
	case <-time.After(e.callTimeout()):
		cancel()
		return nil, fmt.Errorf("following the events of container %s on %s: no answer within %s", id, e.Endpoint(), e.callTimeout())
	}
	select {
	case err := <-res.Err:
		cancel()
		if err == nil {
			err = context.Canceled
		}
		return nil, e.wrap(ctx, err, "following the events of container "+id)
	default:
	}
	var (
		mu        sync.Mutex
		stops     int
		restarted = make(chan struct{}, 1)
		finished  = make(chan struct{})
	)
	go func() {
		defer close(finished)
		for {
			select {
			case m := <-res.Messages:
				switch m.Action {
				case events.ActionStop:
					mu.Lock()
					stops++
					mu.Unlock()
				case events.ActionRestart:
					select {
					case restarted <- struct{}{}:
					default:
					}
				}
			case <-res.Err:
				return
			case <-wctx.Done():
				return
			}
		}
	}()
	return func(waitRestart bool) int {
		if waitRestart {
			select {
			case <-restarted:
			case <-finished:
			case <-time.After(restartSettle):
			}
		}
		cancel()
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return stops
	}, nil
}
