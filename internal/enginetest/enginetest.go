// Package enginetest is the integration tests' access to a real Docker
// engine: the private one scripts/engine.sh starts, found through DOCKER_HOST.
//
// Tests that use it carry the build tag `integration` and run with
//
//	scripts/engine.sh run go test -tags integration -count=1 ./...
//
// An engine that cannot be reached fails the test, it never skips it. Every
// container is labelled LabelRun=RunID() and removed when its test ends.
//
//	c := enginetest.RunContainer(t, enginetest.Options{Env: []string{"APP_FAIL_AFTER=5"}})
//	enginetest.WaitHealth(t, c.ID, "healthy", 20*time.Second)
//	enginetest.Exec(t, c.ID, "/app", "sicken")
//	enginetest.WaitHealth(t, c.ID, "unhealthy", 20*time.Second)
//
// Only test code may import it.
package enginetest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Image is the test app's image, built from testdata/app once per test process.
const Image = "docker-heal-test-app:latest"

// LabelRun marks every container a test process creates; its value is RunID().
const LabelRun = "docker-heal.test"

// CallTimeout bounds every engine call the helpers make.
const CallTimeout = 60 * time.Second

var (
	runID = fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	seq   atomic.Int64

	clientOnce sync.Once
	apiClient  *client.Client
	clientErr  error

	imageOnce sync.Once
	imageErr  error
)

// RunID identifies this test process; the value of LabelRun on its containers.
func RunID() string { return runID }

// Client returns a client for the engine at DOCKER_HOST, negotiating the API
// version down to the engine's (1.41 for dockerd 20.10). It fails the test
// when DOCKER_HOST is unset or nothing answers there.
func Client(t testing.TB) *client.Client {
	t.Helper()
	clientOnce.Do(func() {
		host := os.Getenv("DOCKER_HOST")
		if host == "" {
			clientErr = fmt.Errorf("DOCKER_HOST is not set: integration tests need a Docker engine; run them with `make test` or `scripts/engine.sh run go test -tags integration ./...`")
			return
		}
		c, err := client.New(client.FromEnv)
		if err != nil {
			clientErr = fmt.Errorf("docker client for %s: %v", host, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
			clientErr = fmt.Errorf("no Docker engine answers at DOCKER_HOST=%s: %v (start one with scripts/engine.sh start, or run via scripts/engine.sh run)", host, err)
			return
		}
		apiClient = c
	})
	if clientErr != nil {
		t.Fatal(clientErr)
	}
	return apiClient
}

func callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), CallTimeout)
}

// appSource is testdata/app of this module, found from this file's path so it
// works from any package's test.
func appSource() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "app")
}

// BuildImage builds Image once per process: the app compiled statically into
// a temporary context with testdata/app/Dockerfile, built by the engine's
// classic builder (no registry, no BuildKit session needed).
func BuildImage(t testing.TB) string {
	t.Helper()
	cli := Client(t)
	imageOnce.Do(func() { imageErr = buildImage(cli) })
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return Image
}

func buildImage(cli *client.Client) error {
	src := appSource()
	tmp, err := os.MkdirTemp("", "docker-heal-app-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "app")
	gobuild := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	gobuild.Dir = src
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := gobuild.CombinedOutput(); err != nil {
		return fmt.Errorf("building the test app in %s: %v\n%s", src, err, out)
	}
	dockerfile, err := os.ReadFile(filepath.Join(src, "Dockerfile"))
	if err != nil {
		return err
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, dockerfile}, {"app", 0o755, binary}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags:        []string{Image},
		Version:     build.BuilderV1,
		Remove:      true,
		ForceRemove: true,
		NetworkMode: "none",
		Labels:      map[string]string{LabelRun: "image"},
	})
	if err != nil {
		return fmt.Errorf("building %s on %s: %v", Image, cli.DaemonHost(), err)
	}
	defer res.Body.Close()
	// The build reports failure inside its JSON stream, not as an HTTP error.
	dec := json.NewDecoder(res.Body)
	var log strings.Builder
	for {
		var msg struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("reading the build of %s: %v", Image, err)
		}
		log.WriteString(msg.Stream)
		if msg.Error != "" {
			return fmt.Errorf("building %s: %s\n%s", Image, msg.Error, log.String())
		}
	}
	return nil
}

// Options describe a test container. The zero value runs the app image with
// its own healthcheck (probe every second), no network, default restart
// policy and logging.
type Options struct {
	Name   string            // default: a unique dh-test-<run>-<n>
	Labels map[string]string // added to LabelRun
	Env    []string          // e.g. APP_FAIL_AFTER=5, APP_IGNORE_SIGTERM=1, APP_SLOW_STOP=3
	Cmd    []string          // arguments to /app (default: serve)
	// Healthcheck overrides the image's; use NoHealthcheck for none.
	Healthcheck *container.HealthConfig
	Restart     container.RestartPolicyMode // "", no, always, unless-stopped, on-failure
	MaxRetries  int
	Memory      int64 // bytes
	MemorySwap  int64
	NanoCPUs    int64
	PidsLimit   *int64
	LogDriver   string
	LogOptions  map[string]string
	Ulimits     []*container.Ulimit
	Init        *bool
	Privileged  bool
	CapAdd      []string
	PidMode     string // "host" shares the host's PID namespace
	IpcMode     string
	User        string
	StopTimeout *int   // seconds
	NetworkMode string // default "none"; "container:<id>" shares another's
	NoStart     bool   // create only
}

