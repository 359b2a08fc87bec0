//go:build integration

package commands

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// Issue 11: never undo an operator, never lose a restart, never hang.
// These run on the private engine (scripts/engine.sh run go test -tags
// integration ./commands/ -run 'TestFaults').

// hookEngine calls beforeRestart before passing each Restart to the engine
// (WatchStops is the embedded engine's: heal.Engine has it).
type hookEngine struct {
	heal.Engine
	restarts      atomic.Int64
	beforeRestart func(n int64, id string)
}

func (h *hookEngine) Restart(ctx context.Context, id string, timeout time.Duration) error {
	n := h.restarts.Add(1)
	if h.beforeRestart != nil {
		h.beforeRestart(n, id)
	}
	return h.Engine.Restart(ctx, id, timeout)
}

func running(t *testing.T, id string) bool {
	t.Helper()
	st := enginetest.Inspect(t, id).State
	return st != nil && st.Running && !st.Restarting && !st.Paused
}

// slowSick is a sick container, healed by label, that takes 3s to stop.
func slowSick(t *testing.T, extra map[string]string, env ...string) enginetest.Container {
	t.Helper()
	labels := map[string]string{heal.LabelEnable: "true", heal.LabelStopTimeout: "20"}
	for k, v := range extra {
		labels[k] = v
	}
	return enginetest.RunContainer(t, enginetest.Options{Labels: labels, Env: append([]string{"APP_SLOW_STOP=3"}, env...)})
}

