package dockerengine

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/enginetest"
	"github.com/docker-heal/docker-heal/lint"
)

// The fixtures in testdata/api1.41 are what dockerd 20.10.24 answered for
// containers of the test app (scripts/engine.sh), captured with curl:
//
//	fx-healthy   compose labels, limits, rotation, --init, ulimit, stop-timeout 20, tmpfs
//	fx-sick      made sick with `app sicken`, --health-retries 1
//	fx-starting  --health-interval 1h --health-start-period 1h
//	fx-nohc      --no-healthcheck, docker-heal.ignore=privileged,init-missing
//	fx-priv      created (not started) --privileged --restart no
//	fx-hostns    created (not started) --cap-add SYS_ADMIN --cap-add cap_net_admin
//	             --cap-add sys_ptrace --pid host --ipc host --userns host --network host
func loadInspect(t *testing.T, name string) container.InspectResponse {
	t.Helper()
	var c container.InspectResponse
	loadJSON(t, "inspect-"+name+".json", &c)
	return c
}

func loadJSON(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "api1.41", file))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func fixtureDaemon(t *testing.T) *enginetest.FakeDaemon {
	t.Helper()
	f := enginetest.NewFakeDaemon()
	t.Cleanup(f.Close)
	for _, n := range []string{"fx-healthy", "fx-sick", "fx-starting", "fx-nohc", "fx-priv"} {
		f.Add(loadInspect(t, n))
	}
	var img image.InspectResponse
	loadJSON(t, "image-app.json", &img)
	f.AddImage(img)
	return f
}

