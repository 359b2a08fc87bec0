package rules

import (
	"reflect"
	"strings"
	"testing"
)

func TestExecsLast(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   bool
	}{
		{"exec app", true},
		{"set -e; migrate; exec app --port 80", true},
		{"migrate && ./seed && exec app", true},
		{"migrate\nexec app\n", true},
		{"FOO=1 exec app", true},
		{`exec "$@"`, true},
		{"exec -a myapp app", true},
		{"migrate && exec app # start it\n", true},
		{"if true; then echo; fi\nexec \\\n  app", true},
		{"exec app 2>&1", true},
		{"cd /srv;exec app;", true},

		{"app", false},
		{"set -e; migrate; app", false},
		{"migrate && app", false},
		{"exec app | tee log", false},
		{"app | exec tee log", false},
		{"exec app &", false},
		{"exec >/var/log/out 2>&1; app", false},
		{"exec 2>&1", false},
		{"echo 'exec app'", false},
		{`echo "x; exec app"`, false},
		{"(exec app)", false},
		{"", false},
		{"   \n  ", false},
		{"exec app; sleep 1", false},
	} {
		if got := parseShell(tc.script).execsLast(); got != tc.want {
			t.Errorf("execsLast(%q) = %v, want %v", tc.script, got, tc.want)
		}
	}
}

func TestParseShellCommands(t *testing.T) {
	s := parseShell(`A=1 curl -s "http://x/?a=b c" | grep -q 'ok;' && echo "$(date +%s)" > /tmp/t 2>&1; wait`)
	var got [][]string
	var seps []string
	for _, c := range s.commands {
		got = append(got, c.words)
		seps = append(seps, c.before+" "+c.after)
	}
	want := [][]string{{"curl", "-s", "http://x/?a=b c"}, {"grep", "-q", "ok;"}, {"echo", "$(date +%s)"}, {"wait"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("words %q, want %q", got, want)
	}
	if wantSeps := []string{" |", "| &&", "&& ;", "; "}; !reflect.DeepEqual(seps, wantSeps) {
		t.Errorf("separators %q, want %q", seps, wantSeps)
	}
	if !reflect.DeepEqual(s.substitutions, []string{"date +%s"}) {
		t.Errorf("substitutions %q", s.substitutions)
	}
	if s.commands[0].assigns[0] != "A=1" || s.commands[2].redirects != 2 {
		t.Errorf("assigns %q, redirects %d", s.commands[0].assigns, s.commands[2].redirects)
	}
}

// The tokenizer must finish on anything, including unterminated quotes.
func TestParseShellNeverHangs(t *testing.T) {
	for _, s := range []string{`"`, `'`, "`", "$(", "${", `\`, `"$(`, "$((1+", "a >", "&>", "((((", "))))", `"\`} {
		_ = parseShell(s).execsLast()
		_ = parseShell(strings.Repeat(s, 100)).trapsTerm()
	}
}

func TestTrapsTerm(t *testing.T) {
	for script, want := range map[string]bool{
		"trap 'kill -TERM $pid' TERM; app & pid=$!; wait $pid": true,
		"trap 'exit 0' SIGTERM SIGINT; app & wait":             true,
		"trap cleanup 15; app & wait":                          true,
		"trap cleanup EXIT; app":                               false,
		"app; echo trap TERM":                                  false,
	} {
		if got := parseShell(script).trapsTerm(); got != want {
			t.Errorf("trapsTerm(%q) = %v, want %v", script, got, want)
		}
	}
}

func TestShellWrapper(t *testing.T) {
	for _, tc := range []struct {
		argv   []string
		script string
		ok     bool
	}{
		{[]string{"sh", "-c", "app"}, "app", true},
		{[]string{"/bin/sh", "-c", "app", "arg0"}, "app", true},
		{[]string{"/bin/bash", "-euo", "pipefail", "-c", "app"}, "app", true},
		{[]string{"bash", "-lc", "app"}, "app", true},
		{[]string{"bash", "--login", "-c", "app"}, "app", true},
		{[]string{"busybox", "sh", "-c", "app"}, "app", true},
		{[]string{"/usr/bin/dash", "-e", "-c", "app"}, "app", true},
		{[]string{"sh", "/entrypoint.sh"}, "", false},
		{[]string{"sh", "-c"}, "", false},
		{[]string{"python", "-c", "print(1)"}, "", false},
		{[]string{"shellcheck", "-c", "x"}, "", false},
		{nil, "", false},
	} {
		script, _, ok := shellWrapper(tc.argv)
		if ok != tc.ok || script != tc.script {
			t.Errorf("shellWrapper(%q) = %q, %v; want %q, %v", tc.argv, script, ok, tc.script, tc.ok)
		}
	}
}

func TestAfterInit(t *testing.T) {
	for _, tc := range []struct{ argv, want []string }{
		{[]string{"tini", "--", "sh", "-c", "x"}, []string{"sh", "-c", "x"}},
		{[]string{"/sbin/tini", "-s", "-g", "--", "app"}, []string{"app"}},
		{[]string{"dumb-init", "app", "-v"}, []string{"app", "-v"}},
		{[]string{"app", "--", "x"}, []string{"app", "--", "x"}},
		{[]string{"tini"}, nil},
	} {
		if got := afterInit(tc.argv); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("afterInit(%q) = %q, want %q", tc.argv, got, tc.want)
		}
	}
}

func TestCurlFails(t *testing.T) {
	for _, tc := range []struct {
		args string
		want bool
	}{
		{"-f http://x", true},
		{"--fail http://x", true},
		{"--fail-with-body http://x", true},
		{"-fsS http://x", true},
		{"-sf http://x", true},
		{"-sSf -o /dev/null http://x", true},
		{"-o /dev/null -f http://x", true},
		{"http://x", false},
		{"-s http://x", false},
		{"--fail-early http://x", false},
		{"--fail --no-fail http://x", false},
		{"-so /dev/null http://x", false},
		{"-XGET http://x", false},
		{"-H X-f:1 http://x", false},
		{"-o -f http://x", false},
		{"--output -f http://x", false},
		{"-- -f", false},
	} {
		if got := curlFails(strings.Fields(tc.args)); got != tc.want {
			t.Errorf("curlFails(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestExecFormOf(t *testing.T) {
	s := parseShell(`node "/app/server x.js" --port 80`)
	if !s.simple() {
		t.Fatal("a plain command is simple")
	}
	if got, want := execFormOf(s), `["node", "/app/server x.js", "--port", "80"]`; got != want {
		t.Errorf("execFormOf = %s, want %s", got, want)
	}
	for _, script := range []string{"node $APP", "a && b", "app > log", "FOO=1 app", "app &"} {
		if parseShell(script).simple() {
			t.Errorf("%q is not simple", script)
		}
	}
}
