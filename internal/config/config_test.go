package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/lint"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".docker-heal.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfig(t *testing.T) {
	path := writeConfig(t, "fail-on: warning\nrules:\n  init-missing: off\nheal:\n  all: true\n  max-restarts: 7\n  window: 2h\n  backoff: 30s\n  backoff-max: 10m\n  lock-timeout: 1m\n  webhooks: [http://127.0.0.1:9/x]\n")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cfg.Policy()
	if err != nil {
		t.Fatal(err)
	}
	if !p.All || p.MaxRestarts != 7 || p.Window != 2*time.Hour || p.Backoff != 30*time.Second || p.BackoffMax != 10*time.Minute || p.Concurrency != 4 {
		t.Errorf("policy %+v", p)
	}
	var got []string
	for _, v := range cfg.FlagValues("heal") {
		got = append(got, v.Flag+"="+strings.Join(v.Values, ",")+"@"+v.At)
	}
	want := []string{"all=true@" + path + ":5", "lock-timeout=1m@" + path + ":10", "max-restarts=7@" + path + ":6",
		"backoff=30s@" + path + ":8", "webhook=http://127.0.0.1:9/x@" + path + ":11", "window=2h@" + path + ":7"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("flag values\n got %v\nwant %v", got, want)
	}
	if top := cfg.FlagValues(""); len(top) != 1 || top[0].Flag != "fail-on" || top[0].Values[0] != "warning" {
		t.Errorf("top-level flag values %+v", top)
	}

	for content, want := range map[string]string{
		"heal:\n  max-restart: 3\n":       ":2: unknown key \"max-restart\" under heal",
		"heal:\n  window: soon\n":         ":2: heal.window",
		"heal: [1, 2]\n":                  ":1: heal must be a mapping",
		"fail_on: error\n":                ":1: unknown key \"fail_on\"; did you mean \"fail-on\"?",
		"fialure: error\n":                ":1: unknown key \"fialure\" (known: fail-on, format, heal, ignore, image-config, rules)",
		"ignore:\n  - paht: x/**\n":       ":2: unknown key \"paht\" under ignore[0]",
		"fail-on: critical\n":             ":1: fail-on",
		"heal:\n  max-restarts: many\n":   "max-restarts",
		"heal:\n  webhooks: http://x\n":   ":2: heal.webhooks must be a list",
		"rules: [a]\n":                    ":1: rules must be a mapping",
		"heal:\n  stop-timeout: -1s\n":    ":2: heal.stop-timeout",
		"ignore:\n  - rules: [all]\n":     "ignore entry 1 needs a path or a service",
		"ignore:\n  - path: \"[\"\n":      "bad path pattern",
		"heal:\n  all: [true]\n":          ":2: heal.all must be a single value",
		"heal:\n  concurrency: 2\nx: 1\n": ":3: unknown key \"x\"",
	} {
		path := writeConfig(t, content)
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: %v, want an error naming %s and %q", content, err, path, want)
		}
	}
	if cfg, err := Load(writeConfig(t, "fail-on: error\n")); err != nil || cfg.Heal.MaxRestarts != nil {
		t.Errorf("no heal section: %+v %v", cfg, err)
	}
	if cfg, err := Load(writeConfig(t, "")); err != nil || cfg.Path == "" {
		t.Errorf("empty file: %+v %v", cfg, err)
	}
}

func TestLintSide(t *testing.T) {
	known := map[string]bool{"init-missing": true, "restart-always": true}
	cfg, err := Load(writeConfig(t, "fail-on: info\nrules:\n  init-missing: off\n  restart-always: warning\nignore:\n  - service: db\n    rules: [restart-always]\n"))
	if err != nil {
		t.Fatal(err)
	}
	lc, err := cfg.Lint(known)
	if err != nil {
		t.Fatal(err)
	}
	if sev, ok := lc.SeverityOf("restart-always"); !lc.Disabled("init-missing") || !ok || sev != lint.SeverityWarning ||
		!lc.Ignored("restart-always", "", "db") || lc.FailOn != "info" {
		t.Errorf("lint config %+v", lc)
	}
	for content, want := range map[string]string{
		"rules:\n  init-missing: off\n  not-a-rule: off\n": ":3: rules.not-a-rule: unknown rule \"not-a-rule\"",
		"rules:\n  init-missing: loud\n":                   ":2: rules.init-missing",
		"ignore:\n  - service: db\n    rules: [nope]\n":    "unknown rule \"nope\"",
	} {
		path := writeConfig(t, content)
		cfg, err := Load(path)
		if err == nil {
			_, err = cfg.Lint(known)
		}
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: %v, want an error naming %s and %q", content, err, path, want)
		}
	}
}

