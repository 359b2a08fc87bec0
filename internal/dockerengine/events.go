package dockerengine

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/heal"
)

// watchedActions are the container events watch follows. health_status is
// matched by prefix by the engine ("health_status: unhealthy"), since API 1.25.
var watchedActions = []string{"health_status", "start", "die", "oom", "destroy", "pause", "unpause"}

// Backoff between reconnects when none is given: 250ms doubling to 10s.
const (
	DefaultReconnectMin = 250 * time.Millisecond
	DefaultReconnectMax = 10 * time.Second
)

// FollowOptions tunes Follow (heal's type: the watcher in heal/watch fills it).
type FollowOptions = heal.FollowOptions

// Follow streams container events into out until ctx ends, reconnecting with
// backoff when the stream breaks or the engine is away. Every change of the
// connection is sent too, as a StreamConnected or StreamDisconnected event:
// the caller resyncs on each StreamConnected (events may have been missed).
// It closes out when it returns.
func (e *Engine) Follow(ctx context.Context, opts FollowOptions, out chan<- heal.EngineEvent) {
	defer close(out)
	minWait, maxWait := opts.ReconnectMin, opts.ReconnectMax
	if minWait <= 0 {
		minWait = DefaultReconnectMin
	}
	if maxWait < minWait {
		maxWait = max(DefaultReconnectMax, minWait)
	}
	wait := minWait
	send := func(ev heal.EngineEvent) bool {
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	connected := false
	for ctx.Err() == nil {
		gotEvents, err := e.followOnce(ctx, opts.Filters, func() bool {
			connected = true
			return send(heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
		}, send)
		if ctx.Err() != nil {
			return
		}
		if gotEvents {
			wait = minWait // it worked for a while: start the backoff afresh
		}
		if connected {
			connected = false
			if !send(heal.EngineEvent{Kind: heal.StreamDisconnected, Time: time.Now(), Err: err}) {
				return
			}
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		wait = min(wait*2, maxWait)
	}
}

// followOnce pings the engine (negotiating the API version), subscribes, and
// forwards events until the stream ends. onConnect runs once the
// subscription is made; it and send return false when ctx ended.
func (e *Engine) followOnce(ctx context.Context, filters map[string][]string, onConnect func() bool, send func(heal.EngineEvent) bool) (gotEvents bool, err error) {
	pctx, cancel := context.WithTimeout(ctx, e.callTimeout())
	_, err = e.api.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true})
	cancel()
	if err != nil {
		return false, e.wrap(ctx, err, "pinging the engine")
	}
	f := client.Filters{}
	for term, values := range filters {
		f.Add(term, values...)
	}
	f.Add("type", string(events.ContainerEventType))
	f.Add("event", watchedActions...)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	res := e.api.Events(sctx, client.EventsListOptions{Filters: f})
	// The client reports a failed request on Err; give it a moment so a
	// refused subscription is not announced as a connection.
	select {
	case err := <-res.Err:
		return false, e.streamErr(ctx, err)
	case <-time.After(50 * time.Millisecond):
	case <-ctx.Done():
		return false, ctx.Err()
	}
	if !onConnect() {
		return false, ctx.Err()
	}
	for {
		select {
		case m := <-res.Messages:
			ev, ok := fromMessage(m)
			if !ok {
				continue
			}
			gotEvents = true
			if !send(ev) {
				return gotEvents, ctx.Err()
			}
		case err := <-res.Err:
			return gotEvents, e.streamErr(ctx, err)
		case <-ctx.Done():
			return gotEvents, ctx.Err()
		}
	}
}

// streamErr says why a stream ended; EOF is the engine closing it (stopping).
func (e *Engine) streamErr(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the engine closed the event stream")
	}
	return e.wrap(ctx, err, "following events")
}

// fromMessage turns an engine event into ours; ok is false for what watch
// does not follow (other types, exec_* and free-form health output).
func fromMessage(m events.Message) (heal.EngineEvent, bool) {
	if m.Type != events.ContainerEventType || m.Actor.ID == "" {
		return heal.EngineEvent{}, false
	}
	action := string(m.Action)
	ev := heal.EngineEvent{
		ID:   m.Actor.ID,
		Name: m.Actor.Attributes["name"],
		Time: eventTime(m),
	}
	if rest, ok := strings.CutPrefix(action, string(events.ActionHealthStatus)); ok {
		health := strings.TrimSpace(strings.TrimPrefix(rest, ":"))
		switch health {
		case heal.HealthHealthy, heal.HealthUnhealthy, heal.HealthStarting:
		default:
			return heal.EngineEvent{}, false
		}
		ev.Kind, ev.Health = heal.EventHealthStatus, health
		return ev, true
	}
	switch events.Action(action) {
	case events.ActionStart:
		ev.Kind = heal.EventStart
	case events.ActionDie:
		ev.Kind = heal.EventDie
		if code, err := strconv.Atoi(m.Actor.Attributes["exitCode"]); err == nil {
			ev.ExitCode = code
		}
	case events.ActionOOM:
		ev.Kind = heal.EventOOM
	case events.ActionDestroy:
		ev.Kind = heal.EventDestroy
	case events.ActionPause:
		ev.Kind = heal.EventPause
	case events.ActionUnPause:
		ev.Kind = heal.EventUnpause
	default:
		return heal.EngineEvent{}, false
	}
	return ev, true
}

func eventTime(m events.Message) time.Time {
	switch {
	case m.TimeNano != 0:
		return time.Unix(0, m.TimeNano)
	case m.Time != 0:
		return time.Unix(m.Time, 0)
	}
	return time.Now()
}
