package store

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

// stillEngine is a heal.Engine whose containers never change; restarts succeed.
type stillEngine struct{ cs []heal.Container }

func (e stillEngine) List(_ context.Context, opts heal.ListOptions) ([]heal.Container, error) {
	var out []heal.Container
	for _, c := range e.cs {
		if h := opts.Filters["health"]; len(h) > 0 && c.Health != h[0] {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

func (e stillEngine) Inspect(_ context.Context, id string) (heal.Container, error) {
	for _, c := range e.cs {
		if c.ID == id {
			return c, nil
		}
	}
	return heal.Container{}, heal.ErrNotFound
}

func (stillEngine) Restart(context.Context, string, time.Duration) error { return nil }
func (stillEngine) Stop(context.Context, string, time.Duration) error    { return nil }

// hook is a webhook that answers each post with the next status of its
// script (the last one repeats) and keeps every body it got.
type hook struct {
	mu       sync.Mutex
	statuses []int
	bodies   []string
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	status := h.statuses[min(len(h.bodies), len(h.statuses)-1)]
	h.bodies = append(h.bodies, string(body))
	h.mu.Unlock()
	w.WriteHeader(status)
}

func (h *hook) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

// Through the real writers: a webhook answering 500 then 200 gets the same
// event again on round 2; one answering 200 gets each event exactly once.
func TestRoundWebhookDelivery(t *testing.T) {
	flaky, steady := &hook{statuses: []int{500, 200}}, &hook{statuses: []int{200}}
	flakySrv, steadySrv := httptest.NewServer(flaky), httptest.NewServer(steady)
	defer flakySrv.Close()
	defer steadySrv.Close()

	note := sick("noteme")
	note.Labels[heal.LabelAction] = string(heal.ActionNotify)
	dir := t.TempDir()
	now := t0
	r := &heal.Runner{
		Engine: stillEngine{cs: []heal.Container{note}}, Store: &File{Path: filepath.Join(dir, "state.json")},
		Notifier: &Notifier{URLs: []string{flakySrv.URL + "/hook?token=secret", steadySrv.URL}},
		Audit:    AuditLog{Path: filepath.Join(dir, "audit.jsonl")}, Metrics: MetricsFile{Path: filepath.Join(dir, "heal.prom")},
		Clock: heal.ClockFunc(func() time.Time { return now }), Policy: heal.DefaultPolicy(), Host: "host1",
	}
	for round := 1; round <= 3; round++ {
		if _, err := r.RunRound(context.Background(), heal.RoundOptions{}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
	}
	f, s := flaky.got(), steady.got()
	if len(f) != 2 || f[0] != f[1] {
		t.Fatalf("flaky hook got %d posts, want the same event twice:\n%s", len(f), strings.Join(f, "\n"))
	}
	if len(s) != 1 || s[0] != f[0] {
		t.Fatalf("steady hook got %d posts, want the event once:\n%s", len(s), strings.Join(s, "\n"))
	}
	var ev heal.Event
	if err := json.Unmarshal([]byte(s[0]), &ev); err != nil || ev.Event != heal.EventUnhealthy || ev.Container != "noteme" {
		t.Errorf("event %+v (%v)", ev, err)
	}

	st, err := ReadState(filepath.Join(dir, "state.json"))
	if err != nil || len(st.Outbox) != 0 || st.NotificationsTotal[heal.ResultSuccess] != 2 || st.NotificationsTotal[heal.ResultFailure] != 1 {
		t.Errorf("state: outbox %+v totals %v (%v)", st.Outbox, st.NotificationsTotal, err)
	}
	audit := readFile(t, filepath.Join(dir, "audit.jsonl"))
	if !strings.Contains(audit, `"decision":"deliver"`) || !strings.Contains(audit, "HTTP 500") || strings.Contains(audit, "secret") {
		t.Errorf("audit log:\n%s", audit)
	}
	metrics := readFile(t, filepath.Join(dir, "heal.prom"))
	for _, want := range []string{`docker_heal_notifications_total{result="failure"} 1`, `docker_heal_notifications_total{result="success"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, metrics)
		}
	}
}

func (stillEngine) WatchStops(context.Context, string) (func(bool) int, error) {
	return nil, heal.ErrStopsUnwatched
}

func (stillEngine) OOMKills(context.Context, time.Time) (map[string][]time.Time, error) {
	return nil, nil
}
