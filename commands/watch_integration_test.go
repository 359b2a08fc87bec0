//go:build integration

package commands

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// realWatch is runWatch on an engine, in this process.
type realWatch struct {
	cancel context.CancelFunc
	done   chan error
	out    *syncBuffer
	errOut *syncBuffer
}

func realWatchOpts(t *testing.T) watchOptions {
	return watchOptions{onceOptions: realOpts(t), resync: time.Hour}
}

func startRealWatch(t *testing.T, engine *dockerengine.Engine, opts watchOptions) *realWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &realWatch{cancel: cancel, done: make(chan error, 1), out: &syncBuffer{}, errOut: &syncBuffer{}}
	go func() { w.done <- runWatch(ctx, w.out, w.errOut, engine, engine, opts) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-w.done:
		case <-time.After(60 * time.Second):
			t.Error("watch did not stop")
		}
		t.Logf("docker heal watch:\n%s%s", w.out.String(), w.errOut.String())
	})
	waitFor(t, "watch following events", 30*time.Second, func() bool { return strings.Contains(w.errOut.String(), "following engine events") })
	return w
}

// waitFor polls cond; the bound only turns a hang into a failure.
func waitFor(t *testing.T, what string, bound time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", bound, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func restartedSince(t *testing.T, id string, before time.Time) func() bool {
	return func() bool { return startedAt(t, id).After(before) }
}

func stateRestarts(t *testing.T, path, id string) []heal.RestartRecord {
	t.Helper()
	st, err := store.ReadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if e := st.Entry(id); e != nil {
		return e.Restarts
	}
	return nil
}

var reactionRE = regexp.MustCompile(`msg="restart issued" container=\S+ id=(\S+) reaction=(\S+)`)

// webhookReceiver records what reaches it.
type webhookReceiver struct {
	mu     sync.Mutex
	bodies []string
}

func (r *webhookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, string(b))
	r.mu.Unlock()
}

func (r *webhookReceiver) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.bodies, "\n---\n")
}

func TestWatchRealRestartsOnTheUnhealthyEvent(t *testing.T) {
	recv := &webhookReceiver{}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	c := enginetest.RunContainer(t, enginetest.Options{Labels: map[string]string{heal.LabelEnable: "true", "com.docker.compose.project": "shop", "com.docker.compose.service": "web"}})
	enginetest.WaitHealth(t, c.ID, "healthy", 30*time.Second)

	opts := realWatchOpts(t)
	opts.listen = "127.0.0.1:0"
	opts.notify = []string{"generic://" + strings.TrimPrefix(srv.URL, "http://") + "/hook/s3cr3t-token?disabletls=yes&template=json"}
	w := startRealWatch(t, dockerengine.New(enginetest.Client(t)), opts)

	before := startedAt(t, c.ID)
	enginetest.MustExec(t, c.ID, "/app", "sicken")
	waitFor(t, "the restart", 60*time.Second, restartedSince(t, c.ID, before))

	// The reaction, from the engine's unhealthy event to the restart being
	// issued, is measured and recorded; the goal is under a second.
	var m []string
	waitFor(t, "the reaction logged", 10*time.Second, func() bool {
		m = reactionRE.FindStringSubmatch(w.errOut.String())
		return m != nil
	})
	reaction, err := time.ParseDuration(m[2])
	if err != nil || !strings.HasPrefix(c.ID, m[1]) {
		t.Fatalf("reaction %q for %q: %v", m[2], m[1], err)
	}
	t.Logf("reaction: %s from the unhealthy event to the restart issued", reaction)
	if reaction > 10*time.Second { // a failure detector, not a benchmark (scripts/bench-watch.sh measures)
		t.Errorf("reaction %s", reaction)
	}

	addr := addrRE.FindStringSubmatch(w.errOut.String())
	if addr == nil {
		t.Fatal("no listen address logged")
	}
	waitFor(t, "the round in /metrics", 10*time.Second, func() bool {
		return scrape(t, "http://"+addr[1]+"/metrics")["docker_heal_restarts_total"] != nil
	})
	fams := scrape(t, "http://"+addr[1]+"/metrics")
	if h := fams["docker_heal_reaction_seconds"]; h == nil || h.GetMetric()[0].GetHistogram().GetSampleCount() != 1 {
		t.Errorf("docker_heal_reaction_seconds: %v", h)
	}

	waitFor(t, "the notification at the receiver", 20*time.Second, func() bool { return strings.Contains(recv.all(), c.Name) })
	got := recv.all()
	for _, want := range []string{"restarted " + c.Name, "shop/web", "action: restart", "result: success", "last probe: "} {
		if !strings.Contains(got, want) {
			t.Errorf("notification lacks %q:\n%s", want, got)
		}
	}
	if recs := stateRestarts(t, opts.stateFile, c.ID); len(recs) != 1 || recs[0].Result != heal.ResultSuccess {
		t.Errorf("state: %+v", recs)
	}
	if strings.Contains(w.errOut.String()+w.out.String(), "s3cr3t-token") {
		t.Error("the notify URL's token is in the output")
	}
	if raw, _ := os.ReadFile(opts.stateFile); bytes.Contains(raw, []byte("s3cr3t-token")) {
		t.Error("the notify URL's token is in the state file")
	}
}

