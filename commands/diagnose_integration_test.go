//go:build integration

package commands

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// diagnosed starts, on the real engine, one container in each failing
// condition: crash-looping (restart always, exits 1 after 300ms), OOM-killed
// (16 MiB, allocating past it), exited (code 3) and unhealthy. It waits until
// the engine shows each in its condition.
func diagnosed(t *testing.T, labels map[string]string) (loop, oom, exited, sick enginetest.Container) {
	t.Helper()
	loop = enginetest.RunContainer(t, enginetest.Options{Labels: labels, Cmd: []string{"exit", "1", "300"}, Restart: "always", Healthcheck: enginetest.NoHealthcheck})
	oom = enginetest.RunContainer(t, enginetest.Options{Labels: labels, Cmd: []string{"hog"}, Memory: 16 << 20, MemorySwap: 16 << 20, Healthcheck: enginetest.NoHealthcheck})
	exited = enginetest.RunContainer(t, enginetest.Options{Labels: labels, Cmd: []string{"exit", "3", "0"}, Healthcheck: enginetest.NoHealthcheck})
	sick = enginetest.RunContainer(t, enginetest.Options{Labels: labels})
	enginetest.WaitHealth(t, sick.ID, "healthy", 30*time.Second)
	enginetest.MustExec(t, sick.ID, "/app", "sicken", "database unreachable")
	enginetest.WaitHealth(t, sick.ID, "unhealthy", 30*time.Second)
	waitState(t, oom.ID, func(s *container.State) bool { return s.Status == container.StateExited }, "OOM-killed")
	waitState(t, exited.ID, func(s *container.State) bool { return s.Status == container.StateExited }, "exited")
	waitInspect(t, loop.ID, func(c container.InspectResponse) bool { return c.RestartCount >= heal.CrashLoopRestarts }, "restarted 3 times")
	return loop, oom, exited, sick
}

func waitState(t *testing.T, id string, ok func(*container.State) bool, what string) {
	t.Helper()
	waitInspect(t, id, func(c container.InspectResponse) bool { return ok(c.State) }, what)
}

func waitInspect(t *testing.T, id string, ok func(container.InspectResponse) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c := enginetest.Inspect(t, id)
		if ok(c) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s not %s within a minute: state %+v restarts %d", c.Name, what, c.State, c.RestartCount)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type diagnosedRow struct {
	Name      string     `json:"name"`
	State     string     `json:"state"`
	Condition string     `json:"condition"`
	Reason    string     `json:"reason"`
	Restarts  int        `json:"restarts"`
	Since     *time.Time `json:"since"`
	ExitCode  *int       `json:"exit_code"`
	OOMKilled bool       `json:"oom_killed"`
}

