package dockerengine

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/docker-heal/docker-heal/heal"
)

func TestFromInspectExitFields(t *testing.T) {
	ins := container.InspectResponse{
		ID: "abc", Name: "/oom", Created: "2026-03-01T11:00:00.5Z", RestartCount: 4,
		State: &container.State{Status: "exited", ExitCode: 137, OOMKilled: true, Error: "boom",
			StartedAt: "2026-03-01T11:59:00Z", FinishedAt: "2026-03-01T11:59:30Z"},
		HostConfig: &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 4}},
	}
	c := FromInspect(ins)
	want := heal.Container{RestartCount: 4, ExitCode: 137, OOMKilled: true, Error: "boom", State: "exited", RestartPolicy: "on-failure",
		CreatedAt:  time.Date(2026, 3, 1, 11, 0, 0, 5e8, time.UTC),
		StartedAt:  time.Date(2026, 3, 1, 11, 59, 0, 0, time.UTC),
		FinishedAt: time.Date(2026, 3, 1, 11, 59, 30, 0, time.UTC)}
	if c.RestartCount != want.RestartCount || c.ExitCode != want.ExitCode || !c.OOMKilled || c.Error != want.Error ||
		c.State != want.State || c.RestartPolicy != want.RestartPolicy || !c.CreatedAt.Equal(want.CreatedAt) ||
		!c.StartedAt.Equal(want.StartedAt) || !c.FinishedAt.Equal(want.FinishedAt) {
		t.Errorf("got %+v", c)
	}
	if d := heal.Diagnose(c, want.FinishedAt.Add(time.Minute)); d.Condition != heal.CondOOMKilled || d.ExitCode == nil || *d.ExitCode != 137 {
		t.Errorf("diagnosis %+v", d)
	}
}

func TestStatusTimes(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		status            string
		exit              int
		started, finished time.Duration // ago; -1 unset
	}{
		{"Up 3 minutes (healthy)", 0, 3 * time.Minute, -1},
		{"Up Less than a second", 0, 0, -1},
		{"Up About a minute (Paused)", 0, time.Minute, -1},
		{"Up 2 days", 0, 48 * time.Hour, -1},
		{"Exited (137) 5 seconds ago", 137, -1, 5 * time.Second},
		{"Restarting (1) Less than a second ago", 1, -1, 0},
		{"Exited (0) About an hour ago", 0, -1, time.Hour},
		{"Created", 0, -1, -1},
		{"Dead", 0, -1, -1},
	}
	for _, tt := range tests {
		var c heal.Container
		statusTimes(&c, tt.status, now)
		check := func(what string, got time.Time, ago time.Duration) {
			if ago < 0 {
				if !got.IsZero() {
					t.Errorf("%q: %s %v, want none", tt.status, what, got)
				}
				return
			}
			if !got.Equal(now.Add(-ago)) {
				t.Errorf("%q: %s %v, want %v ago", tt.status, what, got, ago)
			}
		}
		check("started", c.StartedAt, tt.started)
		check("finished", c.FinishedAt, tt.finished)
		if c.ExitCode != tt.exit {
			t.Errorf("%q: exit %d, want %d", tt.status, c.ExitCode, tt.exit)
		}
	}
}