func TestWatchRealHealsWhatWasSickBeforeItStarted(t *testing.T) {
	c := enginetest.RunContainer(t, enginetest.Options{Labels: enabled})
	makeSick(t, c.ID)
	before := startedAt(t, c.ID)
	opts := realWatchOpts(t)
	startRealWatch(t, dockerengine.New(enginetest.Client(t)), opts)
	waitFor(t, "the first round's restart", 60*time.Second, restartedSince(t, c.ID, before))
	waitFor(t, "the restart saved", 10*time.Second, func() bool { return len(stateRestarts(t, opts.stateFile, c.ID)) == 1 })
}

func TestWatchRealAndOnceRestartOnce(t *testing.T) {
	c := enginetest.RunContainer(t, enginetest.Options{Labels: enabled})
	makeSick(t, c.ID)
	counting := &countingEngine{Engine: realEngine(t)}
	opts := realWatchOpts(t)
	engine := dockerengine.New(enginetest.Client(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out, errOut syncBuffer
	// watch and a cron once start together on one sick container and one
	// state file; once waits for the lock as a careful cron entry would.
	onceOpts := opts.onceOptions
	onceOpts.lockTimeout = time.Minute
	var onceOut, onceErr bytes.Buffer
	onceDone := make(chan error, 1)
	go func() { done <- runWatch(ctx, &out, &errOut, counting, engine, opts) }()
	go func() { onceDone <- runOnce(context.Background(), &onceOut, &onceErr, counting, onceOpts) }()
	defer func() {
		cancel()
		<-done
		t.Logf("watch:\n%s%s", out.String(), errOut.String())
	}()
	if err := <-onceDone; code(err) != ExitOK {
		t.Fatalf("once: %v\n%s%s", err, onceOut.String(), onceErr.String())
	}
	t.Logf("once:\n%s%s", onceOut.String(), onceErr.String())
	waitFor(t, "a restart", 30*time.Second, func() bool { return counting.restarts.Load() >= 1 })
	waitFor(t, "watch's first round", 30*time.Second, func() bool { return strings.Contains(errOut.String(), "following engine events") })
	time.Sleep(3 * time.Second) // room for a second, wrong, restart to show
	if n := counting.restarts.Load(); n != 1 {
		t.Errorf("%d restarts of one sick episode by watch and once together, want 1", n)
	}
	if recs := stateRestarts(t, opts.stateFile, c.ID); len(recs) != 1 {
		t.Errorf("state has %d restarts, want 1: %+v", len(recs), recs)
	}
}

func TestWatchRealSigtermDuringASlowRestart(t *testing.T) {
	bin := healBinary(t) // faults_integration_test.go builds it once per process
	stop := 20
	c := enginetest.RunContainer(t, enginetest.Options{Labels: enabled, Env: []string{"APP_SLOW_STOP=3"}, StopTimeout: &stop})
	enginetest.WaitHealth(t, c.ID, "healthy", 30*time.Second)
	stateFile := filepath.Join(t.TempDir(), "state.json")
	cmd := exec.Command(bin, "watch", "--state-file", stateFile, "--resync", "1h",
		"--filter", "label="+enginetest.LabelRun+"="+enginetest.RunID())
	var errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &errOut, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
		t.Logf("docker-heal watch:\n%s", errOut.String())
	}()
	waitFor(t, "watch following events", 30*time.Second, func() bool { return strings.Contains(errOut.String(), "following engine events") })

	enginetest.MustExec(t, c.ID, "/app", "sicken")
	waitFor(t, "the restart issued", 60*time.Second, func() bool { return strings.Contains(errOut.String(), "restart issued") })
	// The app takes 3s to stop: the restart is in flight now.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("watch did not exit after SIGTERM")
	}
	if !strings.Contains(errOut.String(), "msg=restarted") {
		t.Error("it exited before the restart in flight finished")
	}
	if recs := stateRestarts(t, stateFile, c.ID); len(recs) != 1 || recs[0].Result != heal.ResultSuccess {
		t.Errorf("state after SIGTERM: %+v", recs)
	}
	if st := enginetest.Inspect(t, c.ID).State; st.Status != container.StateRunning {
		t.Errorf("container is %s after the restart", st.Status)
	}
}

