package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// The four rules issue 3 names for a badly configured container.
var auditBadRules = []string{"log-rotation-missing", "memory-limit-missing", "privileged", "restart-policy-missing"}

// auditFake serves a badly configured container (no limits, restart no,
// json-file without max-size, privileged), a well-configured one created by
// compose, and a Swarm task.
func TestAuditPointsAtTheComposeServiceLine(t *testing.T) {
	dir := t.TempDir()
	composeFile := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(composeFile, []byte("services:\n  db:\n    image: postgres:16\n  web:\n    image: example/web:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := auditFake(t)
	f.Update(statusID(11), func(c *container.InspectResponse) {
		c.Config.Labels["com.docker.compose.project.config_files"] = composeFile
		c.Config.Labels["com.docker.compose.service"] = "web"
	})
	out, _, _ := auditRun(t, f.Client(), auditOptions{findingOptions: findingOptions{format: "json", failOn: "none"}}, "bad")
	var doc auditJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Findings) == 0 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, fd := range doc.Findings {
		if fd.File != composeFile || fd.Line != 4 || fd.Service != "web" {
			t.Errorf("finding %s at %s:%d (service %q), want %s:4, service web", fd.Rule, fd.File, fd.Line, fd.Service, composeFile)
		}
	}
}

func auditFake(t *testing.T) *enginetest.FakeDaemon {
	t.Helper()
	f := enginetest.NewFakeDaemon()
	t.Cleanup(f.Close)
	now := time.Now()
	bad := enginetest.FakeContainer(statusID(11), "bad", "healthy", time.Hour, now, nil)
	bad.HostConfig.Privileged = true

	good := enginetest.FakeContainer(statusID(12), "shop-web-1", "healthy", time.Hour, now, map[string]string{
		"com.docker.compose.project":              "shop",
		"com.docker.compose.service":              "web",
		"com.docker.compose.project.config_files": "/srv/shop/compose.yaml,/srv/shop/compose.prod.yaml",
	})
	wellConfigured(good.HostConfig)

	task := enginetest.FakeContainer(statusID(13), "stack_api.1.xyz", "healthy", time.Hour, now, map[string]string{"com.docker.swarm.task.id": "xyz"})
	wellConfigured(task.HostConfig)
	task.HostConfig.RestartPolicy = container.RestartPolicy{Name: "no"}
	f.Add(bad, good, task)
	return f
}

func wellConfigured(hc *container.HostConfig) {
	hc.RestartPolicy = container.RestartPolicy{Name: "unless-stopped"}
	hc.Memory = 256 << 20
	hc.NanoCPUs = 1e9
	pids := int64(200)
	hc.PidsLimit = &pids
	hc.LogConfig = container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "3"}}
	init := true
	hc.Init = &init
}

type auditJSON struct {
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		File     string `json:"file"`
		Subject  string `json:"subject"`
		Line     int    `json:"line"`
		Service  string `json:"service"`
		Message  string `json:"message"`
	} `json:"findings"`
	Summary struct {
		Files int `json:"files"`
	} `json:"summary"`
}

func auditRun(t *testing.T, api client.APIClient, opts auditOptions, names ...string) (stdout, stderr string, exit int) {
	t.Helper()
	if opts.configDir == "" {
		opts.configDir = t.TempDir() // no .docker-heal.yaml from the developer's tree
	}
	var out, errOut bytes.Buffer
	err := runAudit(context.Background(), &out, &errOut, dockerengine.New(api), opts, names)
	exit = exitCode(&errOut, err)
	return out.String(), errOut.String(), exit
}

func rulesBySubject(t *testing.T, out string) map[string][]string {
	t.Helper()
	var doc auditJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	got := map[string][]string{}
	for _, f := range doc.Findings {
		got[f.Subject] = append(got[f.Subject], f.Rule)
	}
	for k := range got {
		sort.Strings(got[k])
	}
	return got
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestAuditFindsTheBadAndNotTheGood(t *testing.T) {
	f := auditFake(t)
	out, _, exit := auditRun(t, f.Client(), auditOptions{findingOptions: findingOptions{format: "json", failOn: "warning"}})
	if exit != ExitFindings {
		t.Errorf("exit %d, want 1 (--fail-on warning)", exit)
	}
	got := rulesBySubject(t, out)
	for _, id := range auditBadRules {
		if !contains(got["bad"], id) {
			t.Errorf("bad: %s not reported; got %v", id, got["bad"])
		}
		if contains(got["shop-web-1"], id) {
			t.Errorf("shop-web-1 (well configured): %s reported", id)
		}
	}
	// Swarm restarts its tasks: no restart finding on one.
	if contains(got["stack_api.1.xyz"], "restart-policy-missing") {
		t.Errorf("Swarm task: restart-policy-missing reported")
	}
}

func TestAuditNamesComposeFileAndService(t *testing.T) {
	f := auditFake(t)
	out, _, _ := auditRun(t, f.Client(), auditOptions{findingOptions: findingOptions{format: "json", failOn: "none"}}, "shop-web-1")
	var doc auditJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Files != 1 {
		t.Errorf("summary counts %d containers, want 1", doc.Summary.Files)
	}
	for _, fd := range doc.Findings {
		if fd.File != "/srv/shop/compose.yaml" || fd.Service != "web" || fd.Subject != "shop-web-1" {
			t.Errorf("finding %+v: want file /srv/shop/compose.yaml, service web, subject shop-web-1", fd)
		}
	}
}

func TestAuditFlagsAndExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		opts   findingOptions
		names  []string
		exit   int
		stdout []string
		stderr string
	}{
		{"default fail-on error: warnings pass", findingOptions{}, []string{"bad"}, 0, []string{"privileged", "1 container:"}, ""},
		{"fail-on warning", findingOptions{failOn: "warning"}, []string{"bad"}, 1, []string{"memory-limit-missing"}, ""},
		{"only", findingOptions{only: []string{"privileged"}, failOn: "warning", format: "json"}, []string{"bad"}, 1, []string{`"rule": "privileged"`}, ""},
		{"disable all four", findingOptions{disable: []string{strings.Join(auditBadRules, ",")}, format: "json"}, []string{"bad"}, 0, []string{`"files": 1`}, ""},
		{"unknown rule", findingOptions{only: []string{"nope"}}, nil, 2, nil, `unknown rule "nope"`},
		{"unknown format", findingOptions{format: "xml"}, nil, 2, nil, "--format"},
		{"unknown container", findingOptions{}, []string{"bad", "ghost"}, 2, nil, "no such container: ghost"},
		{"swarm note", findingOptions{}, []string{"stack_api.1.xyz"}, 0, nil, "1 container audited as Swarm tasks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := auditFake(t)
			out, errOut, exit := auditRun(t, f.Client(), auditOptions{findingOptions: tt.opts}, tt.names...)
			if exit != tt.exit {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", exit, tt.exit, out, errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout does not say %q:\n%s", s, out)
				}
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not say %q", errOut, tt.stderr)
			}
			if tt.name == "disable all four" && strings.Contains(out, "privileged") {
				t.Errorf("disabled rule reported:\n%s", out)
			}
			if tt.exit == 2 && tt.names == nil && f.Calls() != 0 {
				t.Errorf("a flag error still asked the engine (%d calls)", f.Calls())
			}
		})
	}
}