// NoHealthcheck disables the image's healthcheck (--no-healthcheck).
var NoHealthcheck = &container.HealthConfig{Test: []string{"NONE"}}

// Container is a created test container.
type Container struct {
	ID   string
	Name string
}

// RunContainer creates and starts a container from the app image; the test's
// cleanup removes it (forced, so a stopped, sick or SIGTERM-ignoring one goes too).
func RunContainer(t testing.TB, opts Options) Container {
	t.Helper()
	cli := Client(t)
	BuildImage(t)
	name := opts.Name
	if name == "" {
		name = fmt.Sprintf("dh-test-%s-%d", runID, seq.Add(1))
	}
	labels := map[string]string{LabelRun: runID}
	for k, v := range opts.Labels {
		labels[k] = v
	}
	network := opts.NetworkMode
	if network == "" {
		network = "none"
	}
	cfg := &container.Config{
		Image:       Image,
		Cmd:         opts.Cmd,
		Env:         opts.Env,
		Labels:      labels,
		Healthcheck: opts.Healthcheck,
		StopTimeout: opts.StopTimeout,
		User:        opts.User,
	}
	host := &container.HostConfig{
		NetworkMode:   container.NetworkMode(network),
		RestartPolicy: container.RestartPolicy{Name: opts.Restart, MaximumRetryCount: opts.MaxRetries},
		LogConfig:     container.LogConfig{Type: opts.LogDriver, Config: opts.LogOptions},
		Init:          opts.Init,
		Privileged:    opts.Privileged,
		CapAdd:        opts.CapAdd,
		PidMode:       container.PidMode(opts.PidMode),
		IpcMode:       container.IpcMode(opts.IpcMode),
		Resources: container.Resources{
			Memory:     opts.Memory,
			MemorySwap: opts.MemorySwap,
			NanoCPUs:   opts.NanoCPUs,
			PidsLimit:  opts.PidsLimit,
			Ulimits:    opts.Ulimits,
		},
	}
	ctx, cancel := callCtx()
	defer cancel()
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: host})
	if err != nil {
		t.Fatalf("creating container %s: %v", name, err)
	}
	t.Cleanup(func() { Remove(t, created.ID) })
	if !opts.NoStart {
		if _, err := cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("starting container %s: %v", name, err)
		}
	}
	return Container{ID: created.ID, Name: name}
}

// Remove force-removes a container; one already gone is fine.
func Remove(t testing.TB, id string) {
	t.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	_, err := Client(t).ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !strings.Contains(strings.ToLower(err.Error()), "no such container") {
		t.Errorf("removing container %s: %v", id, err)
	}
}

// Inspect returns the engine's view of a container.
func Inspect(t testing.TB, id string) container.InspectResponse {
	t.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	res, err := Client(t).ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspecting container %s: %v", id, err)
	}
	return res.Container
}

// Health returns the container's health status: none, starting, healthy or unhealthy.
func Health(t testing.TB, id string) string {
	t.Helper()
	st := Inspect(t, id).State
	if st == nil || st.Health == nil {
		return string(container.NoHealthcheck)
	}
	return string(st.Health.Status)
}

// WaitHealth polls until the container's health is want, failing the test
// after timeout with the last probe results.
func WaitHealth(t testing.TB, id, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := Inspect(t, id)
		status, log := string(container.NoHealthcheck), ""
		if got.State != nil && got.State.Health != nil {
			status = string(got.State.Health.Status)
			for _, p := range got.State.Health.Log {
				log += fmt.Sprintf("\n  exit %d: %s", p.ExitCode, strings.TrimSpace(p.Output))
			}
		}
		if status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: health still %q after %v, want %q; last probes:%s", got.Name, status, timeout, want, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Exec runs argv in the container and returns its exit code and combined
// output; it fails the test only when the exec cannot be run at all.
func Exec(t testing.TB, id string, argv ...string) (int, string) {
	t.Helper()
	cli := Client(t)
	ctx, cancel := callCtx()
	defer cancel()
	ex, err := cli.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: argv, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatalf("exec %v in %s: %v", argv, id, err)
	}
	att, err := cli.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatalf("exec %v in %s: attach: %v", argv, id, err)
	}
	var out bytes.Buffer
	_, err = stdcopy.StdCopy(&out, &out, att.Reader)
	att.Close()
	if err != nil {
		t.Fatalf("exec %v in %s: reading output: %v", argv, id, err)
	}
	for {
		res, err := cli.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
		if err != nil {
			t.Fatalf("exec %v in %s: inspect: %v", argv, id, err)
		}
		if !res.Running {
			return res.ExitCode, out.String()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MustExec is Exec that fails the test unless argv exits 0.
func MustExec(t testing.TB, id string, argv ...string) string {
	t.Helper()
	code, out := Exec(t, id, argv...)
	if code != 0 {
		t.Fatalf("exec %v in %s: exit %d: %s", argv, id, code, out)
	}
	return out
}