// An operator's `docker stop` of a container during a round wins: the round
// does not start it again. Two slow-stopping sick containers, one restart at
// a time; the operator stops the second while the first is being restarted.
func TestFaultsOperatorStopBeforeOurRestartWins(t *testing.T) {
	a, b := slowSick(t, nil), slowSick(t, nil)
	makeSick(t, a.ID, b.ID)
	cli := enginetest.Client(t)
	var stopped atomic.Value // the id the operator stopped
	engine := &hookEngine{Engine: realEngine(t)}
	engine.beforeRestart = func(n int64, id string) {
		if n != 1 {
			return
		}
		other := b.ID
		if id == b.ID {
			other = a.ID
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := cli.ContainerStop(ctx, other, client.ContainerStopOptions{}); err != nil {
			t.Errorf("operator stop of %s: %v", other, err)
		}
		stopped.Store(other)
	}
	opts := realOpts(t)
	opts.policy.Concurrency = 1
	out, exit := runReal(t, engine, opts)
	other, _ := stopped.Load().(string)
	if other == "" {
		t.Fatalf("the round restarted nothing (exit %d):\n%s", exit, out)
	}
	if running(t, other) {
		t.Errorf("the container the operator stopped during the round is running again:\n%s", out)
	}
	if exit != ExitOK {
		t.Errorf("exit %d, want 0: a container the operator stopped is skipped, not a failure:\n%s", exit, out)
	}
	name := a.Name
	if other == b.ID {
		name = b.Name
	}
	if line := lineWith(out, name); !strings.Contains(line, "skip") || !strings.Contains(line, "stopped") {
		t.Errorf("the summary does not say %s was skipped because it was stopped: %q\n%s", name, line, out)
	}
}

// A container removed between the round's list and its restart is skipped,
// not a failed restart.
func TestFaultsRemovedDuringRoundIsSkipped(t *testing.T) {
	a, b := slowSick(t, nil), slowSick(t, nil)
	makeSick(t, a.ID, b.ID)
	var removed atomic.Value
	engine := &hookEngine{Engine: realEngine(t)}
	engine.beforeRestart = func(n int64, id string) {
		if n != 1 {
			return
		}
		other := b
		if id == b.ID {
			other = a
		}
		enginetest.Remove(t, other.ID)
		removed.Store(other.Name)
	}
	opts := realOpts(t)
	opts.policy.Concurrency = 1
	out, exit := runReal(t, engine, opts)
	name, _ := removed.Load().(string)
	if name == "" {
		t.Fatalf("the round restarted nothing (exit %d):\n%s", exit, out)
	}
	if exit != ExitOK {
		t.Errorf("exit %d, want 0: a removed container is skipped, not a failed restart:\n%s", exit, out)
	}
	if line := lineWith(out, name); !strings.Contains(line, "skipped") || !strings.Contains(line, "removed") {
		t.Errorf("the summary does not say %s was skipped as removed: %q", name, line)
	}
}

// An operator's `docker stop` that lands while our restart of that very
// container is in flight wins too: docker-heal stops it again, and says so.
func TestFaultsOperatorStopDuringOurRestartWins(t *testing.T) {
	c := slowSick(t, nil)
	makeSick(t, c.ID)
	cli := enginetest.Client(t)
	var operator sync.WaitGroup
	engine := &hookEngine{Engine: realEngine(t)}
	engine.beforeRestart = func(n int64, id string) {
		operator.Add(1)
		go func() {
			defer operator.Done()
			// Our restart sends SIGTERM; the app takes 3s to exit. The
			// operator's stop arrives in the middle of that.
			time.Sleep(time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := cli.ContainerStop(ctx, id, client.ContainerStopOptions{}); err != nil {
				t.Errorf("operator stop: %v", err)
			}
		}()
	}
	opts := realOpts(t)
	out, _ := runReal(t, engine, opts)
	operator.Wait()
	if engine.restarts.Load() != 1 {
		t.Fatalf("%d restarts, want 1:\n%s", engine.restarts.Load(), out)
	}
	if running(t, c.ID) {
		t.Errorf("the container the operator stopped while we restarted it is running:\n%s", out)
	}
	if !strings.Contains(out, "stopped again") {
		t.Errorf("the summary does not say the operator's stop was honoured:\n%s", out)
	}
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// healBinary builds docker-heal once per test process: signals need a process.
func healBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "docker-heal-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "docker-heal")
		out, err := exec.Command("go", "build", "-o", binaryPath, "../cmd/docker-heal").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// healProcess is docker-heal running as its own process.
type healProcess struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	done   chan struct{}
	exit   int
	ctx    context.Context
	cancel context.CancelFunc
}

// startHeal runs docker-heal ARGS...; hangGuard kills it when a test would
// otherwise wait forever (the test then fails, it does not pass).
func startHeal(t *testing.T, hangGuard time.Duration, args ...string) *healProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	p := &healProcess{done: make(chan struct{}), ctx: ctx, cancel: cancel}
	p.cmd = exec.CommandContext(ctx, healBinary(t), args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		err := p.cmd.Wait()
		p.exit = 0
		if ee, ok := err.(*exec.ExitError); ok {
			p.exit = ee.ExitCode()
		} else if err != nil {
			p.exit = -1
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// wait waits for the process to end and returns its exit code and output;
// it fails the test if the hang guard had to kill it.
func (p *healProcess) wait(t *testing.T) (int, string) {
	t.Helper()
	<-p.done
	hung := p.ctx.Err() == context.DeadlineExceeded
	p.cancel()
	out := p.out.String()
	t.Logf("docker-heal %s: exit %d\n%s", strings.Join(p.cmd.Args[1:], " "), p.exit, out)
	if hung {
		t.Fatalf("docker-heal did not finish: killed by the test's hang guard")
	}
	return p.exit, out
}

// containerEvents follows the engine's events for one container from now.
func containerEvents(t *testing.T, id string, actions ...string) <-chan events.Message {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := client.Filters{}
	f.Add("container", id)
	f.Add("type", "container")
	for _, a := range actions {
		f.Add("event", a)
	}
	res := enginetest.Client(t).Events(ctx, client.EventsListOptions{Filters: f})
	return res.Messages
}

// countEvents counts the engine's past events of one kind for a container.
func countEvents(t *testing.T, id, action string, since time.Time) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := client.Filters{}
	f.Add("container", id)
	f.Add("event", action)
	res := enginetest.Client(t).Events(ctx, client.EventsListOptions{
		Since: fmt.Sprint(since.Unix()), Until: fmt.Sprint(time.Now().Add(time.Second).Unix()), Filters: f})
	n := 0
	for {
		select {
		case _, ok := <-res.Messages:
			if !ok {
				return n
			}
			n++
		case err := <-res.Err:
			if err != nil && err != io.EOF && ctx.Err() == nil {
				t.Fatalf("events: %v", err)
			}
			return n
		}
	}
}

// waitEvent waits for an event of that action on ch.
func waitEvent(t *testing.T, ch <-chan events.Message, action string) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case m := <-ch:
			if string(m.Action) == action {
				return
			}
		case <-timeout:
			t.Fatalf("no %s event within a minute", action)
		}
	}
}