func TestAuditConfigFile(t *testing.T) {
	f := auditFake(t)
	dir := t.TempDir()
	cfg := "fail-on: warning\nrules:\n  privileged: error\nignore:\n  - service: bad\n    rules: [memory-limit-missing]\n"
	if err := os.WriteFile(filepath.Join(dir, ".docker-heal.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, exit := auditRun(t, f.Client(), auditOptions{configDir: dir, findingOptions: findingOptions{format: "json"}}, "bad")
	if exit != ExitFindings {
		t.Errorf("exit %d, want 1 from the config's fail-on", exit)
	}
	var doc auditJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, fd := range doc.Findings {
		if fd.Rule == "memory-limit-missing" {
			t.Errorf("ignored by the config, still reported")
		}
		if fd.Rule == "privileged" && fd.Severity != "error" {
			t.Errorf("privileged at %s, config says error", fd.Severity)
		}
	}
}

func TestAuditIgnoreLabel(t *testing.T) {
	f := auditFake(t)
	f.Update(statusID(11), func(c *container.InspectResponse) {
		c.Config.Labels["docker-heal.ignore"] = "privileged, memory-limit-missing"
	})
	out, _, _ := auditRun(t, f.Client(), auditOptions{findingOptions: findingOptions{format: "json", failOn: "none"}}, "bad")
	got := rulesBySubject(t, out)["bad"]
	if contains(got, "privileged") || contains(got, "memory-limit-missing") || !contains(got, "log-rotation-missing") {
		t.Errorf("with docker-heal.ignore=privileged,memory-limit-missing: %v", got)
	}
}

func TestAuditEngineUnreachable(t *testing.T) {
	api, addr := unreachableClient(t)
	out, errOut, exit := auditRun(t, api, auditOptions{})
	if exit != ExitError || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "tcp://"+addr) || out != "" {
		t.Errorf("exit %d stdout %q stderr %q: want 2, nothing on stdout, one line naming the endpoint", exit, out, errOut)
	}
}

// issue 16: audit (and lint) take Go templates as docker ps does, through
// docker/cli's formatter.
func TestAuditFormatsThroughDockersFormatter(t *testing.T) {
	f := auditFake(t)
	out, stderr, exit := auditRun(t, f.Client(), auditOptions{findingOptions: findingOptions{formats: []string{`table {{.Subject}}\t{{.Rule}}`}, failOn: "none"}}, "bad")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if exit != 0 || len(lines) < 2 || !strings.HasPrefix(lines[0], "SUBJECT") || strings.Contains(out, `\t`) {
		t.Fatalf("table template: exit %d\n%s%s", exit, out, stderr)
	}
	col := strings.Index(lines[0], "RULE")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "bad ") || len(l) <= col || !slices.Contains(auditBadRules, strings.TrimSpace(l[col:])) && !strings.Contains(l[col:], "-") {
			t.Errorf("row %q: the container, then a rule under RULE, wanted", l)
		}
	}
	out, _, _ = auditRun(t, f.Client(), auditOptions{findingOptions: findingOptions{formats: []string{`{{json .}}`}, failOn: "none"}}, "bad")
	var rules []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var fd struct{ Rule, Subject string }
		if err := json.Unmarshal([]byte(l), &fd); err != nil || fd.Subject != "bad" {
			t.Fatalf("{{json .}} line %q: %v", l, err)
		}
		rules = append(rules, fd.Rule)
	}
	sort.Strings(rules)
	for _, want := range auditBadRules {
		if !slices.Contains(rules, want) {
			t.Errorf("{{json .}} lacks %s: %v", want, rules)
		}
	}
	_, _, exit = auditRun(t, f.Client(), auditOptions{findingOptions: findingOptions{formats: []string{`{{.Nope}}`}, failOn: "none"}}, "bad")
	if exit != 2 {
		t.Errorf("a template naming an unknown field: exit %d, want 2", exit)
	}
}
