package rules

import (
	"path"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
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
}

// Every HEALTHCHECK instruction is checked, in every stage: each one written
// is a probe someone may build.
func curlNoFailDockerfile(r *lint.Report, df *lint.Dockerfile) {
	for _, st := range df.Stages {
		for _, in := range st.Instructions {
			if in.Healthcheck != nil && curlWithoutFail(in.Healthcheck) {
				r.Add(in.Pos, st.Subject(), "the HEALTHCHECK runs curl without --fail: curl exits 0 on HTTP 500, so the check passes while the app fails; add -f (curl -fsS ...)")
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
}

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