func TestKeys(t *testing.T) {
	keys := Keys()
	for _, want := range []string{"fail-on", "format", "rules", "rules.*", "ignore", "ignore[].path", "ignore[].service", "ignore[].rules",
		"heal", "heal.all", "heal.window", "heal.backoff-max", "heal.webhooks", "heal.webhook-timeout", "heal.state-file"} {
		if !slices.Contains(keys, want) {
			t.Errorf("Keys() lacks %s: %v", want, keys)
		}
	}
	if !slices.IsSorted(keys) {
		t.Errorf("Keys() not sorted: %v", keys)
	}
	// Every key Keys lists is accepted by Load.
	var b strings.Builder
	b.WriteString("fail-on: error\nformat: text\nrules:\n  some-rule: off\nignore:\n  - path: a/**\n    service: web\n    rules: [all]\nheal:\n")
	n := 0
	for _, k := range keys {
		name, ok := strings.CutPrefix(k, "heal.")
		if !ok {
			continue
		}
		n++
		switch name {
		case "all":
			b.WriteString("  all: true\n")
		case "webhooks":
			b.WriteString("  webhooks: [http://127.0.0.1:9/]\n")
		case "notify":
			b.WriteString("  notify: [ntfy://ntfy.example/topic]\n")
		case "listen":
			b.WriteString("  listen: 127.0.0.1:9580\n")
		case "max-restarts", "max-per-run", "concurrency":
			b.WriteString("  " + name + ": 2\n")
		case "state-file", "audit-log", "metrics-file":
			b.WriteString("  " + name + ": /tmp/x\n")
		default:
			b.WriteString("  " + name + ": 1m\n")
		}
	}
	if _, err := Load(writeConfig(t, b.String())); err != nil || n != 21 {
		t.Errorf("a file with every key (%d heal keys): %v\n%s", n, err, b.String())
	}
}

func TestHostPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	system := filepath.Join(dir, "etc", "config.yaml")
	for _, root := range []bool{false, true} {
		if p, err := hostPath("", root, system); err != nil || p != "" {
			t.Errorf("root %v, no file: %q %v", root, p, err)
		}
	}
	user := filepath.Join(dir, "docker-heal", "config.yaml")
	for _, p := range []string{user, system} {
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, []byte("heal:\n  all: true\n"), 0o600)
	}
	if p, err := hostPath("", false, system); err != nil || p != user {
		t.Errorf("user: %q %v, want %s", p, err, user)
	}
	if p, err := hostPath("", true, system); err != nil || p != system {
		t.Errorf("root: %q %v, want %s", p, err, system)
	}
	explicit := writeConfig(t, "heal:\n  all: false\n")
	if p, err := hostPath(explicit, true, system); err != nil || p != explicit {
		t.Errorf("--config: %q %v", p, err)
	}
	if _, err := HostPath(filepath.Join(dir, "nope.yaml")); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("explicit missing file: %v", err)
	}
	f, err := LoadHost(user)
	if p, _ := f.Policy(); err != nil || !p.All {
		t.Errorf("LoadHost: %+v %v", p, err)
	}
}

func TestNearest(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	os.MkdirAll(deep, 0o755)
	os.WriteFile(filepath.Join(root, FileName), nil, 0o600)
	if got := Nearest(deep); got != filepath.Join(root, FileName) {
		t.Errorf("Nearest %q", got)
	}
	// A directory by that name is no config, but no reason to ignore it
	// either: loading it is an error naming it.
	dirConfig := filepath.Join(deep, FileName)
	os.Mkdir(dirConfig, 0o755)
	if got := Nearest(deep); got != dirConfig {
		t.Errorf("Nearest with a directory %s: %q", dirConfig, got)
	}
	if _, err := Load(dirConfig); err == nil || !strings.Contains(err.Error(), dirConfig) || !strings.Contains(err.Error(), "directory") {
		t.Errorf("Load of a directory: %v", err)
	}
	os.Remove(dirConfig)
	os.Symlink(filepath.Join(root, "gone.yaml"), dirConfig)
	if got := Nearest(deep); got != dirConfig {
		t.Errorf("Nearest with a dangling symlink %s: %q", dirConfig, got)
	}
	if _, err := Load(dirConfig); err == nil || !strings.Contains(err.Error(), dirConfig) {
		t.Errorf("Load of a dangling symlink: %v", err)
	}
}

func TestHostPathDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	user := filepath.Join(dir, "docker-heal", "config.yaml")
	os.MkdirAll(user, 0o700)
	p, err := hostPath("", false, filepath.Join(dir, "etc", "config.yaml"))
	if err != nil || p != user {
		t.Fatalf("hostPath with %s a directory: %q %v, want it", user, p, err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), user) {
		t.Errorf("Load of %s, a directory: %v, want an error naming it", user, err)
	}
}

// Every mistake at once, in file order, each at its line, with a guess for
// a misspelt key or rule id.
func TestLoadReportsEveryMistakeInFileOrder(t *testing.T) {
	path := writeConfig(t, "heal:\n  window: soon\n  max-restart: 3\nrules:\n  init-mising: off\n  privileged: loud\nfail-on: warnin\nignore:\n  - path: x/**\n    rules: [cpu-limit-mising]\n")
	_, err := LoadFor(path, map[string]bool{"init-missing": true, "privileged": true, "cpu-limit-missing": true})
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("%v (%T), want config.Errors", err, err)
	}
	want := []string{
		path + `:2: heal.window: "soon" is not a duration like 30s, 5m or 1h`,
		path + `:3: unknown key "max-restart" under heal; did you mean "max-restarts"?`,
		path + `:5: rules.init-mising: unknown rule "init-mising"; did you mean "init-missing"?`,
		path + `:6: rules.privileged: unknown severity "loud": use error, warning, info or none (or off/on)`,
		path + `:7: fail-on: unknown severity "warnin": use error, warning, info or none`,
		path + `:10: ignore entry 1: unknown rule "cpu-limit-mising"; did you mean "cpu-limit-missing"?`,
	}
	var got []string
	for _, e := range errs {
		got = append(got, strings.TrimPrefix(e.Error(), "config "))
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors\n got %q\nwant %q", got, want)
	}
	if strings.Count(err.Error(), "\n") != len(want)-1 {
		t.Errorf("not one error a line:\n%s", err)
	}
}

// The four mistakes of the issue: four errors, in line order.
func TestFourMistakesFourErrors(t *testing.T) {
	path := writeConfig(t, "fail_on: error\nrules:\n  init-mising: off\nheal:\n  max-restarts: many\n  window: soon\n")
	_, err := LoadFor(path, map[string]bool{"init-missing": true})
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 4 {
		t.Fatalf("%v: want 4 errors", err)
	}
	for i, line := range []int{1, 3, 5, 6} {
		if errs[i].Line != line {
			t.Errorf("error %d at line %d, want %d: %v", i, errs[i].Line, line, errs[i])
		}
	}
}

// A YAML syntax error names file:line as the file's other mistakes do, so an
// editor jumps to it.
func TestSyntaxErrorNamesItsLine(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"fail-on: warning\nrules:\n  init-missing: off\nformat: [\n", ":4: "},
		{"\t- bad\n", ":1: "},
		{"fail-on: warning\nheal:\n  all: true\n   max-restarts: 5\n", ":4: "},
	} {
		path := filepath.Join(t.TempDir(), ".docker-heal.yaml")
		if err := os.WriteFile(path, []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), "config "+path+tc.want) || strings.Contains(err.Error(), "line ") {
			t.Errorf("%q: %v, want config %s%s...", tc.src, err, path, tc.want)
		}
	}
}

// Mistakes on one line (a flow mapping of rules) come out in one order, run
// after run: the rules map's iteration order must not reach the message.
func TestMistakesOnOneLineInKeyOrder(t *testing.T) {
	path := writeConfig(t, "rules: {zz-nope: off, aa-nope: off, mm-nope: off, privileged: loud, init-missing: noisy}\n")
	known := map[string]bool{"init-missing": true, "privileged": true}
	var first string
	for i := 0; i < 30; i++ {
		_, err := LoadFor(path, known)
		if err == nil {
			t.Fatal("no error")
		}
		if i == 0 {
			first = err.Error()
			continue
		}
		if err.Error() != first {
			t.Fatalf("run %d differs:\n%s\nfirst:\n%s", i, err, first)
		}
	}
	if !(strings.Index(first, "aa-nope") < strings.Index(first, "mm-nope") && strings.Index(first, "mm-nope") < strings.Index(first, "zz-nope")) {
		t.Errorf("unknown rules not in key order:\n%s", first)
	}
}