func TestRealStatusDiagnosesEveryFailure(t *testing.T) {
	t.Parallel()
	labels, filter := caseLabel()
	loop, oom, exited, sick := diagnosed(t, labels)

	// The crash-looping one is mostly waiting to restart (the engine's
	// backoff outgrows its 300ms runs): poll until status catches it there,
	// where the engine still shows the exit code.
	var rows map[string]diagnosedRow
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := realStatus(t, statusOptions{format: "json", filters: []string{filter}, all: true})
		if err != nil {
			t.Fatal(err)
		}
		rows = map[string]diagnosedRow{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r diagnosedRow
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			rows[r.Name] = r
		}
		if r := rows[loop.Name]; r.State == "restarting" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("rows: %+v", rows)
	check := func(name, condition string, exit int, minRestarts int, reason string) {
		t.Helper()
		r, ok := rows[name]
		if !ok {
			t.Errorf("%s missing from status", name)
			return
		}
		got := -1
		if r.ExitCode != nil {
			got = *r.ExitCode
		}
		if r.Condition != condition || got != exit || r.Restarts < minRestarts || r.Since == nil || r.Since.IsZero() ||
			time.Since(*r.Since) > 5*time.Minute || !strings.Contains(r.Reason, reason) {
			t.Errorf("%s: condition %q exit %d restarts %d since %v reason %q; want %q exit %d, %d+ restarts, a recent since, a reason with %q",
				name, r.Condition, got, r.Restarts, r.Since, r.Reason, condition, exit, minRestarts, reason)
		}
	}
	check(loop.Name, "crash-loop", 1, heal.CrashLoopRestarts, "exit 1 (error)")
	check(oom.Name, "oom-killed", 137, 0, "out of memory")
	check(exited.Name, "exited", 3, 0, "exit 3")
	check(sick.Name, "unhealthy", -1, 0, "failing streak")
	if !rows[oom.Name].OOMKilled {
		t.Errorf("%s: oom_killed false", oom.Name)
	}

	out, err := realStatus(t, statusOptions{format: "table", filters: []string{filter}, all: true, noTrunc: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("status --all:\n%s", out)
	for _, want := range []string{"CONDITION", "REASON", "RESTARTS", "SINCE", "crash-loop", "oom-killed", "exit 137 (SIGKILL, out of memory: OOMKilled)",
		"exited", "exit 3", "unhealthy", "database unreachable"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table does not say %q", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, loop.Name+" ") && !strings.Contains(line, "crash-loop") {
			t.Errorf("crash-looping container's line: %q", line)
		}
	}
}

func TestRealStatusWaitFailsFast(t *testing.T) {
	t.Parallel()
	labels, _ := caseLabel()
	loop := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Cmd: []string{"exit", "1", "300"}, Restart: "always", Healthcheck: enginetest.NoHealthcheck})
	exited := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Cmd: []string{"exit", "3", "0"}, Healthcheck: enginetest.NoHealthcheck})
	waitState(t, exited.ID, func(s *container.State) bool { return s.Status == container.StateExited }, "exited")
	waitInspect(t, loop.ID, func(c container.InspectResponse) bool { return c.RestartCount >= heal.CrashLoopRestarts }, "restarted 3 times")

	for _, tc := range []struct{ name, says string }{
		{exited.Name, "exited: exit 3"},
		{loop.Name, "crash-loop"},
	} {
		start := time.Now()
		_, err := realStatus(t, statusOptions{names: []string{tc.name}, wait: true, timeout: time.Minute, now: time.Now})
		took := time.Since(start)
		if code(err) != ExitFindings || !strings.Contains(err.Error(), tc.says) || took > 3*time.Second {
			t.Errorf("status --wait %s: exit %d after %v (%v), want 1 within 3s naming %q", tc.name, code(err), took, err, tc.says)
		}
	}
}

