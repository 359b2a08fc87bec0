package rules

import (
	"encoding/json"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
	"go.yaml.in/yaml/v4"
)

// HealthcheckCurlNoFail finds a probe that runs curl without --fail: curl
// exits 0 on any HTTP response, 500 included, so the check passes while the
// app is failing.
var HealthcheckCurlNoFail = lint.Rule{
	ID:              "healthcheck-curl-no-fail",
	Severity:        lint.SeverityError,
	Scope:           lint.ScopeDockerfile | lint.ScopeCompose | lint.ScopeContainer,
	Summary:         "probe runs curl without `-f`/`--fail`/`--fail-with-body`: it passes on HTTP 500",
	CheckDockerfile: curlNoFailDockerfile,
	CheckService:    curlNoFailService,
	Fix:             "safe",
}

// Every HEALTHCHECK instruction is checked, in every stage: each one written
// is a probe someone may build.
func curlNoFailDockerfile(r *lint.Report, df *lint.Dockerfile) {
	for _, st := range df.Stages {
		for _, in := range st.Instructions {
			if in.Healthcheck != nil && curlWithoutFail(in.Healthcheck) {
				r.Add(in.Pos, st.Subject(), "the HEALTHCHECK runs curl without --fail: curl exits 0 on HTTP 500, so the check passes while the app fails; add -f (curl -fsS ...)")
				r.Fix(curlFixDockerfile(df, in))
			}
		}
	}
}

// A compose service is checked on the test it writes itself; a test it
// inherits from a local Dockerfile is reported there. A container is checked
// on the healthcheck in force.
func curlNoFailService(r *lint.Report, svc *lint.Service) {
	hc := svc.Healthcheck
	if isContainer(svc) {
		hc = svc.EffectiveHealthcheck()
	}
	if hc == nil || len(hc.Test) == 0 || !curlWithoutFail(hc) {
		return
	}
	pos := svc.Pos
	if !isContainer(svc) {
		pos = svc.At("healthcheck.test", "healthcheck")
	}
	r.Add(pos, svc.Name, "the healthcheck runs curl without --fail: curl exits 0 on HTTP 500, so the check passes while the app fails; add -f (curl -fsS ...)")
	if !isContainer(svc) {
		r.Fix(curlFixService(svc))
	}
}

const curlFixDescription = "add -f to the healthcheck's curl"

// curlFixService adds -f to the curl of the test the service writes: a
// word in a shell test (test: curl ..., ["CMD-SHELL", "curl ..."]), an item
// after "curl" in an exec list (["CMD", "curl", "-f", ...]), quoted as the
// next item is.
func curlFixService(svc *lint.Service) *lint.Fix {
	e := svc.Edit()
	n, file := e.Node("healthcheck.test")
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		start, ok := e.ScalarAt(file, n)
		if !ok {
			return nil
		}
		for _, at := range curlFailInserts(n.Value) {
			e.Insert(file, start+at, " -f")
		}
		return e.Fix(curlFixDescription, false)
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) < 2 {
		return nil
	}
	switch strings.ToUpper(n.Content[0].Value) {
	case "CMD-SHELL":
		if len(n.Content) != 2 {
			return nil
		}
		item := n.Content[1]
		start, ok := e.ScalarAt(file, item)
		if !ok {
			return nil
		}
		for _, at := range curlFailInserts(item.Value) {
			e.Insert(file, start+at, " -f")
		}
	case "CMD":
		words := make([]string, 0, len(n.Content)-1)
		for _, c := range n.Content[1:] {
			if c.Kind != yaml.ScalarNode {
				return nil
			}
			words = append(words, c.Value)
		}
		cw := commandWords(words)
		i := len(n.Content) - len(cw) // the curl item
		if i >= len(n.Content)-1 || !isCurl(n.Content[i].Value) || !curlFails(append([]string{"-f"}, cw[1:]...)) {
			return nil
		}
		next := n.Content[i+1]
		if _, ok := e.ScalarAt(file, next); !ok {
			return nil
		}
		flag := "-f"
		switch next.Style {
		case yaml.DoubleQuotedStyle:
			flag = `"-f"`
		case yaml.SingleQuotedStyle:
			flag = "'-f'"
		}
		if n.Style&yaml.FlowStyle != 0 {
			// The item's column is its opening quote's, if any.
			at, prefix, ok := e.LineStart(file, next)
			if !ok {
				return nil
			}
			e.Insert(file, at+len(prefix), flag+", ")
		} else {
			at, prefix, ok := e.LineStart(file, next)
			if !ok || next.Line == n.Content[i].Line || strings.TrimSpace(prefix) != "-" {
				return nil
			}
			e.Insert(file, at, prefix+flag+e.EOL(file))
		}
	default:
		return nil
	}
	return e.Fix(curlFixDescription, false)
}

