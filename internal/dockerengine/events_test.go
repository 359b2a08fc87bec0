package dockerengine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/heal"
)

func TestFromMessageDieExitCode(t *testing.T) {
	m := events.Message{Type: events.ContainerEventType, Action: events.ActionDie, Time: 1_700_000_000,
		Actor: events.Actor{ID: "abc", Attributes: map[string]string{"name": "loop", "exitCode": "137"}}}
	got, ok := fromMessage(m)
	if !ok || got.Kind != heal.EventDie || got.ExitCode != 137 {
		t.Errorf("die: %+v ok=%v, want exit code 137", got, ok)
	}
}

func TestFromMessage(t *testing.T) {
	msg := func(typ events.Type, action string) events.Message {
		return events.Message{Type: typ, Action: events.Action(action), TimeNano: 1_700_000_000_123_456_789,
			Actor: events.Actor{ID: "abc", Attributes: map[string]string{"name": "web-1", "image": "app"}}}
	}
	for _, tc := range []struct {
		m      events.Message
		want   heal.EngineEventKind
		health string
		ok     bool
	}{
		{msg(events.ContainerEventType, "health_status: unhealthy"), heal.EventHealthStatus, "unhealthy", true},
		{msg(events.ContainerEventType, "health_status: healthy"), heal.EventHealthStatus, "healthy", true},
		{msg(events.ContainerEventType, "health_status:unhealthy"), heal.EventHealthStatus, "unhealthy", true},
		{msg(events.ContainerEventType, "health_status: running"), "", "", false},
		{msg(events.ContainerEventType, "start"), heal.EventStart, "", true},
		{msg(events.ContainerEventType, "die"), heal.EventDie, "", true},
		{msg(events.ContainerEventType, "oom"), heal.EventOOM, "", true},
		{msg(events.ContainerEventType, "destroy"), heal.EventDestroy, "", true},
		{msg(events.ContainerEventType, "pause"), heal.EventPause, "", true},
		{msg(events.ContainerEventType, "unpause"), heal.EventUnpause, "", true},
		{msg(events.ContainerEventType, "exec_start: /app probe"), "", "", false},
		{msg(events.NetworkEventType, "start"), "", "", false},
	} {
		got, ok := fromMessage(tc.m)
		if ok != tc.ok || got.Kind != tc.want || got.Health != tc.health {
			t.Errorf("%s %q: got %+v ok=%v, want kind %q health %q ok=%v", tc.m.Type, tc.m.Action, got, ok, tc.want, tc.health, tc.ok)
			continue
		}
		if ok && (got.ID != "abc" || got.Name != "web-1" || !got.Time.Equal(time.Unix(0, 1_700_000_000_123_456_789))) {
			t.Errorf("%q: %+v", tc.m.Action, got)
		}
	}
}

// eventsDaemon answers /_ping as a 20.10 engine and serves each /events
// request from the next script entry: the events to send, then the stream
// ends (as when the engine stops).
type eventsDaemon struct {
	srv     *httptest.Server
	scripts [][]events.Message
	served  atomic.Int32
	queries chan string
	down    atomic.Bool
}

