package store

import (
	"os"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sick is an inspected, enabled, unhealthy running container started an hour ago.
func sick(name string) heal.Container {
	return heal.Container{
		ID: "id-" + name, Name: name, State: "running", Health: heal.HealthUnhealthy, FailingStreak: 5,
		StartedAt: t0.Add(-time.Hour), HasHealthcheck: true, Inspected: true,
		Labels: map[string]string{heal.LabelEnable: "true"},
	}
}

func well(name string) heal.Container {
	c := sick(name)
	c.Health, c.FailingStreak, c.Inspected = heal.HealthHealthy, 0, false
	return c
}

func with(c heal.Container, f func(*heal.Container)) heal.Container { f(&c); return c }

func state(entries map[string]*heal.Entry) *heal.State {
	st := heal.NewState()
	for name, e := range entries {
		if e.Name == "" {
			e.Name = name
		}
		st.Containers["id-"+name] = e
	}
	return st
}

func restarts(times ...time.Time) []heal.RestartRecord {
	var rs []heal.RestartRecord
	for _, t := range times {
		rs = append(rs, heal.RestartRecord{Time: t, Action: heal.ActionRestart, Result: heal.ResultSuccess})
	}
	return rs
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
