package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// diagnoseFake serves one container in each failing condition.
func diagnoseFake(t *testing.T, now time.Time) *enginetest.FakeDaemon {
	t.Helper()
	f := enginetest.NewFakeDaemon()
	t.Cleanup(f.Close)
	ts := func(d time.Duration) string { return now.Add(-d).UTC().Format(time.RFC3339Nano) }
	loop := enginetest.FakeContainer(statusID(21), "loop", "none", time.Minute, now, nil)
	loop.State.Status, loop.State.Restarting, loop.State.ExitCode, loop.State.FinishedAt = container.StateRestarting, true, 1, ts(2*time.Second)
	loop.RestartCount, loop.HostConfig.RestartPolicy.Name = 6, "always"
	oom := enginetest.FakeContainer(statusID(22), "oom", "none", time.Minute, now, nil)
	oom.State.Status, oom.State.Running, oom.State.ExitCode, oom.State.OOMKilled, oom.State.FinishedAt = container.StateExited, false, 137, true, ts(30*time.Second)
	exited := enginetest.FakeContainer(statusID(23), "job", "none", time.Hour, now, nil)
	exited.State.Status, exited.State.Running, exited.State.ExitCode, exited.State.FinishedAt = container.StateExited, false, 127, ts(5*time.Minute)
	exited.State.Error = `exec: "serve": executable file not found in $PATH`
	created := enginetest.FakeContainer(statusID(24), "fresh", "none", time.Hour, now, nil)
	created.State.Status, created.State.Running, created.State.StartedAt = container.StateCreated, false, "0001-01-01T00:00:00Z"
	f.Add(loop, oom, exited, created)
	return f
}

func TestStatusConditionsGolden(t *testing.T) {
	f := diagnoseFake(t, statusT0)
	out, err := statusRun(t, f, statusOptions{all: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "status/conditions.txt", out)

	out, err = statusRun(t, f, statusOptions{all: true, format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		condition string
		exit      int
		restarts  int
		since     time.Duration
	}{
		"loop": {"crash-loop", 1, 6, 2 * time.Second}, "oom": {"oom-killed", 137, 0, 30 * time.Second},
		"job": {"exited", 127, 0, 5 * time.Minute}, "fresh": {"created", -1, 0, time.Hour + time.Second},
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r statusRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		w, ok := want[r.Name]
		if !ok {
			t.Errorf("unexpected %s", r.Name)
			continue
		}
		delete(want, r.Name)
		exit := -1
		if r.ExitCode != nil {
			exit = *r.ExitCode
		}
		if string(r.Condition) != w.condition || exit != w.exit || r.Restarts != w.restarts || r.Since == nil || !r.Since.Equal(statusT0.Add(-w.since)) {
			t.Errorf("%s: %s exit %d restarts %d since %v, want %s exit %d restarts %d since %v ago", r.Name, r.Condition, exit, r.Restarts, r.Since, w.condition, w.exit, w.restarts, w.since)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing from json: %v", want)
	}
}

func TestStatusTableTemplate(t *testing.T) {
	f := statusFake(t, statusT0)
	out, err := statusRun(t, f, statusOptions{format: `table {{.Name}}\t{{.Health}}`})
	if err != nil {
		t.Fatal(err)
	}
	want := "NAME            HEALTH\ncache           starting\nsidecar         none\nshop-web-1      healthy\nshop-worker-1   unhealthy\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	out, err = statusRun(t, f, statusOptions{format: `{{json .Condition}} {{.Restarts}}`, names: []string{"cache"}})
	if err != nil || out != "\"starting\" 0\n" {
		t.Errorf("raw template: %q %v", out, err)
	}
	if _, err := statusRun(t, f, statusOptions{format: `table {{.Name`}); code(err) != ExitError {
		t.Errorf("a bad template: %v, want a usage error", err)
	}
}

func TestStatusWaitFailsFast(t *testing.T) {
	for name, why := range map[string]string{
		"loop": "loop: crash-loop: exit 1 (error) 2s ago; restarted 6 times by the engine",
		"oom":  "oom: oom-killed: exit 137 (SIGKILL, out of memory: OOMKilled)",
		"job":  "job: exited: exit 127 (command not found) 5m ago: exec: \"serve\": executable file not found in $PATH",
	} {
		t.Run(name, func(t *testing.T) {
			f := diagnoseFake(t, time.Now())
			var progress bytes.Buffer
			start := time.Now()
			_, err := statusRun(t, f, statusOptions{names: []string{name}, wait: true, timeout: time.Minute, pollEvery: time.Second, now: time.Now, progress: &progress})
			if code(err) != ExitFindings || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "will not become healthy by waiting") {
				t.Fatalf("exit %d %v, want 1 naming %q", code(err), err, why)
			}
			if took := time.Since(start); took > 900*time.Millisecond {
				t.Errorf("took %v: not within the first poll", took)
			}
		})
	}
	// A container that is still starting is waited for, and the wait says so.
	f := statusFake(t, time.Now())
	var progress bytes.Buffer
	_, err := statusRun(t, f, statusOptions{names: []string{"cache"}, wait: true, timeout: 50 * time.Millisecond, pollEvery: 10 * time.Millisecond, now: time.Now, progress: &progress})
	if code(err) != ExitFindings || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("starting: %v", err)
	}
	if got := progress.String(); strings.Count(got, "waiting for 1 of 1") != 1 || !strings.Contains(got, "cache starting") || strings.Contains(got, "\r") {
		t.Errorf("plain progress: one line per change, got %q", got)
	}
	progress.Reset()
	_, _ = statusRun(t, f, statusOptions{names: []string{"cache"}, wait: true, timeout: 50 * time.Millisecond, pollEvery: 10 * time.Millisecond, now: time.Now, progress: &progress, tty: true, ttyWidth: 30})
	if got := progress.String(); !strings.HasPrefix(got, "\r\x1b[Kwaiting for 1 of 1") || !strings.HasSuffix(got, "\r\x1b[K") || strings.Contains(got, "\n") {
		t.Errorf("terminal progress: one line rewritten in place, got %q", got)
	}
	for _, line := range strings.Split(progress.String(), "\r\x1b[K") {
		if len([]rune(line)) > 29 {
			t.Errorf("progress line %q wider than the terminal", line)
		}
	}
}

func TestStatusDetail(t *testing.T) {
	f := statusFake(t, statusT0)
	st := heal.NewState()
	st.Containers[statusID(2)] = &heal.Entry{Name: "shop-worker-1", CircuitOpen: true, CircuitOpenedAt: statusT0.Add(-time.Minute),
		Restarts: []heal.RestartRecord{{Time: statusT0.Add(-5 * time.Minute), Action: heal.ActionRestart, Result: heal.ResultSuccess}},
		Exits:    []heal.ExitRecord{{Time: statusT0.Add(-6 * time.Minute), ExitCode: 137, OOMKilled: true}}}
	var out bytes.Buffer
	opts := statusOptions{names: []string{"shop-worker-1"}, detail: true, state: st, format: "table", now: func() time.Time { return statusT0 }}
	if err := runStatus(context.Background(), &out, dockerengine.New(f.Client()), opts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Condition:   unhealthy since 2026-03-01 11:59:57 (3 seconds ago)",
		"Reason:      failing streak 7, last probe: exit 1: sick: made sick by `app sicken`",
		"Probes (oldest first):", "exit 1  took 3ms", "Circuit:     open since", "Done by docker heal:", "restart success",
		"Exits seen by docker heal:", "exit 137 (SIGKILL, out of memory: OOMKilled)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("detail does not say %q:\n%s", want, out.String())
		}
	}
}
