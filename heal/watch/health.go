package watch

import (
	"fmt"
	"sync"
	"time"
)

// StreamDownLimit is how long the event stream may be down before health
// says unhealthy: an engine restart takes seconds, not a minute.
const StreamDownLimit = time.Minute

// Health is what /healthz reports: healthy while rounds succeed and the
// event stream is up. A watch whose engine hangs (every round failing or
// never returning) is unhealthy once its last successful round is older
// than staleAfter, even if the stream still looks connected, as it does
// when dockerd is stopped with SIGSTOP.
type Health struct {
	mu         sync.Mutex
	connected  bool
	since      time.Time // of the current connected/disconnected state
	lastErr    string
	lastRound  time.Time
	roundErr   string
	lastOK     time.Time // of the last successful round, or the start
	succeeded  bool      // a round has succeeded
	staleAfter time.Duration
}

// NewHealth starts the clock at start: a successful round is due within
// staleAfter of it.
func NewHealth(start time.Time, staleAfter time.Duration) *Health {
	return &Health{since: start, lastOK: start, staleAfter: staleAfter}
}

func (h *Health) setStream(connected bool, err error, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.connected != connected {
		h.since = at
	}
	h.connected = connected
	h.lastErr = errText(err)
}

func (h *Health) roundDone(at time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastRound, h.roundErr = at, errText(err)
	if err == nil {
		h.lastOK, h.succeeded = at, true
	}
}

// Report is /healthz's body.
type Report struct {
	Status      string    `json:"status"` // ok or unhealthy
	Reason      string    `json:"reason,omitempty"`
	Events      string    `json:"events"` // connected or disconnected
	Since       time.Time `json:"since"`
	Error       string    `json:"error,omitempty"`
	LastRound   time.Time `json:"last_round,omitzero"`
	RoundErr    string    `json:"last_round_error,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
}

// Report says how the watch is at now, and whether that is healthy.
func (h *Health) Report(now time.Time) (Report, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := Report{Status: "ok", Events: "connected", Since: h.since.UTC(), Error: h.lastErr, RoundErr: h.roundErr}
	if !h.lastRound.IsZero() {
		r.LastRound = h.lastRound.UTC()
	}
	if h.succeeded {
		r.LastSuccess = h.lastOK.UTC()
	}
	if !h.connected {
		r.Events = "disconnected"
		if down := now.Sub(h.since); down > StreamDownLimit {
			r.Status, r.Reason = "unhealthy", fmt.Sprintf("the engine's event stream has been down for %s", down.Round(time.Second))
		}
	}
	if stale := now.Sub(h.lastOK); stale > h.staleAfter && r.Reason == "" {
		r.Status, r.Reason = "unhealthy", fmt.Sprintf("no round has succeeded for %s (expected within %s)", stale.Round(time.Second), h.staleAfter)
	}
	return r, r.Status == "ok"
}