func TestWatchRealSecondWatchRefuses(t *testing.T) {
	opts := realWatchOpts(t)
	engine := dockerengine.New(enginetest.Client(t))
	startRealWatch(t, engine, opts)
	var errOut bytes.Buffer
	err := runWatch(context.Background(), io.Discard, &errOut, engine, engine, opts)
	if code(err) != ExitError || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("second watch: %v, want exit 2 naming pid %d", err, os.Getpid())
	}
}

// TestWatchRealEngineRestart stops and starts an engine of its own (so the
// other tests' engine stays up) under a running watch.
func TestWatchRealEngineRestart(t *testing.T) {
	enginetest.BuildImage(t)
	dir, err := os.MkdirTemp("/tmp", "dh-eng-")
	if err != nil {
		t.Fatal(err)
	}
	engineSh := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("../scripts/engine.sh", args...)
		cmd.Env = append(os.Environ(), "ENGINE_DIR="+dir)
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("engine.sh %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return string(out)
	}
	engineSh("start")
	t.Cleanup(func() { engineSh("stop") })
	cli, err := client.New(client.WithHost("unix://" + dir + "/docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The test app's image, copied from the main engine: nothing is pulled.
	saved, err := enginetest.Client(t).ImageSave(ctx, []string{enginetest.Image})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := cli.ImageLoad(ctx, saved)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, loaded)
	loaded.Close()
	saved.Close()

	// It fails its probe 4s after every start: sick again after the engine
	// brings it back, while watch may still be reconnecting.
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "dh-engine-restart",
		Config: &container.Config{Image: enginetest.Image, Env: []string{"APP_FAIL_AFTER=4"},
			Labels: map[string]string{heal.LabelEnable: "true", enginetest.LabelRun: enginetest.RunID()}},
		HostConfig: &container.HostConfig{NetworkMode: "none", RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	opts := realWatchOpts(t)
	opts.policy.MaxRestarts = 100
	opts.policy.Backoff = time.Second
	opts.listen = "127.0.0.1:0"
	w := startRealWatch(t, dockerengine.New(cli), opts)
	addr := addrRE.FindStringSubmatch(w.errOut.String())[1]

	engineSh("restart")
	restartedAt := time.Now()
	waitFor(t, "the reconnect", 60*time.Second, func() bool {
		return strings.Count(w.errOut.String(), "following engine events") >= 2
	})
	if !strings.Contains(w.errOut.String(), "engine event stream lost") {
		t.Error("the lost stream was not reported")
	}
	waitFor(t, "a restart by watch after the engine came back", 90*time.Second, func() bool {
		for _, r := range stateRestarts(t, opts.stateFile, created.ID) {
			if r.Time.After(restartedAt) && r.Result == heal.ResultSuccess {
				return true
			}
		}
		return false
	})
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz %d after the reconnect", resp.StatusCode)
	}
}

// TestWatchRealImage builds the image with make image on the test engine and
// runs it as the compose recipe does: socket mounted, no network, read-only.
func TestWatchRealImage(t *testing.T) {
	host := os.Getenv("DOCKER_HOST")
	sock, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		t.Fatalf("DOCKER_HOST=%s: the image test mounts the engine's socket, so it needs a unix:// engine (scripts/engine.sh)", host)
	}
	image := "docker-heal:itest-" + enginetest.RunID()
	build := exec.Command("make", "-C", "..", "image", "IMAGE="+image)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	cli := enginetest.Client(t)
	ctx := context.Background()
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), image, client.ImageRemoveOptions{Force: true}) })
	ins, err := cli.ImageInspect(ctx, image)
	if err != nil {
		t.Fatal(err)
	}
	// issue 18: the image served /metrics on every interface.
	if !slices.Contains(ins.Config.Env, "DOCKER_HEAL_LISTEN=127.0.0.1:9580") {
		t.Errorf("image env %v: want DOCKER_HEAL_LISTEN=127.0.0.1:9580 (the loopback)", ins.Config.Env)
	}
	if hc := ins.Config.Healthcheck; hc == nil || strings.Join(hc.Test, " ") != "CMD /docker-heal watch --healthcheck" {
		t.Errorf("image healthcheck %+v", ins.Config.Healthcheck)
	}

	sick := enginetest.RunContainer(t, enginetest.Options{Labels: enabled})
	enginetest.WaitHealth(t, sick.ID, "healthy", 30*time.Second)
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "dh-heal-" + enginetest.RunID(),
		Config: &container.Config{Image: image, Labels: map[string]string{enginetest.LabelRun: enginetest.RunID()},
			Env: []string{"DOCKER_HEAL_FILTER=label=" + enginetest.LabelRun + "=" + enginetest.RunID()},
			// The image's own check, every second instead of every 30s.
			Healthcheck: &container.HealthConfig{Test: ins.Config.Healthcheck.Test, Interval: time.Second, Timeout: 5 * time.Second, Retries: 3}},
		HostConfig: &container.HostConfig{NetworkMode: "none", ReadonlyRootfs: true, CapDrop: []string{"ALL"},
			SecurityOpt: []string{"no-new-privileges:true"}, Binds: []string{sock + ":/var/run/docker.sock"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if logs, err := cli.ContainerLogs(context.Background(), created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true}); err == nil {
			var b bytes.Buffer
			_, _ = stdcopy.StdCopy(&b, &b, logs)
			logs.Close()
			t.Logf("image logs:\n%s", b.String())
		}
		enginetest.Remove(t, created.ID)
	})
	if _, err := cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	enginetest.WaitHealth(t, created.ID, "healthy", 60*time.Second)

	before := startedAt(t, sick.ID)
	enginetest.MustExec(t, sick.ID, "/app", "sicken")
	waitFor(t, "the image healing the sick container", 60*time.Second, restartedSince(t, sick.ID, before))
	enginetest.WaitHealth(t, sick.ID, "healthy", 30*time.Second)
	if h := enginetest.Health(t, created.ID); h != "healthy" {
		t.Errorf("docker-heal's own health: %s", h)
	}
}

