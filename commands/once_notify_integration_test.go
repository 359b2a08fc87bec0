//go:build integration

package commands

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// scriptedHook answers posts with the next status of its script (the last
// repeats) and keeps the events it got.
type scriptedHook struct {
	mu       sync.Mutex
	statuses []int
	events   []heal.Event
	bodies   []string
}

func (h *scriptedHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev heal.Event
	_ = json.Unmarshal(body, &ev)
	h.mu.Lock()
	status := h.statuses[min(len(h.bodies), len(h.statuses)-1)]
	h.bodies, h.events = append(h.bodies, string(body)), append(h.events, ev)
	h.mu.Unlock()
	w.WriteHeader(status)
}

func (h *scriptedHook) got() ([]heal.Event, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]heal.Event(nil), h.events...), append([]string(nil), h.bodies...)
}

// On the real engine: a webhook answering 500 then 200 gets the same event
// again on the second run; one answering 200 gets each event exactly once.
// The webhooks listen on this host's loopback, never a container's address.
func TestOnceRealWebhookDelivery(t *testing.T) {
	engine := realEngine(t)
	// Named so that the notify step comes first in the plan, so its event is
	// the one the flaky hook answers 500.
	run := enginetest.RunID()
	noted := enginetest.RunContainer(t, enginetest.Options{Name: "dh-test-" + run + "-a-noted",
		Labels: map[string]string{heal.LabelEnable: "true", heal.LabelAction: "notify"}})
	restarted := enginetest.RunContainer(t, enginetest.Options{Name: "dh-test-" + run + "-b-restarted", Labels: enabled})
	makeSick(t, noted.ID, restarted.ID)

	flaky, steady := &scriptedHook{statuses: []int{500, 200}}, &scriptedHook{statuses: []int{200}}
	flakySrv, steadySrv := httptest.NewServer(flaky), httptest.NewServer(steady)
	defer flakySrv.Close()
	defer steadySrv.Close()
	opts := realOpts(t)
	opts.webhooks = []string{flakySrv.URL + "/hook", steadySrv.URL}
	opts.webhookTimeout = 10 * time.Second

	out, exit := runReal(t, engine, opts)
	if exit != ExitFindings || !strings.Contains(out, "notification not delivered") {
		t.Errorf("run 1: exit %d, want 1 (the notification failed)", exit)
	}
	flakyEvents, flakyBodies := flaky.got()
	if len(flakyBodies) != 2 || flakyEvents[0].Event != heal.EventUnhealthy {
		t.Fatalf("run 1: flaky hook got %d posts, want 2 (unhealthy answered 500, restarted):\n%s", len(flakyBodies), strings.Join(flakyBodies, "\n"))
	}
	enginetest.WaitHealth(t, restarted.ID, "healthy", 30*time.Second)

	out, exit = runReal(t, engine, opts)
	if exit != ExitOK || !strings.Contains(out, "delivery pending") {
		t.Errorf("run 2: exit %d, want 0 with the notify step pending", exit)
	}
	flakyEvents, flakyBodies = flaky.got()
	steadyEvents, steadyBodies := steady.got()
	// Run 1 got 500 for its first post only; run 2 re-sends that one event,
	// identical, and the recovery of the restarted container.
	first := flakyBodies[0]
	resent := 0
	for _, b := range flakyBodies[2:] {
		if b == first {
			resent++
		}
	}
	if resent != 1 {
		t.Errorf("flaky hook: the event answered 500 was re-sent %d times on run 2, want 1:\n%s", resent, strings.Join(flakyBodies, "\n"))
	}
	seen := map[string]int{}
	for _, b := range steadyBodies {
		seen[b]++
	}
	for b, n := range seen {
		if n != 1 {
			t.Errorf("steady hook got an event %d times: %s", n, b)
		}
	}
	kinds := func(evs []heal.Event) map[string]bool {
		m := map[string]bool{}
		for _, ev := range evs {
			m[ev.Event+" "+ev.Container] = true
		}
		return m
	}
	for _, want := range []string{heal.EventUnhealthy + " " + noted.Name, heal.EventRestarted + " " + restarted.Name, heal.EventRecovered + " " + restarted.Name} {
		if !kinds(steadyEvents)[want] || !kinds(flakyEvents)[want] {
			t.Errorf("%q not delivered to both hooks: steady %v flaky %v", want, kinds(steadyEvents), kinds(flakyEvents))
		}
	}
	if len(steadyBodies) != 3 {
		t.Errorf("steady hook got %d posts, want 3:\n%s", len(steadyBodies), strings.Join(steadyBodies, "\n"))
	}
}
