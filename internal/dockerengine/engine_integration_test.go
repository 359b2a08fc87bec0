//go:build integration

package dockerengine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// These run on the private engine: scripts/engine.sh run go test -tags integration ./internal/dockerengine/

func TestRealListAndInspect(t *testing.T) {
	t.Parallel()
	stop := 7
	c := enginetest.RunContainer(t, enginetest.Options{StopTimeout: &stop, Labels: map[string]string{"com.docker.compose.project": "realproj"}})
	enginetest.WaitHealth(t, c.ID, "healthy", 30*time.Second)
	e := New(enginetest.Client(t))
	ctx := context.Background()

	list, err := e.List(ctx, heal.ListOptions{Filters: map[string][]string{"label": {enginetest.LabelRun + "=" + enginetest.RunID(), "com.docker.compose.project=realproj"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != c.ID || list[0].Name != c.Name || list[0].Health != heal.HealthHealthy || list[0].Project != "realproj" {
		t.Fatalf("list: %+v", list)
	}
	got, err := e.Inspect(ctx, c.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Inspected || !got.HasHealthcheck || got.Interval != time.Second || got.Retries != 2 || got.NetworkMode != "none" {
		t.Errorf("inspect: %+v", got)
	}
	if got.StopTimeout == nil || *got.StopTimeout != 7*time.Second {
		t.Errorf("stop timeout %v, want 7s", got.StopTimeout)
	}
	if p := got.LastProbe(); p == nil || p.ExitCode != 0 || !strings.HasPrefix(p.Output, "ok: up") {
		t.Errorf("last probe %+v", p)
	}
	if since := time.Since(got.StartedAt); since < 0 || since > time.Minute {
		t.Errorf("started at %v", got.StartedAt)
	}
}

func TestRealInspectManySkipsRemoved(t *testing.T) {
	t.Parallel()
	a := enginetest.RunContainer(t, enginetest.Options{})
	b := enginetest.RunContainer(t, enginetest.Options{})
	enginetest.Remove(t, b.ID)
	got, err := New(enginetest.Client(t)).InspectMany(context.Background(), []string{a.ID, b.ID}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != a.ID {
		t.Errorf("got %+v, want only %s", got, a.Name)
	}
}

func TestRealRestartKillsAfterTimeoutAndStartsHealthy(t *testing.T) {
	t.Parallel()
	c := enginetest.RunContainer(t, enginetest.Options{Env: []string{"APP_IGNORE_SIGTERM=1"}})
	enginetest.WaitHealth(t, c.ID, "healthy", 30*time.Second)
	enginetest.MustExec(t, c.ID, "/app", "sicken")
	enginetest.WaitHealth(t, c.ID, "unhealthy", 30*time.Second)
	before := enginetest.Inspect(t, c.ID).State.StartedAt
	e := New(enginetest.Client(t))
	if err := e.Restart(context.Background(), c.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	after := enginetest.Inspect(t, c.ID)
	if after.State.StartedAt == before || !after.State.Running {
		t.Fatalf("not restarted: started %s -> %s, running %v", before, after.State.StartedAt, after.State.Running)
	}
	enginetest.WaitHealth(t, c.ID, "healthy", 30*time.Second)
}

func TestRealStopWaitsForASlowStop(t *testing.T) {
	t.Parallel()
	c := enginetest.RunContainer(t, enginetest.Options{Env: []string{"APP_SLOW_STOP=1"}})
	enginetest.WaitHealth(t, c.ID, "healthy", 30*time.Second)
	if err := New(enginetest.Client(t)).Stop(context.Background(), c.ID, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	st := enginetest.Inspect(t, c.ID).State
	// Exit 0: it stopped by itself after SIGTERM, it was not killed (137).
	if st.Running || st.ExitCode != 0 {
		t.Errorf("after stop: running %v exit %d, want stopped with 0", st.Running, st.ExitCode)
	}
}

func TestRealServicesUsesTheMergedHealthcheck(t *testing.T) {
	t.Parallel()
	c := enginetest.RunContainer(t, enginetest.Options{})
	svcs, err := New(enginetest.Client(t)).Services(context.Background(), []string{c.Name}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 {
		t.Fatalf("%d services", len(svcs))
	}
	s := svcs[0]
	hc := s.EffectiveHealthcheck()
	if hc == nil || strings.Join(hc.Argv(), " ") != "/app probe" || s.ImageConfig == nil || s.ImageConfig.Source != enginetest.Image {
		t.Errorf("service %+v, healthcheck %+v", s, hc)
	}
	if s.Labels[enginetest.LabelRun] != enginetest.RunID() || s.Name != c.Name {
		t.Errorf("labels %v name %q", s.Labels, s.Name)
	}
}
