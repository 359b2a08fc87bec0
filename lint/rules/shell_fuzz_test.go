package rules

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseShell feeds the tokenizer arbitrary scripts, as compose files and
// Dockerfiles from anywhere give it: it must never panic nor hang, must be
// deterministic, and what it reports must hold together.
func FuzzParseShell(f *testing.F) {
	for _, seed := range []string{
		"exec app",
		`set -e; migrate && exec app "$@"`,
		`A=1 curl -s "http://x/?a=b c" | grep -q 'ok;' && echo "$(date +%s)" > /tmp/t 2>&1; wait`,
		"trap 'kill -TERM $pid' TERM; app & pid=$!; wait $pid",
		"if [ -f /x ]; then exec a; else exec b; fi",
		"echo `date` $(( 1 + 2 )) ${X:-y} $(echo $(echo nested))",
		"unterminated 'quote",
		"unterminated \"quote $(sub",
		"a \\\n b # comment\n exec c",
		"'", "\"", "`", "$(", "\\", "${", "<<EOF\nx\nEOF",
		"exec 2>&1 >/dev/null",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, script string) {
		s := parseShell(script)
		if again := parseShell(script); !reflect.DeepEqual(s, again) {
			t.Fatalf("parseShell(%q) is not deterministic", script)
		}
		for i, c := range s.commands {
			if len(c.words) == 0 && len(c.assigns) == 0 && c.redirects == 0 {
				t.Fatalf("parseShell(%q): command %d is empty: %+v", script, i, c)
			}
			if c.redirects < 0 {
				t.Fatalf("parseShell(%q): command %d has %d redirections", script, i, c.redirects)
			}
		}
		last := s.last()
		if (last == nil) != (len(s.commands) == 0) {
			t.Fatalf("parseShell(%q): last() = %v with %d commands", script, last, len(s.commands))
		}
		if s.execsLast() && (last == nil || len(last.words) == 0) {
			t.Fatalf("parseShell(%q): execsLast with no last command", script)
		}
		s.trapsTerm()
		if s.simple() && utf8.ValidString(script) {
			// A simple script is one command whose words the exec form can
			// say: rendering it must give a JSON array of those words.
			form := execFormOf(s)
			if !strings.HasPrefix(form, "[") || !strings.HasSuffix(form, "]") {
				t.Fatalf("execFormOf(%q) = %s", script, form)
			}
		}
		// The wrappers built around the script read it back as the script
		// (one that starts like an option is read as one, as sh does).
		if strings.HasPrefix(script, "-") || strings.HasPrefix(script, "+") {
			return
		}
		for _, argv := range [][]string{
			{"sh", "-c", script},
			{"/bin/bash", "-euo", "pipefail", "-c", script},
			{"tini", "--", "sh", "-ec", script},
		} {
			got, _, ok := shellWrapper(afterInit(argv))
			if !ok || got != script {
				t.Fatalf("shellWrapper(%q) = %q, %v; want the script back", argv, got, ok)
			}
			wrapperProblem(argv, false)
		}
	})
}
