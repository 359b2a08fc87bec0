package dockerengine

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
)

// OOMKills replays the engine's recent oom events (it keeps its last few
// hundred events; `docker events --since --until`) and returns their times
// by container id, oldest first. Engine 20.10 sets State.OOMKilled only when
// containerd's OOM event reaches it before the exit does
// (libcontainerd/remote/client.go), so a container the OOM killer ended
// often shows exit 137 with OOMKilled false; the oom event is always sent.
func (e *Engine) OOMKills(ctx context.Context, since time.Time) (map[string][]time.Time, error) {
	cctx, cancel := context.WithTimeout(ctx, e.callTimeout())
	defer cancel()
	f := client.Filters{}
	f.Add("type", string(events.ContainerEventType))
	f.Add("event", string(events.ActionOOM))
	now := time.Now()
	res := e.api.Events(cctx, client.EventsListOptions{Filters: f, Since: unixArg(since), Until: unixArg(now)})
	out := map[string][]time.Time{}
	for {
		select {
		case m := <-res.Messages:
			if m.Actor.ID != "" {
				out[m.Actor.ID] = append(out[m.Actor.ID], eventTime(m))
			}
		case err := <-res.Err:
			if err == nil || errors.Is(err, io.EOF) {
				return out, nil // the replay ended at until
			}
			return nil, e.wrap(ctx, err, "reading the engine's oom events")
		case <-cctx.Done():
			return nil, e.wrap(ctx, cctx.Err(), "reading the engine's oom events")
		}
	}
}

// unixArg is a time as the events API takes it: seconds.nanoseconds.
func unixArg(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + "." + strconv.Itoa(t.Nanosecond())
}