func TestListNegotiatesDownTo141(t *testing.T) {
	f := fixtureDaemon(t)
	e := New(f.Client())
	got, err := e.List(context.Background(), heal.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := f.CallsTo("GET (bad version)"); n != 0 {
		t.Errorf("%d calls with an API version the 20.10 engine refuses", n)
	}
	if n := f.CallsTo("GET /containers/json"); n != 1 {
		t.Errorf("list calls = %d, want 1", n)
	}
	health := map[string]string{}
	for _, c := range got {
		health[c.Name] = c.Health
		if c.Inspected {
			t.Errorf("%s: Inspected after List", c.Name)
		}
	}
	want := map[string]string{ // fx-priv is not running
		"fx-healthy":  heal.HealthHealthy,
		"fx-sick":     heal.HealthUnhealthy,
		"fx-starting": heal.HealthStarting,
		"fx-nohc":     heal.HealthNone,
	}
	if len(health) != len(want) {
		t.Errorf("listed %v, want %v", health, want)
	}
	for name, h := range want {
		if health[name] != h {
			t.Errorf("%s: health %q from the list, want %q", name, health[name], h)
		}
	}
}

func TestListFiltersAndAll(t *testing.T) {
	f := fixtureDaemon(t)
	e := New(f.Client())
	tests := []struct {
		name string
		opts heal.ListOptions
		want []string
	}{
		{"all", heal.ListOptions{All: true}, []string{"fx-healthy", "fx-nohc", "fx-priv", "fx-sick", "fx-starting"}},
		{"label", heal.ListOptions{Filters: map[string][]string{"label": {"com.docker.compose.project=shop"}}}, []string{"fx-healthy"}},
		{"health", heal.ListOptions{Filters: map[string][]string{"health": {"unhealthy"}}}, []string{"fx-sick"}},
		{"two names", heal.ListOptions{Filters: map[string][]string{"name": {"fx-sick", "fx-nohc"}}}, []string{"fx-nohc", "fx-sick"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.List(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range got {
				names = append(names, c.Name)
			}
			if strings.Join(sorted(names), " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", names, tt.want)
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestFromInspect(t *testing.T) {
	sec := func(n int) *time.Duration { d := time.Duration(n) * time.Second; return &d }
	tests := []struct {
		fixture   string
		health    string
		streak    int
		probes    int
		lastExit  int
		lastOut   string
		hasHC     bool
		interval  time.Duration
		retries   int
		stop      *time.Duration
		restart   string
		project   string
		service   string
		state     string
		startedAt bool
	}{
		{"fx-healthy", "healthy", 0, 5, 0, "ok: up", true, time.Second, 2, sec(20), "unless-stopped", "shop", "web", "running", true},
		{"fx-sick", "unhealthy", 3, 5, 1, "sick: made sick by `app sicken`", true, time.Second, 1, nil, "no", "", "", "running", true},
		{"fx-starting", "starting", 0, 0, 0, "", true, time.Hour, 2, nil, "no", "", "", "running", true},
		{"fx-nohc", "none", 0, 0, 0, "", false, 0, 0, nil, "no", "", "", "running", true},
		{"fx-priv", "none", 0, 0, 0, "", true, time.Second, 2, nil, "no", "", "", "created", false},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			c := FromInspect(loadInspect(t, tt.fixture))
			if c.Name != tt.fixture || !c.Inspected || c.State != tt.state {
				t.Errorf("name %q inspected %v state %q", c.Name, c.Inspected, c.State)
			}
			if c.Health != tt.health {
				t.Errorf("health %q, want %q", c.Health, tt.health)
			}
			if c.FailingStreak < tt.streak {
				t.Errorf("streak %d, want at least %d", c.FailingStreak, tt.streak)
			}
			if len(c.Probes) != tt.probes {
				t.Errorf("%d probes, want %d", len(c.Probes), tt.probes)
			}
			if tt.probes > 0 {
				last := c.LastProbe()
				if last.ExitCode != tt.lastExit || !strings.HasPrefix(last.Output, tt.lastOut) || last.Start.IsZero() {
					t.Errorf("last probe %+v, want exit %d output %q...", last, tt.lastExit, tt.lastOut)
				}
				for i := 1; i < len(c.Probes); i++ {
					if c.Probes[i].Start.Before(c.Probes[i-1].Start) {
						t.Errorf("probes not oldest first")
					}
				}
			}
			if c.HasHealthcheck != tt.hasHC || c.Interval != tt.interval || c.Retries != tt.retries {
				t.Errorf("healthcheck %v interval %v retries %d, want %v %v %d", c.HasHealthcheck, c.Interval, c.Retries, tt.hasHC, tt.interval, tt.retries)
			}
			if tt.hasHC && c.Timeout != 3*time.Second {
				t.Errorf("timeout %v, want 3s", c.Timeout)
			}
			if (c.StopTimeout == nil) != (tt.stop == nil) || (tt.stop != nil && *c.StopTimeout != *tt.stop) {
				t.Errorf("stop timeout %v, want %v", c.StopTimeout, tt.stop)
			}
			if c.RestartPolicy != tt.restart || c.NetworkMode != "none" {
				t.Errorf("restart %q network %q", c.RestartPolicy, c.NetworkMode)
			}
			if c.Project != tt.project || c.Service != tt.service {
				t.Errorf("project/service %q/%q, want %q/%q", c.Project, c.Service, tt.project, tt.service)
			}
			if c.StartedAt.IsZero() == tt.startedAt {
				t.Errorf("started at %v", c.StartedAt)
			}
		})
	}
}

func TestInspectManySkipsVanished(t *testing.T) {
	f := fixtureDaemon(t)
	e := New(f.Client())
	list, err := e.List(context.Background(), heal.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var gone string
	for _, c := range list {
		ids = append(ids, c.ID)
		if c.Name == "fx-sick" {
			gone = c.ID
		}
	}
	f.Vanish(gone)
	got, err := e.InspectMany(context.Background(), ids, 2)
	if err != nil {
		t.Fatalf("a vanished container must be skipped, got %v", err)
	}
	if len(got) != len(ids)-1 {
		t.Fatalf("got %d containers, want %d", len(got), len(ids)-1)
	}
	for i, c := range got {
		if c.ID == gone {
			t.Errorf("vanished container returned")
		}
		if !c.Inspected {
			t.Errorf("%s not inspected", c.Name)
		}
		if i > 0 && indexOf(ids, got[i-1].ID) > indexOf(ids, c.ID) {
			t.Errorf("order not kept")
		}
	}
	if _, err := e.Inspect(context.Background(), gone); !IsNotFound(err) || IsUnreachable(err) {
		t.Errorf("Inspect of a vanished container: %v, want a NotFound error", err)
	}
}

func indexOf(s []string, x string) int {
	for i, v := range s {
		if v == x {
			return i
		}
	}
	return -1
}

func TestInspectManyBoundsConcurrency(t *testing.T) {
	f := enginetest.NewFakeDaemon()
	defer f.Close()
	var ids []string
	now := time.Now()
	for i := range 40 {
		id := strings.Repeat(string(rune('a'+i%26)), 8) + strings.Repeat("0", 56)
		id = id[:60] + string(rune('a'+i/26)) + "000"
		f.Add(enginetest.FakeContainer(id, "c"+id[:4]+string(rune('a'+i/26)), "healthy", time.Minute, now, nil))
		ids = append(ids, id)
	}
	f.Delay = 20 * time.Millisecond
	e := New(f.Client())
	start := time.Now()
	got, err := e.InspectMany(context.Background(), ids, 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 40 {
		t.Fatalf("got %d", len(got))
	}
	// 40 inspects of 20ms at 8 at a time take at least 5 rounds; one after
	// another would be 40. This bounds from below only: no timing assertion
	// that a slow machine could break.
	if el := time.Since(start); el < 5*f.Delay {
		t.Errorf("40 inspects took %v: more than 8 at a time?", el)
	}
}

func TestErrorsNameTheEndpoint(t *testing.T) {
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	refused, err := client.New(client.WithHost("tcp://" + addr))
	if err != nil {
		t.Fatal(err)
	}
	denied, err := client.New(client.WithHost("unix:///run/docker-heal-test.sock"), client.WithHTTPClient(&http.Client{Transport: failingTransport{&net.OpError{Op: "dial", Net: "unix", Err: os.ErrPermission}}}))
	if err != nil {
		t.Fatal(err)
	}
	slow := enginetest.NewFakeDaemon()
	defer slow.Close()
	slow.Delay = 2 * time.Second
	broken := enginetest.NewFakeDaemon()
	defer broken.Close()
	broken.FailWith = http.StatusInternalServerError

	tests := []struct {
		name        string
		api         client.APIClient
		timeout     time.Duration
		unreachable bool
		want        []string
	}{
		{"refused", refused, 0, true, []string{"tcp://" + addr, "is the engine running?", "DOCKER_HOST"}},
		{"permission denied", denied, 0, true, []string{"unix:///run/docker-heal-test.sock", "permission denied", "docker group"}},
		{"no answer", slow.Client(), 100 * time.Millisecond, true, []string{slow.Listener.Addr().String(), "no answer in time"}},
		{"server error", broken.Client(), 0, false, []string{"listing containers on tcp://" + broken.Listener.Addr().String(), "fake daemon told to fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(tt.api)
			e.CallTimeout = tt.timeout
			_, err := e.List(context.Background(), heal.ListOptions{})
			if err == nil {
				t.Fatal("no error")
			}
			if IsUnreachable(err) != tt.unreachable {
				t.Errorf("IsUnreachable = %v for %v", !tt.unreachable, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

func TestCallerCancelIsNotUnreachable(t *testing.T) {
	slow := enginetest.NewFakeDaemon()
	defer slow.Close()
	slow.Delay = 2 * time.Second
	e := New(slow.Client())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := e.Inspect(ctx, "whatever")
	if err == nil || IsUnreachable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the caller's deadline, not an unreachable engine", err)
	}
}

func TestRestartAndStopRoundUpTheTimeout(t *testing.T) {
	f := fixtureDaemon(t)
	e := New(f.Client())
	if err := e.Restart(context.Background(), "fx-sick", 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := e.Stop(context.Background(), "fx-healthy", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(f.Restarted) != 1 || !strings.HasSuffix(f.Restarted[0], " t=2") {
		t.Errorf("restarts %v, want one with t=2", f.Restarted)
	}
	if len(f.Stopped) != 1 || !strings.HasSuffix(f.Stopped[0], " t=20") {
		t.Errorf("stops %v, want one with t=20", f.Stopped)
	}
	err := e.Restart(context.Background(), "nope", time.Second)
	if !IsNotFound(err) || !strings.Contains(err.Error(), "restarting container nope") {
		t.Errorf("restart of an unknown container: %v", err)
	}
}

func TestContainerService(t *testing.T) {
	var img image.InspectResponse
	loadJSON(t, "image-app.json", &img)
	truth := true

	svc := ContainerService(loadInspect(t, "fx-healthy"), &img)
	checks := []struct {
		what      string
		got, want any
	}{
		{"kind", svc.Kind, lint.KindContainer},
		{"name", svc.Name, "fx-healthy"},
		{"image", svc.Image, "docker-heal-test-app:latest"},
		{"project", svc.Project, "shop"},
		{"pos", svc.Pos, lint.Position{File: "/srv/shop/compose.yaml"}},
		{"entrypoint", strings.Join(svc.Entrypoint, " "), "/app"},
		{"command", len(svc.Command), 0},
		{"init", svc.Init != nil && *svc.Init == truth, true},
		{"restart", svc.Restart.Name, "unless-stopped"},
		{"memory", svc.MemLimit, int64(64 << 20)},
		{"cpus", svc.CPUs, 0.5},
		{"pids", svc.PidsLimit, int64(100)},
		{"log driver", svc.LogDriver, "json-file"},
		{"max-size", svc.LogOptions["max-size"], "10m"},
		{"ulimit", svc.Ulimits["nofile"], lint.Ulimit{Soft: 1024, Hard: 2048}},
		{"privileged", svc.Privileged, false},
		{"tmpfs", svc.Mounts, []lint.Mount{{Type: "tmpfs", Target: "/cache"}}},
		{"network", svc.NetworkMode, "none"},
		{"swarm", svc.Swarm, false},
		{"service label", svc.Labels["com.docker.compose.service"], "web"},
		{"image healthcheck", strings.Join(svc.ImageConfig.Healthcheck.Argv(), " "), "/app probe"},
		{"image entrypoint", strings.Join(svc.ImageConfig.Entrypoint, " "), "/app"},
		{"image source", svc.ImageConfig.Source, "docker-heal-test-app:latest"},
		{"effective healthcheck", svc.EffectiveHealthcheck().Interval, time.Second},
		{"process", strings.Join(first(svc.Process()), " "), "/app"},
	}
	for _, c := range checks {
		if !equalJSON(c.got, c.want) {
			t.Errorf("fx-healthy %s: got %#v, want %#v", c.what, c.got, c.want)
		}
	}

	priv := ContainerService(loadInspect(t, "fx-priv"), nil)
	if !priv.Privileged || priv.Restart.Name != "no" || priv.MemLimit != 0 || priv.ImageConfig != nil || priv.Pos.File != "" {
		t.Errorf("fx-priv: privileged %v restart %q memory %d image config %v pos %v", priv.Privileged, priv.Restart.Name, priv.MemLimit, priv.ImageConfig, priv.Pos)
	}
	if priv.LogDriver != "json-file" || priv.LogOptions["max-size"] != "" {
		t.Errorf("fx-priv: log %q %v, want json-file without max-size", priv.LogDriver, priv.LogOptions)
	}

	// The engine stores capabilities with the CAP_ prefix, upper case,
	// whatever the user typed.
	hostns := ContainerService(loadInspect(t, "fx-hostns"), nil)
	if got := strings.Join(hostns.CapAdd, " "); got != "CAP_NET_ADMIN CAP_SYS_ADMIN CAP_SYS_PTRACE" {
		t.Errorf("fx-hostns: cap add %q", got)
	}
	if hostns.PidMode != "host" || hostns.IpcMode != "host" || hostns.UsernsMode != "host" || hostns.NetworkMode != "host" {
		t.Errorf("fx-hostns: pid %q ipc %q userns %q network %q, want host for each", hostns.PidMode, hostns.IpcMode, hostns.UsernsMode, hostns.NetworkMode)
	}
	if len(svc.CapAdd) != 0 || svc.PidMode != "" || svc.IpcMode != "private" {
		t.Errorf("fx-healthy: cap add %v pid %q ipc %q, want none, \"\", private", svc.CapAdd, svc.PidMode, svc.IpcMode)
	}

	nohc := ContainerService(loadInspect(t, "fx-nohc"), &img)
	if hc := nohc.EffectiveHealthcheck(); hc == nil || !hc.Disabled {
		t.Errorf("fx-nohc: effective healthcheck %+v, want disabled", hc)
	}
	if strings.Join(nohc.IgnoreRules, ",") != "privileged,init-missing" {
		t.Errorf("fx-nohc: ignore %v", nohc.IgnoreRules)
	}
}

func first(argv []string, _ bool) []string { return argv }

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestContainerServiceCPUQuotaAndSwarm(t *testing.T) {
	ins := loadInspect(t, "fx-priv")
	ins.HostConfig.NanoCPUs = 0
	ins.HostConfig.CPUQuota = 150000
	ins.HostConfig.CPUPeriod = 100000
	ins.Config.Labels = map[string]string{"com.docker.swarm.task.id": "abc", "docker-heal.ignore": " all "}
	svc := ContainerService(ins, nil)
	if svc.CPUs != 1.5 || !svc.Swarm || len(svc.IgnoreRules) != 1 || svc.IgnoreRules[0] != "all" {
		t.Errorf("cpus %v swarm %v ignore %v", svc.CPUs, svc.Swarm, svc.IgnoreRules)
	}
	// Shell-form image instructions are recognised.
	img := &image.InspectResponse{}
	if err := json.Unmarshal([]byte(`{"Id":"sha256:x","Config":{"Cmd":["/bin/sh","-c","exec app"]}}`), img); err != nil {
		t.Fatal(err)
	}
	ic := ContainerService(ins, img).ImageConfig
	if !ic.CmdShell || ic.EntrypointShell || ic.Source != ins.Config.Image {
		t.Errorf("image config %+v: want the image named as the container was created (%s)", ic, ins.Config.Image)
	}
	// Without a name from the container, the image's own tag or id.
	ins.Config.Image = ""
	if ic := ContainerService(ins, img).ImageConfig; ic.Source != "sha256:x" {
		t.Errorf("image config source %q, want the image id", ic.Source)
	}
}

func TestServices(t *testing.T) {
	f := fixtureDaemon(t)
	e := New(f.Client())
	svcs, err := e.Services(context.Background(), nil, 4)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range svcs {
		names = append(names, s.Name)
		if s.ImageConfig == nil {
			t.Errorf("%s: no image config", s.Name)
		}
	}
	if strings.Join(names, " ") != "fx-healthy fx-nohc fx-sick fx-starting" {
		t.Errorf("running containers: %v", names)
	}
	if n := f.CallsTo("GET /images/{id}/json"); n != 1 {
		t.Errorf("%d image inspects for one image, want 1", n)
	}
	named, err := e.Services(context.Background(), []string{"fx-priv"}, 4)
	if err != nil || len(named) != 1 || !named[0].Privileged {
		t.Errorf("named stopped container: %v %v", named, err)
	}
	_, err = e.Services(context.Background(), []string{"fx-priv", "nope"}, 4)
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Name != "nope" {
		t.Errorf("unknown name: %v, want NotFoundError for nope", err)
	}
}

func TestNotFoundIsHealErrNotFound(t *testing.T) {
	f := fixtureDaemon(t)
	_, err := New(f.Client()).Inspect(context.Background(), "gone")
	if !errors.Is(err, heal.ErrNotFound) || !heal.IsNotFound(err) {
		t.Errorf("%v: not heal.ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "inspecting container gone") {
		t.Errorf("error %q does not name the container", err)
	}
}

// `docker rm -f` during a restart: the engine's words (20.10 to 29) make a
// heal.ErrRemoving, so the executor skips the container instead of failing.
func TestRemovalInProgressIsHealErrRemoving(t *testing.T) {
	for code, msg := range map[int]string{
		http.StatusInternalServerError: "Cannot restart container fx-sick: container is marked for removal and cannot be started",
		http.StatusConflict:            "removal of container fx-sick is already in progress",
	} {
		f := fixtureDaemon(t)
		f.RestartError.Code, f.RestartError.Message = code, msg
		err := New(f.Client()).Restart(context.Background(), "fx-sick", time.Second)
		if !errors.Is(err, heal.ErrRemoving) || !heal.IsRemoved(err) || heal.IsNotFound(err) {
			t.Errorf("%d %q: %v is not heal.ErrRemoving", code, msg, err)
		}
		if !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "restarting container fx-sick") {
			t.Errorf("error %q lost the engine's words or the container", err)
		}
	}
	f := fixtureDaemon(t)
	f.RestartError.Code, f.RestartError.Message = http.StatusInternalServerError, "OCI runtime create failed"
	if err := New(f.Client()).Restart(context.Background(), "fx-sick", time.Second); heal.IsRemoved(err) {
		t.Errorf("%v taken for a removal", err)
	}
}
