package commands

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/streams"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/heal/store"
)

// runStandalone runs `docker-heal ARGS...` in this process, as Main does
// standalone, and returns its exit code and stderr. A broken engine
// configuration that reached dockerCli.Client() would os.Exit(1) and kill
// the test binary: that failure is loud too.
func runStandalone(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	dockerCli, err := command.NewDockerCli(
		command.WithOutputStream(&out), command.WithErrorStream(&errOut),
		command.WithInputStream(streams.NewIn(nopReadCloser{})))
	if err != nil {
		t.Fatal(err)
	}
	root := newStandaloneCommand(dockerCli, "test")
	root.SetArgs(args)
	code := exitCode(&errOut, root.Execute())
	return code, errOut.String()
}

type nopReadCloser struct{}

func (nopReadCloser) Read([]byte) (int, error) { return 0, nil }
func (nopReadCloser) Close() error             { return nil }

func TestBrokenEngineConfigurationExits2NamingTheEndpoint(t *testing.T) {
	// Contexts are looked up under the client config folder: an empty one.
	config.SetDir(t.TempDir())
	t.Setenv("DOCKER_CONTEXT", "")
	state := filepath.Join(t.TempDir(), "state.json")
	cases := []struct {
		name      string
		env       map[string]string
		flags     []string
		endpoint  string
		wantWords []string
	}{
		{name: "malformed DOCKER_HOST", env: map[string]string{"DOCKER_HOST": "tcp://bad_host:x"},
			endpoint: "tcp://bad_host:x", wantWords: []string{"invalid port", "fix DOCKER_HOST or --host"}},
		{name: "unknown scheme in DOCKER_HOST", env: map[string]string{"DOCKER_HOST": "foo://bar"},
			endpoint: "foo://bar", wantWords: []string{"invalid bind address", "fix DOCKER_HOST"}},
		{name: "malformed --host", flags: []string{"--host", "tcp://x:y"},
			endpoint: "tcp://x:y", wantWords: []string{"invalid port"}},
		{name: "unknown context", env: map[string]string{"DOCKER_CONTEXT": "nope"},
			endpoint: `context "nope"`, wantWords: []string{"no such context", "docker context ls"}},
		{name: "unknown --context", flags: []string{"--context", "gone"},
			endpoint: `context "gone"`, wantWords: []string{"no such context"}},
		{name: "TLS files missing", flags: []string{"--host", "tcp://127.0.0.1:2376", "--tlsverify", "--tlscacert", "/nonexistent/ca.pem"},
			endpoint: "tcp://127.0.0.1:2376", wantWords: []string{"TLS files", "/nonexistent/ca.pem", "--tlscacert"}},
	}
	commands := [][]string{
		{"status"},
		{"status", "--wait", "--timeout", "1s"},
		{"audit"},
		{"once", "--state-file", state},
		{"once", "--dry-run", "--state-file", state},
		{"watch", "--state-file", state},
	}
	for _, tc := range cases {
		for _, cmd := range commands {
			t.Run(tc.name+"/"+strings.Join(cmd, " "), func(t *testing.T) {
				t.Setenv("DOCKER_HOST", "")
				for k, v := range tc.env {
					t.Setenv(k, v)
				}
				code, stderr := runStandalone(t, append(append([]string{}, tc.flags...), cmd...)...)
				if code != ExitError {
					t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
				}
				if n := strings.Count(stderr, "\n"); n != 1 {
					t.Errorf("%d lines on stderr, want one:\n%s", n, stderr)
				}
				if !strings.Contains(stderr, "cannot use the Docker engine at "+tc.endpoint+": ") {
					t.Errorf("stderr does not name the endpoint %s:\n%s", tc.endpoint, stderr)
				}
				for _, w := range tc.wantWords {
					if !strings.Contains(stderr, w) {
						t.Errorf("stderr does not say %q:\n%s", w, stderr)
					}
				}
			})
		}
	}
}

// reset changes only the state file: a broken engine configuration does not
// stop an operator from closing a circuit.
func TestResetNeedsNoEngine(t *testing.T) {
	config.SetDir(t.TempDir())
	t.Setenv("DOCKER_HOST", "tcp://bad_host:x")
	state := filepath.Join(t.TempDir(), "state.json")
	st := heal.NewState()
	st.Containers["id-web"] = &heal.Entry{Name: "web", CircuitOpen: true}
	if err := store.SaveState(state, st, onceT0); err != nil {
		t.Fatal(err)
	}
	if code, stderr := runStandalone(t, "reset", "--state-file", state, "web"); code != ExitOK {
		t.Errorf("reset: exit %d: %s", code, stderr)
	}
}

// lint asks the engine for image configs only when it can: a broken engine
// configuration leaves images unknown, it does not end the run.
func TestLintWithBrokenEngineConfiguration(t *testing.T) {
	config.SetDir(t.TempDir())
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    image: nginx:1.27\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range []map[string]string{{"DOCKER_HOST": "tcp://bad_host:x"}, {"DOCKER_CONTEXT": "nope"}} {
		t.Setenv("DOCKER_HOST", "")
		t.Setenv("DOCKER_CONTEXT", "")
		for k, v := range env {
			t.Setenv(k, v)
		}
		if code, stderr := runStandalone(t, "lint", "--fail-on", "none", "--image-config", "engine", dir); code != ExitOK {
			t.Errorf("%v: lint exit %d: %s", env, code, stderr)
		}
	}
}

// A password in the endpoint (ssh://user:PW@host, which the CLI refuses, or
// tcp://) is never printed; the user and host are, so the error still says where.
func TestEndpointPasswordIsNeverPrinted(t *testing.T) {
	config.SetDir(t.TempDir())
	t.Setenv("DOCKER_CONTEXT", "")
	state := filepath.Join(t.TempDir(), "state.json")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{
		"ssh://user:s3cretPW@nonexistent.invalid",
		"ssh://user:s3cretPW@nonexistent.invalid:22x",
		"tcp://user:s3cretPW@bad_host:x",
	} {
		for _, cmd := range [][]string{{"status"}, {"audit"}, {"once", "--state-file", state}, {"watch", "--state-file", state}, {"lint", dir}} {
			t.Run(host+"/"+cmd[0], func(t *testing.T) {
				t.Setenv("DOCKER_HOST", host)
				_, stderr := runStandalone(t, cmd...)
				if strings.Contains(stderr, "s3cretPW") {
					t.Errorf("stderr prints the password:\n%s", stderr)
				}
				if cmd[0] != "lint" && !strings.Contains(stderr, "user:xxxxx@") {
					t.Errorf("stderr does not name the endpoint, redacted:\n%s", stderr)
				}
			})
		}
	}
}