func newEventsDaemon(t *testing.T, scripts ...[]events.Message) *eventsDaemon {
	d := &eventsDaemon{scripts: scripts, queries: make(chan string, 10)}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.down.Load() {
			http.Error(w, `{"message":"engine is restarting"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Api-Version", "1.41")
		switch {
		case strings.HasSuffix(r.URL.Path, "/_ping"):
			fmt.Fprint(w, "OK")
		case strings.HasSuffix(r.URL.Path, "/events"):
			if !strings.HasPrefix(r.URL.Path, "/v1.41/") {
				http.Error(w, `{"message":"client version is too new"}`, http.StatusBadRequest)
				return
			}
			d.queries <- r.URL.Query().Get("filters")
			n := int(d.served.Add(1)) - 1
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			if n >= len(d.scripts) {
				<-r.Context().Done() // stays open, silent
				return
			}
			enc := json.NewEncoder(w)
			for _, m := range d.scripts[n] {
				_ = enc.Encode(m)
				w.(http.Flusher).Flush()
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *eventsDaemon) engine(t *testing.T) *Engine {
	c, err := client.New(client.WithHost("tcp://"+strings.TrimPrefix(d.srv.URL, "http://")), client.WithHTTPClient(d.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return New(c)
}

func next(t *testing.T, ch <-chan heal.EngineEvent) heal.EngineEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return heal.EngineEvent{}
}

func TestFollowReconnectsAfterTheStreamBreaks(t *testing.T) {
	sick := events.Message{Type: events.ContainerEventType, Action: "health_status: unhealthy", TimeNano: 1,
		Actor: events.Actor{ID: "c1", Attributes: map[string]string{"name": "web"}}}
	started := events.Message{Type: events.ContainerEventType, Action: "start", TimeNano: 2, Actor: events.Actor{ID: "c1"}}
	d := newEventsDaemon(t, []events.Message{sick}, []events.Message{started})
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan heal.EngineEvent)
	done := make(chan struct{})
	go func() {
		d.engine(t).Follow(ctx, FollowOptions{ReconnectMin: time.Millisecond, ReconnectMax: 5 * time.Millisecond,
			Filters: map[string][]string{"label": {"docker-heal.enable=true"}}}, out)
		close(done)
	}()
	want := []struct {
		kind heal.EngineEventKind
		id   string
	}{
		{heal.StreamConnected, ""}, {heal.EventHealthStatus, "c1"}, {heal.StreamDisconnected, ""},
		{heal.StreamConnected, ""}, {heal.EventStart, "c1"}, {heal.StreamDisconnected, ""},
		{heal.StreamConnected, ""},
	}
	for i, w := range want {
		ev := next(t, out)
		if ev.Kind != w.kind || ev.ID != w.id {
			t.Fatalf("event %d: %+v, want %s %q", i, ev, w.kind, w.id)
		}
		if ev.Kind == heal.StreamDisconnected && ev.Err == nil {
			t.Errorf("event %d: disconnected without a reason", i)
		}
	}
	q := <-d.queries
	for _, s := range []string{`"type":{"container":true}`, `"health_status":true`, `"destroy":true`, `"docker-heal.enable=true":true`} {
		if !strings.Contains(q, s) {
			t.Errorf("filters %s lack %s", q, s)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return after cancel")
	}
	if _, ok := <-out; ok {
		t.Error("out not closed")
	}
}

func TestFollowWaitsForAnEngineThatIsAway(t *testing.T) {
	d := newEventsDaemon(t)
	d.down.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan heal.EngineEvent)
	go d.engine(t).Follow(ctx, FollowOptions{ReconnectMin: time.Millisecond, ReconnectMax: 2 * time.Millisecond}, out)
	// While it is away nothing is announced: it never connected.
	select {
	case ev := <-out:
		t.Fatalf("event while the engine is away: %+v", ev)
	case <-time.After(50 * time.Millisecond):
	}
	d.down.Store(false)
	if ev := next(t, out); ev.Kind != heal.StreamConnected {
		t.Fatalf("got %+v, want connected", ev)
	}
}

func TestOOMKillsReplaysOOMEvents(t *testing.T) {
	oom := func(id string, sec int64) events.Message {
		return events.Message{Type: events.ContainerEventType, Action: events.ActionOOM, Time: sec, Actor: events.Actor{ID: id}}
	}
	d := newEventsDaemon(t, []events.Message{oom("a", 100), oom("b", 200), oom("a", 300)})
	e := d.engine(t)
	if _, err := e.api.Ping(context.Background(), client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		t.Fatal(err)
	}
	kills, err := e.OOMKills(context.Background(), time.Unix(50, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(kills["a"]) != 2 || !kills["a"][1].Equal(time.Unix(300, 0)) || len(kills["b"]) != 1 {
		t.Errorf("kills %v", kills)
	}
	if q := <-d.queries; !strings.Contains(q, `"oom":true`) || !strings.Contains(q, `"container":true`) {
		t.Errorf("filters %s, want type=container and event=oom", q)
	}
}
