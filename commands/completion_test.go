package commands

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/cli/cli/command"
	cliflags "github.com/docker/cli/cli/flags"

	"github.com/docker-heal/docker-heal/internal/enginetest"
	"github.com/docker-heal/docker-heal/lint/render"
	"github.com/docker-heal/docker-heal/lint/rules"
)

// complete runs cobra's hidden `__completeNoDesc ARGS` on the root command,
// as a shell's completion script does, and returns the offered values.
func complete(t *testing.T, cli *command.DockerCli, args ...string) []string {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRootCommand(cli, "test")
	root.SetArgs(append([]string{"__completeNoDesc"}, args...))
	root.SetOut(&out)
	root.SetErr(&errOut)
	if err := root.Execute(); err != nil {
		t.Fatalf("__complete %v: %v\n%s", args, err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("__complete %v: no directive line:\n%s", args, out.String())
	}
	return lines[:len(lines)-1]
}

func TestCompletionValues(t *testing.T) {
	cli, err := command.NewDockerCli()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rules.All() {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	withPrefix := func(prefix string, ids []string) []string {
		var out []string
		for _, id := range ids {
			out = append(out, prefix+id)
		}
		return out
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"lint", "--format", ""}, render.Formats},
		{[]string{"audit", "--format", ""}, render.Formats},
		{[]string{"lint", "--fail-on", ""}, []string{"error", "warning", "info", "none"}},
		{[]string{"rules", ""}, ids},
		{[]string{"lint", "--only", ""}, ids},
		{[]string{"audit", "--disable", ""}, ids},
		// After a comma, the other ids behind what is already typed.
		{[]string{"lint", "--disable", "privileged,"}, withPrefix("privileged,", slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "privileged" }))},
		{[]string{"status", "--format", ""}, []string{"table", "json"}},
		{[]string{"once", "--log-format", ""}, []string{"text", "json"}},
		{[]string{"lint", "--image-config", ""}, []string{"engine", "registry", "off"}},
	}
	for _, c := range cases {
		got := complete(t, cli, c.args...)
		if !slices.Equal(got, c.want) {
			t.Errorf("complete %q:\n got %v\nwant %v", c.args, got, c.want)
		}
	}
	if got := complete(t, cli, "rules", "privileged", ""); len(got) != 0 {
		t.Errorf("rules takes one id; a second offered %v", got)
	}
}

func TestCompletionContainerNames(t *testing.T) {
	f := enginetest.NewFakeDaemon()
	t.Cleanup(f.Close)
	now := time.Now()
	web := enginetest.FakeContainer(statusID(1), "web", "healthy", time.Hour, now, nil)
	db := enginetest.FakeContainer(statusID(2), "db", "unhealthy", time.Hour, now, nil)
	f.Add(web, db)
	cli, err := command.NewDockerCli(command.WithAPIClient(f.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Initialize(cliflags.NewClientOptions()); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"status", "audit", "reset"} {
		if got := complete(t, cli, cmd, ""); !slices.Equal(got, []string{"db", "web"}) {
			t.Errorf("%s: completed %v, want [db web]", cmd, got)
		}
		// A name already given is not offered again.
		if got := complete(t, cli, cmd, "web", ""); !slices.Equal(got, []string{"db"}) {
			t.Errorf("%s web: completed %v, want [db]", cmd, got)
		}
	}
}

func TestPluginCompletionArgs(t *testing.T) {
	cases := []struct{ in, want string }{
		{"docker-heal heal __complete lint --format", "docker-heal __complete heal lint --format"},
		{"docker-heal heal __completeNoDesc rules", "docker-heal __completeNoDesc heal rules"},
		{"docker-heal --context ci heal __complete lint", "docker-heal --context ci __complete heal lint"},
		{"docker-heal __complete heal lint", "docker-heal __complete heal lint"},
		{"docker-heal heal lint __complete", "docker-heal heal lint __complete"},
		{"docker-heal heal", "docker-heal heal"},
	}
	for _, c := range cases {
		if got := strings.Join(pluginCompletionArgs(strings.Fields(c.in), "heal"), " "); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}