// curlFailInserts returns where to insert " -f" in a shell script: after
// each curl word that runs as a command without --fail and whose status
// decides the result (not piped on). Each insertion is checked by parsing
// the script with it: exactly that curl command gains -f, nothing else moves.
func curlFailInserts(script string) []int {
	before := parseShell(script).commands
	var out []int
	for _, m := range curlWordRe.FindAllStringSubmatchIndex(script, -1) {
		at := m[3] // the end of the curl word
		after := parseShell(script[:at] + " -f" + script[at:]).commands
		if len(after) != len(before) {
			continue
		}
		changed := -1
		for i := range before {
			if !slices.Equal(before[i].words, after[i].words) {
				if changed >= 0 {
					changed = -2
					break
				}
				changed = i
			}
		}
		if changed < 0 || before[changed].after == "|" {
			continue
		}
		old, now := commandWords(before[changed].words), commandWords(after[changed].words)
		if len(old) == 0 || !isCurl(old[0]) || curlFails(old[1:]) || len(now) != len(old)+1 || now[1] != "-f" || !slices.Equal(now[2:], old[1:]) || !curlFails(now[1:]) {
			continue
		}
		out = append(out, at)
	}
	return out
}

// curlWordRe finds curl written as a word (group 1): at the start, or after
// a blank or an operator.
var curlWordRe = regexp.MustCompile(`(?:^|[\s;&|(!])((?:[A-Za-z0-9_./-]*/)?curl)(?:\s|$)`)

// curlFixDockerfile adds -f to the curl of a one-line HEALTHCHECK: after
// the word in shell form, as an item after "curl" in exec form.
func curlFixDockerfile(df *lint.Dockerfile, in lint.Instruction) *lint.Fix {
	hc := in.Healthcheck
	if hc == nil || len(hc.Test) < 2 {
		return nil
	}
	start, text, ok := df.InstructionText(in.Pos.Line, in.EndLine)
	if !ok || in.EndLine != in.Pos.Line {
		return nil
	}
	cmd := healthcheckCmdRe.FindStringIndex(text)
	if cmd == nil {
		return nil
	}
	rest := text[cmd[1]:]
	var edits []lint.Edit
	switch strings.ToUpper(hc.Test[0]) {
	case "CMD-SHELL":
		script := strings.TrimRight(rest, " \t")
		if script != hc.Test[1] {
			return nil
		}
		for _, at := range curlFailInserts(script) {
			edits = append(edits, lint.Edit{File: df.Path, Start: start + cmd[1] + at, End: start + cmd[1] + at, Text: " -f"})
		}
	case "CMD":
		words := commandWords(hc.Test[1:])
		m := execCurlRe.FindStringSubmatchIndex(rest)
		if len(words) < 2 || !isCurl(words[0]) || m == nil {
			return nil
		}
		// The new array must read as the old one with "-f" after curl.
		fixed := rest[:m[1]] + `"-f", ` + rest[m[1]:]
		var got []string
		if json.Unmarshal([]byte(strings.TrimSpace(fixed)), &got) != nil {
			return nil
		}
		want := slices.Concat(hc.Test[1:len(hc.Test)-len(words)+1], []string{"-f"}, words[1:])
		if !slices.Equal(got, want) || !curlFails(append([]string{"-f"}, words[1:]...)) {
			return nil
		}
		at := start + cmd[1] + m[1]
		edits = append(edits, lint.Edit{File: df.Path, Start: at, End: at, Text: `"-f", `})
	}
	if len(edits) == 0 {
		return nil
	}
	return &lint.Fix{Description: curlFixDescription, Edits: edits}
}