// A container that keeps failing gets the budget, backoff and circuit of
// once: restarts until --max-restarts, then the circuit opens and it is left
// alone.
func TestWatchRealBudgetOpensTheCircuit(t *testing.T) {
	c := enginetest.RunContainer(t, enginetest.Options{Labels: enabled, Env: []string{"APP_FAIL_AFTER=2"}})
	opts := realWatchOpts(t)
	opts.policy.MaxRestarts = 2
	opts.policy.Backoff = time.Second
	w := startRealWatch(t, dockerengine.New(enginetest.Client(t)), opts)
	waitFor(t, "the circuit open", 90*time.Second, func() bool {
		st, err := store.ReadState(opts.stateFile)
		if err != nil {
			t.Fatal(err)
		}
		e := st.Entry(c.ID)
		return e != nil && e.CircuitOpen
	})
	if recs := stateRestarts(t, opts.stateFile, c.ID); len(recs) != 2 {
		t.Errorf("%d restarts before the circuit opened, want 2 (--max-restarts): %+v", len(recs), recs)
	} else if gap := recs[1].Time.Sub(recs[0].Time); gap < time.Second {
		t.Errorf("second restart %s after the first, inside the 1s backoff", gap)
	}
	before := startedAt(t, c.ID)
	time.Sleep(5 * time.Second) // it is unhealthy again by now; nothing may restart it
	if !startedAt(t, c.ID).Equal(before) {
		t.Error("restarted with the circuit open")
	}
	if !strings.Contains(w.out.String(), "open-circuit") {
		t.Errorf("the opened circuit is not reported:\n%s", w.out.String())
	}
}

// issue 18: watch undid an operator's stop that landed during its own
// restart (its stopwatch wrapper hid WatchStops from the executor; once
// honoured the stop). A slow-stopping container is made sick; while watch's
// restart waits for it to exit, the operator runs `docker stop -t 1`.
func TestWatchRealOperatorStopDuringItsRestartWins(t *testing.T) {
	c := slowSick(t, nil)
	enginetest.WaitHealth(t, c.ID, "healthy", 30*time.Second)
	opts := realWatchOpts(t)
	w := startRealWatch(t, dockerengine.New(enginetest.Client(t)), opts)
	enginetest.MustExec(t, c.ID, "/app", "sicken")
	waitFor(t, "watch's restart issued", 60*time.Second, func() bool { return strings.Contains(w.errOut.String(), "restart issued") })
	// The app takes 3s to exit on our SIGTERM: the operator's stop lands
	// in the middle of it.
	time.Sleep(time.Second)
	one := 1
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := enginetest.Client(t).ContainerStop(ctx, c.ID, client.ContainerStopOptions{Timeout: &one}); err != nil {
		t.Fatalf("operator stop: %v", err)
	}
	// Our restart's start undid the operator's stop: watch stops it again
	// (the app takes 3s to stop, again).
	waitFor(t, "watch honouring the operator's stop", 60*time.Second, func() bool {
		return strings.Contains(w.errOut.String(), "operator's stop honoured")
	})
	waitFor(t, "the round's outcome saved", 30*time.Second, func() bool { return len(stateRestarts(t, opts.stateFile, c.ID)) == 1 })
	if running(t, c.ID) {
		t.Errorf("the container the operator stopped during watch's restart is running:\n%s", w.errOut.String())
	}
}
