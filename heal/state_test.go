package heal

import (
	"strings"
	"testing"
	"time"
)

func TestPrune(t *testing.T) {
	pol := DefaultPolicy()
	st := state(map[string]*Entry{
		"gone":     {FirstSeenUnhealthy: t0},
		"idle":     {Restarts: restarts(t0.Add(-3 * time.Hour))},
		"counted":  {RestartsTotal: map[string]int64{ResultSuccess: 1}, Restarts: restarts(t0.Add(-3 * time.Hour))},
		"tracking": {FirstSeenUnhealthy: t0.Add(-time.Minute)},
		"circuit":  {CircuitOpen: true},
	})
	removed := st.Prune(map[string]bool{"id-idle": true, "id-counted": true, "id-tracking": true, "id-circuit": true}, pol, t0)
	if strings.Join(removed, ",") != "id-gone,id-idle" {
		t.Errorf("removed %v", removed)
	}
	if e := st.Containers["id-counted"]; e == nil || len(e.Restarts) != 0 {
		t.Errorf("counted: %+v (old attempts should go, the counter stay)", e)
	}
	if len(st.Containers) != 3 {
		t.Errorf("left %d entries, want 3", len(st.Containers))
	}
}

func TestReset(t *testing.T) {
	st := state(map[string]*Entry{
		"web": {CircuitOpen: true, BackoffUntil: t0.Add(time.Hour), Restarts: restarts(t0), RestartsTotal: map[string]int64{ResultSuccess: 3}},
		"db":  {CircuitOpen: true},
	})
	reset, unknown, _ := st.Reset([]string{"web", "nope"})
	if strings.Join(reset, ",") != "web" || strings.Join(unknown, ",") != "nope" {
		t.Fatalf("reset %v unknown %v", reset, unknown)
	}
	e := st.Containers["id-web"]
	if e.CircuitOpen || !e.BackoffUntil.IsZero() || len(e.Restarts) != 0 || e.RestartsTotal[ResultSuccess] != 3 {
		t.Errorf("web after reset: %+v", e)
	}
	if !st.Containers["id-db"].CircuitOpen {
		t.Error("db was reset too")
	}
	if reset, _, _ := st.Reset([]string{"id-d"}); strings.Join(reset, ",") != "db" {
		t.Errorf("by id prefix: %v", reset)
	}
}

func TestResetAmbiguousPrefix(t *testing.T) {
	st := NewState()
	st.Containers["abcd1111"] = &Entry{Name: "web", CircuitOpen: true}
	st.Containers["abcd2222"] = &Entry{Name: "db", CircuitOpen: true}
	reset, _, err := st.Reset([]string{"abcd"})
	if err == nil || !strings.Contains(err.Error(), "db (abcd2222), web (abcd1111)") || len(reset) != 0 || !st.Containers["abcd1111"].CircuitOpen {
		t.Errorf("ambiguous prefix: reset %v, %v", reset, err)
	}
	if _, unknown, _ := st.Reset([]string{"abc"}); len(unknown) != 1 {
		t.Errorf("a 3-character prefix must not match: %v", unknown)
	}
}