// healthcheckCmdRe finds the CMD keyword of a HEALTHCHECK line (after its
// --options) and the blanks after it.
var healthcheckCmdRe = regexp.MustCompile(`(?i)^\s*healthcheck\s+(?:--\S+\s+)*cmd\s+`)

// execCurlRe finds the "curl" item of an exec-form array and the comma and
// blanks after it.
var execCurlRe = regexp.MustCompile(`"(?:[A-Za-z0-9_./-]*/)?curl"\s*,\s*`)

// curlWithoutFail reports whether the probe runs curl, without --fail, in a
// place where curl's exit status decides the result. curl whose output is
// piped on (curl -s url | grep ok) or captured ($(curl -s -w '%{http_code}'))
// is judged by what reads it, and is left alone.
func curlWithoutFail(hc *lint.Healthcheck) bool {
	if !probing(hc) {
		return false
	}
	argv := hc.Argv()
	if script, _, ok := shellWrapper(argv); ok {
		for _, c := range parseShell(script).commands {
			if c.after == "|" {
				continue
			}
			if words := commandWords(c.words); len(words) > 0 && isCurl(words[0]) && !curlFails(words[1:]) {
				return true
			}
		}
		return false
	}
	argv = commandWords(argv)
	return len(argv) > 0 && isCurl(argv[0]) && !curlFails(argv[1:])
}

// commandWords strips what runs a command rather than being it:
// `exec`, `timeout 5`, `nice`, `!`, `env A=b`.
func commandWords(words []string) []string {
	for len(words) > 0 {
		switch path.Base(words[0]) {
		case "exec", "!", "nice", "command", "nohup":
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				words = words[1:]
			}
		case "timeout":
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				words = words[1:]
			}
			if len(words) > 0 {
				words = words[1:] // the duration
			}
		case "env":
			words = words[1:]
			for len(words) > 0 && (strings.HasPrefix(words[0], "-") || strings.Contains(words[0], "=")) {
				words = words[1:]
			}
		default:
			return words
		}
	}
	return words
}

func isCurl(word string) bool { return path.Base(word) == "curl" }

// curlArgShort are curl's short options that take an argument: in a cluster
// such as -sSo, what follows the letter is that argument.
const curlArgShort = "AbcCdDeEFHKmoPQrtTuUwxXyYz"

// curlArgLong are common long options that take an argument (as the next word).
var curlArgLong = map[string]bool{
	"--output": true, "--header": true, "--max-time": true, "--connect-timeout": true, "--write-out": true,
	"--data": true, "--data-raw": true, "--data-binary": true, "--request": true, "--user": true, "--user-agent": true,
	"--retry": true, "--retry-delay": true, "--retry-max-time": true, "--cacert": true, "--cert": true, "--key": true,
	"--resolve": true, "--proxy": true, "--unix-socket": true, "--config": true, "--form": true, "--cookie": true,
	"--interface": true, "--url": true, "--referer": true, "--range": true, "--dump-header": true, "--noproxy": true,
}

// curlFails reports whether curl's arguments turn on failing on HTTP errors;
// the last of --fail and --no-fail wins, as in curl.
func curlFails(args []string) bool {
	fail := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return fail
		case a == "--fail" || a == "--fail-with-body":
			fail = true
		case a == "--no-fail":
			fail = false
		case strings.HasPrefix(a, "--"):
			if curlArgLong[a] {
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				if a[j] == 'f' {
					fail = true
				}
				if strings.IndexByte(curlArgShort, a[j]) >= 0 {
					if j == len(a)-1 {
						i++ // the argument is the next word
					}
					break
				}
			}
		}
	}
	return fail
}
