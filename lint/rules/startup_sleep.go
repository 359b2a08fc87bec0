package rules

import (
	"path"
	"strconv"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// StartupSleep finds a command that sleeps a fixed time before its work,
// `sh -c "sleep 10 && app"`, as start ordering: too short when the
// dependency is slow (a cold start, a migration), time lost when it is fast,
// and no help when the dependency restarts later.
var StartupSleep = lint.Rule{
	ID:           "startup-sleep",
	Severity:     lint.SeverityWarning,
	Scope:        lint.ScopeCompose,
	Summary:      "the command sleeps a fixed time before starting, as start ordering",
	CheckService: startupSleep,
}

// sleepSeconds returns the seconds of `sleep N` (N, Ns, Nm, Nh; fractions
// allowed), and whether words are such a sleep.
func sleepSeconds(words []string) (float64, bool) {
	if len(words) != 2 || words[0] != "sleep" {
		return 0, false
	}
	arg, unit := words[1], 1.0
	switch {
	case strings.HasSuffix(arg, "s"):
		arg = strings.TrimSuffix(arg, "s")
	case strings.HasSuffix(arg, "m"):
		arg, unit = strings.TrimSuffix(arg, "m"), 60
	case strings.HasSuffix(arg, "h"):
		arg, unit = strings.TrimSuffix(arg, "h"), 3600
	}
	n, err := strconv.ParseFloat(arg, 64)
	if err != nil || n <= 0 || strings.ContainsAny(arg, "eEnNxX") {
		return 0, false
	}
	return n * unit, true
}

// leadingSleep finds a script that starts with `sleep N` followed by the
// command it delays: `sleep 10 && app`, `sleep 5; exec app`; a message
// printed first does not count as work. It returns the sleep as written.
func leadingSleep(script string) (string, bool) {
	cmds := parseShell(script).commands
	for i, c := range cmds {
		if len(c.words) == 0 {
			return "", false
		}
		if secs, ok := sleepSeconds(c.words); ok {
			// Under a second is no wait for another service, and an hour or
			// more is a container kept idle on purpose.
			if secs < 1 || secs >= 3600 || c.after != "&&" && c.after != ";" && c.after != "\n" {
				return "", false
			}
			if !startsWork(cmds[i+1:]) {
				return "", false
			}
			return "sleep " + c.words[1], true
		}
		switch c.words[0] {
		case "echo", "printf", "set":
			if c.after == "&&" || c.after == ";" || c.after == "\n" {
				continue
			}
		}
		return "", false
	}
	return "", false
}

func startupSleep(r *lint.Report, svc *lint.Service) {
	// The sleep orders the start only against a dependency started, not
	// waited for: with none declared it may wait for anything, and with
	// every dependency waited for by health it is not what orders it.
	var plainDeps []string
	for _, d := range svc.DependsOn {
		if d.Condition == "" || d.Condition == "service_started" {
			plainDeps = append(plainDeps, d.Service)
		}
	}
	if len(plainDeps) == 0 {
		return
	}
	argv, _ := svc.Process()
	script, _, ok := shellWrapper(argv)
	if !ok {
		return
	}
	sleep, ok := leadingSleep(script)
	if !ok {
		return
	}
	pos := svc.At("command", "entrypoint")
	switch {
	case svc.Entrypoint != nil:
		pos = svc.At("entrypoint")
	case svc.Command != nil:
		pos = svc.At("command")
	case svc.ImageConfig != nil:
		ic := svc.ImageConfig
		pos = either(ic.CmdPos, svc.Pos)
		if len(ic.Entrypoint) > 0 {
			pos = either(ic.EntrypointPos, svc.Pos)
		}
	}
	waitsFor, example := joinAnd(plainDeps), plainDeps[0]
	if len(plainDeps) == 1 {
		r.Add(pos, svc.Name, "the command waits with `%s` before it starts, a guess at how long %s takes to be ready: too short when it starts slowly, time lost when it is quick; give it a healthcheck and wait for it with depends_on: {%s: {condition: service_healthy}}", sleep, waitsFor, example)
		return
	}
	r.Add(pos, svc.Name, "the command waits with `%s` before it starts, a guess at how long %s take to be ready: too short when they start slowly, time lost when they are quick; give each a healthcheck and wait for it with depends_on: {%s: {condition: service_healthy}}", sleep, waitsFor, example)
}

// joinAnd lists names as prose: "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// startsWork reports whether the commands after a sleep start a program: a
// test fixture that sleeps, prints and exits (`sleep 1; echo done; exit 1`)
// simulates work, it does not wait for a dependency.
func startsWork(cmds []shellCommand) bool {
	for _, c := range cmds {
		if len(c.words) == 0 {
			return false
		}
		word := c.words[0]
		if word == "exec" && len(c.words) > 1 {
			word = c.words[1]
		}
		switch path.Base(word) {
		case "echo", "printf", "set", ":":
			continue
		case "exit", "false", "true", "sleep", "wait", "kill":
			return false
		}
		return true
	}
	return false
}