// once, run after once against the same state file, tells a local receiver
// exactly once per crash-loop episode and once per OOM kill.
func TestRealOnceNotifiesCrashLoopAndOOMOnce(t *testing.T) {
	t.Parallel()
	labels, filter := caseLabel()
	labels[heal.LabelEnable] = "true"
	loop := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Cmd: []string{"exit", "1", "300"}, Restart: "always", Healthcheck: enginetest.NoHealthcheck})
	oom := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Cmd: []string{"hog"}, Memory: 16 << 20, MemorySwap: 16 << 20, Healthcheck: enginetest.NoHealthcheck})
	// Exit 137 alone: Engine 20.10's OOMKilled flag races with the exit.
	waitState(t, oom.ID, func(s *container.State) bool { return s.Status == container.StateExited && s.ExitCode == 137 }, "OOM-killed")
	waitInspect(t, loop.ID, func(c container.InspectResponse) bool { return c.RestartCount >= heal.CrashLoopRestarts }, "restarted 3 times")

	hook := &scriptedHook{statuses: []int{200}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	engine := realEngine(t)
	opts := realOpts(t)
	opts.filters = []string{filter}
	opts.webhooks = []string{srv.URL}
	opts.webhookTimeout = 10 * time.Second
	for run := 1; run <= 3; run++ {
		out, exit := runReal(t, engine, opts)
		if exit != ExitOK {
			t.Errorf("run %d: exit %d, want 0 (alerts are not failures):\n%s", run, exit, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	count := func() map[string]int {
		evs, _ := hook.got()
		n := map[string]int{}
		for _, ev := range evs {
			n[ev.Event+" "+ev.Container]++
		}
		return n
	}
	got := count()
	if got[heal.EventCrashLoop+" "+loop.Name] != 1 || got[heal.EventOOMKilled+" "+oom.Name] != 1 || len(got) != 2 {
		t.Errorf("after three runs the receiver got %v, want one crash_loop of %s and one oom_killed of %s", got, loop.Name, oom.Name)
	}
	for _, ev := range func() []heal.Event { evs, _ := hook.got(); return evs }() {
		if ev.Event == heal.EventOOMKilled && !strings.Contains(ev.Text, "exit 137") {
			t.Errorf("oom_killed text %q does not name exit 137", ev.Text)
		}
	}

	// Started again by hand, killed again: a second kill, a second notice.
	before := enginetest.Inspect(t, oom.ID).State.FinishedAt
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := enginetest.Client(t).ContainerStart(ctx, oom.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitState(t, oom.ID, func(s *container.State) bool {
		return s.Status == container.StateExited && s.ExitCode == 137 && s.FinishedAt != before
	}, "OOM-killed again")
	for range 2 {
		runReal(t, engine, opts)
	}
	if got := count(); got[heal.EventOOMKilled+" "+oom.Name] != 2 || got[heal.EventCrashLoop+" "+loop.Name] != 1 {
		t.Errorf("after a second kill the receiver got %v, want two oom_killed and still one crash_loop", got)
	}
}

// watch tells a local receiver exactly once per crash-loop episode, once per
// OOM kill, and once when it gives up on a container (its circuit opens),
// however many die events the crash loop sends.
func TestWatchRealNotifiesCrashLoopOOMAndGivingUpOnce(t *testing.T) {
	labels, filter := caseLabel()
	labels[heal.LabelEnable] = "true"
	recv := &scriptedHook{statuses: []int{200}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	opts := realWatchOpts(t)
	opts.filters = []string{filter}
	opts.webhooks = []string{srv.URL}
	opts.webhookTimeout = 10 * time.Second
	opts.policy.MaxRestarts = 1
	startRealWatch(t, dockerengine.New(enginetest.Client(t)), opts)

	loop := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Cmd: []string{"exit", "1", "300"}, Restart: "always", Healthcheck: enginetest.NoHealthcheck})
	oom := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Cmd: []string{"hog"}, Memory: 16 << 20, MemorySwap: 16 << 20, Healthcheck: enginetest.NoHealthcheck})
	// Unhealthy a second after each start: restarted once, then given up on.
	hopeless := enginetest.RunContainer(t, enginetest.Options{Labels: labels, Env: []string{"APP_FAIL_AFTER=1"}})

	count := func() map[string]int {
		evs, _ := recv.got()
		n := map[string]int{}
		for _, ev := range evs {
			n[ev.Event+" "+ev.Container]++
		}
		return n
	}
	waitFor(t, "the three notices", 90*time.Second, func() bool {
		n := count()
		return n[heal.EventCrashLoop+" "+loop.Name] > 0 && n[heal.EventOOMKilled+" "+oom.Name] > 0 && n[heal.EventCircuitOpened+" "+hopeless.Name] > 0
	})
	// The loop goes on, sending die events; watch looks again each time.
	before := enginetest.Inspect(t, loop.ID).RestartCount
	waitInspect(t, loop.ID, func(c container.InspectResponse) bool { return c.RestartCount >= before+2 }, "restarted twice more")
	time.Sleep(2 * time.Second)
	n := count()
	for _, want := range []string{heal.EventCrashLoop + " " + loop.Name, heal.EventOOMKilled + " " + oom.Name, heal.EventCircuitOpened + " " + hopeless.Name} {
		if n[want] != 1 {
			t.Errorf("%q delivered %d times, want exactly 1 (all: %v)", want, n[want], n)
		}
	}
	if n[heal.EventRestarted+" "+loop.Name] > 0 {
		t.Errorf("watch restarted the container the engine is restarting: %v", n)
	}
}
