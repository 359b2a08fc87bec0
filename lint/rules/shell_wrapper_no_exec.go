package rules

import (
	"path"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// ShellWrapperNoExec finds an exec-form command that runs a script through
// `sh -c` or `bash -c` whose last command is not exec'd: the shell stays PID 1
// and the app never sees SIGTERM.
var ShellWrapperNoExec = lint.Rule{
	ID:              "shell-wrapper-no-exec",
	Severity:        lint.SeverityWarning,
	Scope:           lint.ScopeDockerfile | lint.ScopeCompose | lint.ScopeContainer,
	Summary:         "exec form that runs `sh -c`/`bash -c` whose script does not `exec` its last command: the shell stays PID 1",
	CheckDockerfile: shellWrapperDockerfile,
	CheckService:    shellWrapperService,
}

// wrapperProblem returns the script and shell when argv (after an init such
// as tini) runs a shell script that leaves the shell as the parent of the app.
// A script that traps SIGTERM forwards signals on purpose and is left alone,
// and so is one whose shell replaces itself with the last command anyway
// (see runsLastItself). alpine says the image's /bin/sh is busybox.
func wrapperProblem(argv []string, alpine bool) (script, shell string, bad bool) {
	argv = afterInit(argv)
	script, shell, ok := shellWrapper(argv)
	if !ok {
		return "", "", false
	}
	s := parseShell(script)
	if s.last() == nil || s.execsLast() || s.trapsTerm() || endsInBuiltin(s) {
		return "", "", false
	}
	busybox := path.Base(argv[0]) == "busybox" || shell == "ash" || (shell == "sh" && alpine)
	if (busybox || shell == "bash") && s.runsLastItself(shell == "bash" && !busybox) {
		return "", "", false
	}
	return script, shell, true
}

// runsLastItself reports whether a shell that optimises its -c script ends
// by exec'ing the last command rather than forking it: busybox sh (Alpine's
// /bin/sh) and bash 5.1 and later do so for a last simple command that runs a
// program, when no trap is set and it is not in a pipeline or the background
// (bash also not when it has a redirection). Checked with busybox 1.35 and
// bash 5.2: `sh -c "migrate && app"` leaves app as the process. dash, the
// /bin/sh of Debian and Ubuntu images (0.5.12), keeps the shell and forks.
func (s shellScript) runsLastItself(bash bool) bool {
	c := s.last()
	if c == nil || len(c.words) == 0 || c.before == "|" || c.after == "|" || c.after == "&" {
		return false
	}
	if bash && c.redirects > 0 {
		return false
	}
	if shellBuiltins[c.words[0]] || strings.ContainsAny(c.words[0], "(){}") {
		return false
	}
	for _, cmd := range s.commands {
		if len(cmd.words) > 0 && cmd.words[0] == "trap" {
			return false
		}
	}
	return true
}

// endsInBuiltin reports whether the script ends in a builtin that runs no
// program (exit 1, echo done): there is nothing to exec, and the advice would
// be wrong. wait is not one of them: it keeps the shell waiting on the app.
func endsInBuiltin(s shellScript) bool {
	c := s.last()
	if c == nil || len(c.words) == 0 {
		return false
	}
	switch c.words[0] {
	case "exit", "return", "echo", "printf", "true", "false", ":":
		return true
	}
	return false
}

// shellBuiltins are the words that end a script without running a program
// the shell could exec: builtins (wait keeps the shell waiting on its
// children) and the keywords that close compound commands.
var shellBuiltins = map[string]bool{
	"wait": true, "exit": true, "return": true, "true": true, "false": true, ":": true,
	"echo": true, "printf": true, "read": true, "cd": true, "export": true, "set": true,
	"unset": true, "eval": true, "source": true, ".": true, "trap": true, "shift": true,
	"fi": true, "done": true, "esac": true, "then": true, "else": true, "do": true,
	"if": true, "elif": true, "while": true, "until": true, "for": true, "case": true,
	"!": true, "time": true,
}

// The advice fits the script: a last plain command can be exec'd; a script
// that ends in a conditional needs exec in each branch or an init that
// forwards signals; one that ends in a loop has nothing to exec, and needs an
// init or a TERM trap.
func wrapperMessage(r *lint.Report, pos lint.Position, subject, what, script, shell string) {
	fix := "start the last command with exec (... && exec app)"
	if c := parseShell(script).last(); c != nil && len(c.words) > 0 {
		switch c.words[0] {
		case "done":
			// A loop (while true; do ...; sleep 1; done) has no program to
			// exec: the shell itself must go when told.
			r.Add(pos, subject, "%s runs %s -c %q, which ends in a loop: %s stays PID 1, which ignores SIGTERM, so docker stop waits for the timeout and kills it; set init: true (the init forwards SIGTERM and the shell ends), or trap it in the script (trap 'exit 0' TERM)", what, shell, shorten(script), shell)
			return
		case "fi", "esac", "}":
			fix = "exec the program in each branch (then exec app), or run an init that forwards signals (init: true)"
		}
	}
	r.Add(pos, subject, "%s runs %s -c %q, whose last command is not exec'd: %s stays PID 1 and does not pass SIGTERM on; %s", what, shell, shorten(script), shell, fix)
}

// The final image's exec-form ENTRYPOINT, then its exec-form CMD on its own
// (which runs alone or as the ENTRYPOINT's arguments: docker-entrypoint.sh
// ends in exec "$@"), then the two together (ENTRYPOINT ["/bin/sh", "-c"]
// with the script in CMD). Shell-form instructions are shell-form-cmd's.
func shellWrapperDockerfile(r *lint.Report, df *lint.Dockerfile) {
	img := df.Image("")
	if img == nil || img.EntrypointShell {
		return
	}
	alpine := img.Base == lint.BaseAlpine
	if script, shell, bad := wrapperProblem(img.Entrypoint, alpine); bad {
		wrapperMessage(r, img.EntrypointPos, stageOf(df, img.EntrypointPos).Subject(), "ENTRYPOINT", script, shell)
		return
	}
	if img.CmdShell || len(img.Cmd) == 0 {
		return
	}
	if script, shell, bad := wrapperProblem(img.Cmd, alpine); bad {
		wrapperMessage(r, img.CmdPos, stageOf(df, img.CmdPos).Subject(), "CMD", script, shell)
		return
	}
	if len(img.Entrypoint) == 0 {
		return
	}
	if script, shell, bad := wrapperProblem(joinArgv(img.Entrypoint, img.Cmd), alpine); bad {
		wrapperMessage(r, img.CmdPos, stageOf(df, img.CmdPos).Subject(), "ENTRYPOINT with CMD", script, shell)
	}
}

func joinArgv(a, b []string) []string { return append(append([]string{}, a...), b...) }

// A compose service is checked on what it sets itself (entrypoint, command);
// what it inherits from a local Dockerfile is reported there. The shell may
// come from one and the script from the other (entrypoint: /bin/sh with
// command: [-c, "..."]). A container is checked on its process argv, unless
// that argv has the shape of a shell-form instruction, which shell-form-cmd
// reports.
func shellWrapperService(r *lint.Report, svc *lint.Service) {
	argv, shellForm := svc.Process()
	alpine := lint.ClassifyBase(svc.Image) == lint.BaseAlpine || (svc.ImageConfig != nil && svc.ImageConfig.Base == lint.BaseAlpine)
	if isContainer(svc) {
		if _, ok := builderShellForm(argv); ok || shellForm {
			return
		}
		if script, shell, bad := wrapperProblem(argv, alpine); bad {
			wrapperMessage(r, svc.Pos, svc.Name, "the container", script, shell)
		}
		return
	}
	if script, shell, bad := wrapperProblem(svc.Entrypoint, alpine); bad {
		wrapperMessage(r, svc.At("entrypoint"), svc.Name, "entrypoint", script, shell)
		return
	}
	if svc.Command == nil {
		return
	}
	// The command runs on its own, or as the entrypoint's arguments (which an
	// entrypoint script usually exec's: exec "$@").
	if script, shell, bad := wrapperProblem(svc.Command, alpine); bad {
		wrapperMessage(r, svc.At("command"), svc.Name, "command", script, shell)
		return
	}
	// The command as the arguments of a bare shell entrypoint: the service's
	// own (an entrypoint set in compose drops the image's CMD), or the image's
	// exec-form one when the service sets none.
	ep, what := svc.Entrypoint, "entrypoint with command"
	if ep == nil && svc.ImageConfig != nil && !svc.ImageConfig.EntrypointShell {
		ep, what = svc.ImageConfig.Entrypoint, "the image's entrypoint with command"
	}
	if len(ep) == 0 {
		return
	}
	if script, shell, bad := wrapperProblem(joinArgv(ep, svc.Command), alpine); bad {
		wrapperMessage(r, svc.At("command"), svc.Name, what, script, shell)
	}
}