// waitSettled waits until the engine has finished whatever restart is under
// way: the container runs and is not restarting.
func waitSettled(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !running(t, id) {
		if time.Now().After(deadline) {
			t.Fatalf("container %s not running again after a minute", id)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Killing docker heal once while a restart is in flight (as systemd does on
// stop or shutdown), five times, SIGTERM and SIGKILL in turn: every restart
// the engine carried out counts, so --max-restarts 2 holds and the circuit
// opens.
func TestFaultsSignalsDuringRestartsKeepTheBudget(t *testing.T) {
	// Flapping: sick a second after every start.
	c := slowSick(t, nil, "APP_FAIL_AFTER=1")
	state := filepath.Join(t.TempDir(), "state.json")
	args := []string{"once", "--max-restarts", "2", "--backoff", "0", "--state-file", state,
		"--filter", "label=" + enginetest.LabelRun + "=" + enginetest.RunID(), "--filter", "id=" + c.ID}
	since := time.Now().Add(-time.Second)
	signals := []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL, syscall.SIGTERM, syscall.SIGKILL, syscall.SIGTERM}
	killed := 0
	for i, sig := range signals {
		enginetest.WaitHealth(t, c.ID, "unhealthy", 30*time.Second)
		seen := containerEvents(t, c.ID, "kill", "restart")
		p := startHeal(t, 2*time.Minute, args...)
		inFlight := false
		select {
		case <-seen:
			// The engine is stopping it for our restart: the call is in flight.
			inFlight = true
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatalf("round %d: %v", i+1, err)
			}
			killed++
		case <-p.done:
		}
		p.wait(t)
		if inFlight {
			// The engine carries the restart out whatever became of its caller.
			waitEvent(t, seen, "restart")
		}
		waitSettled(t, c.ID)
	}
	starts := countEvents(t, c.ID, "restart", since)
	if starts > 2 {
		t.Errorf("the engine restarted the container %d times over %d rounds (%d of them signalled), want at most --max-restarts 2", starts, len(signals), killed)
	}
	st, err := store.ReadState(state)
	if err != nil {
		t.Fatal(err)
	}
	e := st.Entry(c.ID)
	if e == nil || !e.CircuitOpen {
		t.Errorf("the circuit is not open after the budget was spent: %+v", e)
	}
	if e != nil && len(e.Restarts) != starts {
		t.Errorf("state records %d restart attempts, the engine did %d", len(e.Restarts), starts)
	}
}

// A container whose label asks for a 1000h stop timeout and that ignores
// SIGTERM does not hold the round (and its lock) forever: the stop timeout
// is capped and reported, the round ends at --round-timeout with the restart
// pending, and the next round reads its outcome and heals the other sick
// container.
func TestFaultsHugeStopTimeoutDoesNotStallHealing(t *testing.T) {
	stuck := enginetest.RunContainer(t, enginetest.Options{
		Labels: map[string]string{heal.LabelEnable: "true", heal.LabelStopTimeout: "1000h"},
		Env:    []string{"APP_IGNORE_SIGTERM=1"},
	})
	other := enginetest.RunContainer(t, enginetest.Options{Labels: enabled})
	makeSick(t, stuck.ID, other.ID)
	before := map[string]time.Time{stuck.ID: startedAt(t, stuck.ID), other.ID: startedAt(t, other.ID)}
	state := filepath.Join(t.TempDir(), "state.json")
	args := []string{"once", "--concurrency", "1", "--max-stop-timeout", "3s", "--round-timeout", "2s", "--backoff", "0",
		"--state-file", state, "--filter", "label=" + enginetest.LabelRun + "=" + enginetest.RunID()}

	exit, out := startHeal(t, 90*time.Second, args...).wait(t)
	if exit == ExitError {
		t.Fatalf("round 1: exit 2:\n%s", out)
	}
	if !strings.Contains(out, "capped") || !strings.Contains(out, stuck.Name) {
		t.Errorf("round 1 does not report the capped stop timeout of %s:\n%s", stuck.Name, out)
	}
	if !strings.Contains(out, "pending") {
		t.Errorf("round 1 does not report the restart still in flight as pending:\n%s", out)
	}
	// The engine finishes the capped restart (SIGKILL after 3s) on its own.
	deadline := time.Now().Add(time.Minute)
	for !startedAt(t, stuck.ID).After(before[stuck.ID]) {
		if time.Now().After(deadline) {
			t.Fatalf("the engine did not finish the restart of %s within a minute", stuck.Name)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitSettled(t, stuck.ID)

	exit, out = startHeal(t, 90*time.Second, args...).wait(t)
	if exit == ExitError || strings.Contains(out, "another docker heal run is in progress") {
		t.Fatalf("round 2: exit %d; the lock was not released:\n%s", exit, out)
	}
	for _, c := range []enginetest.Container{stuck, other} {
		if !startedAt(t, c.ID).After(before[c.ID]) {
			t.Errorf("%s was not restarted by the two rounds", c.Name)
		}
	}
	st, err := store.ReadState(state)
	if err != nil {
		t.Fatal(err)
	}
	if e := st.Entry(stuck.ID); e == nil || len(e.Restarts) != 1 || e.Restarts[0].Result != heal.ResultSuccess {
		t.Errorf("the pending restart of %s is not recorded as done: %+v", stuck.Name, e)
	}
}

// A second signal exits at once (128+15), and the state on disk still holds
// the attempt written ahead of the engine call; the next round reads its
// outcome from the engine.
func TestFaultsSecondSignalExitsAtOnceStateConsistent(t *testing.T) {
	c := slowSick(t, nil)
	makeSick(t, c.ID)
	before := startedAt(t, c.ID)
	state := filepath.Join(t.TempDir(), "state.json")
	args := []string{"once", "--state-file", state, "--filter", "label=" + enginetest.LabelRun + "=" + enginetest.RunID(), "--filter", "id=" + c.ID}
	seen := containerEvents(t, c.ID, "kill", "restart")
	p := startHeal(t, 2*time.Minute, args...)
	waitEvent(t, seen, "kill")
	for i := 0; i < 2; i++ {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // two signals, not one coalesced
	}
	exit, out := p.wait(t)
	if exit != 128+int(syscall.SIGTERM) || !strings.Contains(out, "exiting at once") {
		t.Fatalf("exit %d, want %d after a second SIGTERM:\n%s", exit, 128+int(syscall.SIGTERM), out)
	}
	st, err := store.ReadState(state)
	if err != nil {
		t.Fatal(err)
	}
	if e := st.Entry(c.ID); e == nil || len(e.Restarts) != 1 || e.Restarts[0].Result != heal.ResultPending {
		t.Fatalf("state after the second signal: %+v, want one pending restart", e)
	}
	waitEvent(t, seen, "restart")
	waitSettled(t, c.ID)
	if !startedAt(t, c.ID).After(before) {
		t.Fatal("the engine did not finish the restart")
	}
	if exit, out := startHeal(t, 2*time.Minute, args...).wait(t); exit == ExitError {
		t.Fatalf("next round: exit 2:\n%s", out)
	}
	st, err = store.ReadState(state)
	if err != nil {
		t.Fatal(err)
	}
	if e := st.Entry(c.ID); e == nil || len(e.Restarts) != 1 || e.Restarts[0].Result != heal.ResultSuccess {
		t.Errorf("the next round did not read the outcome: %+v", e)
	}
}
