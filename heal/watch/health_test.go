package watch

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

func TestHealthUnhealthyAfterAMinuteDisconnected(t *testing.T) {
	h := NewHealth(t0, 24*time.Hour)
	h.setStream(true, nil, t0)
	if _, ok := h.Report(t0.Add(time.Hour)); !ok {
		t.Error("connected: unhealthy")
	}
	h.setStream(false, errors.New("the engine closed the event stream"), t0.Add(time.Hour))
	if r, ok := h.Report(t0.Add(time.Hour + 30*time.Second)); !ok || r.Events != "disconnected" {
		t.Errorf("30s down: %+v ok=%v, want ok and disconnected", r, ok)
	}
	if r, ok := h.Report(t0.Add(time.Hour + 61*time.Second)); ok || r.Status != "unhealthy" || r.Error == "" || !strings.Contains(r.Reason, "event stream") {
		t.Errorf("61s down: %+v ok=%v, want unhealthy with the reason", r, ok)
	}
}

// issue 18: /healthz said ok for 75s while dockerd was stopped with SIGSTOP
// and every round failed. Health follows the last successful round.
func TestHealthUnhealthyWhenNoRoundSucceeds(t *testing.T) {
	h := NewHealth(t0, 3*time.Minute)
	h.setStream(true, nil, t0)
	h.roundDone(t0.Add(time.Second), nil)
	if r, ok := h.Report(t0.Add(2 * time.Minute)); !ok || r.LastSuccess.IsZero() {
		t.Errorf("a round succeeded 2m ago: %+v ok=%v", r, ok)
	}
	for i := 1; i <= 4; i++ {
		h.roundDone(t0.Add(time.Duration(i)*time.Minute), errors.New("listing containers: context deadline exceeded"))
	}
	r, ok := h.Report(t0.Add(4 * time.Minute))
	if ok || r.Status != "unhealthy" || !strings.Contains(r.Reason, "no round has succeeded") || r.RoundErr == "" {
		t.Errorf("rounds failing for 4m, stream connected: %+v ok=%v, want unhealthy naming why", r, ok)
	}
	h.roundDone(t0.Add(5*time.Minute), nil)
	if r, ok := h.Report(t0.Add(5 * time.Minute)); !ok {
		t.Errorf("a round succeeded again: %+v", r)
	}
}

// The same with a Watcher over an engine that hangs: the stream looks
// connected, the first round never returns.
func TestHealthOfAWatcherOverAHangingEngine(t *testing.T) {
	quick := func(c *Config) { c.Resync, c.RoundTimeout = 20*time.Millisecond, 20*time.Millisecond }

	e := newFake(sick("web"))
	ok := start(t, e, heal.DefaultPolicy(), quick)
	ok.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	eventually(t, "a few resyncs", func() bool { return e.count("list") >= 10 })
	if r, healthy := ok.w.Health().Report(time.Now()); !healthy {
		t.Errorf("rounds succeed every resync: %+v", r)
	}

	hung := newFake(sick("web"))
	hung.hang = true
	r := start(t, hung, heal.DefaultPolicy(), quick)
	r.send(t, heal.EngineEvent{Kind: heal.StreamConnected, Time: time.Now()})
	eventually(t, "the first round's list", func() bool { return hung.count("list") >= 1 })
	eventually(t, "unhealthy", func() bool { _, healthy := r.w.Health().Report(time.Now()); return !healthy })
	rep, _ := r.w.Health().Report(time.Now())
	if rep.Events != "connected" || !strings.Contains(rep.Reason, "no round has succeeded") {
		t.Errorf("report %+v", rep)
	}
}
