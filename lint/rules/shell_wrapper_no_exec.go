package rules

import (
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
// A script that traps SIGTERM forwards signals on purpose and is left alone.
func wrapperProblem(argv []string) (script, shell string, bad bool) {
	script, shell, ok := shellWrapper(afterInit(argv))
	if !ok {
		return "", "", false
	}
	s := parseShell(script)
	if s.last() == nil || s.execsLast() || s.trapsTerm() {
		return "", "", false
	}
	return script, shell, true
}

func wrapperMessage(r *lint.Report, pos lint.Position, subject, what, script, shell string) {
	r.Add(pos, subject, "%s runs %s -c %q, whose last command is not exec'd: %s stays PID 1 and does not pass SIGTERM on; start the last command with exec (... && exec app)", what, shell, shorten(script), shell)
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
	if script, shell, bad := wrapperProblem(img.Entrypoint); bad {
		wrapperMessage(r, img.EntrypointPos, stageOf(df, img.EntrypointPos).Subject(), "ENTRYPOINT", script, shell)
		return
	}
	if img.CmdShell || len(img.Cmd) == 0 {
		return
	}
	if script, shell, bad := wrapperProblem(img.Cmd); bad {
		wrapperMessage(r, img.CmdPos, stageOf(df, img.CmdPos).Subject(), "CMD", script, shell)
		return
	}
	if len(img.Entrypoint) == 0 {
		return
	}
	if script, shell, bad := wrapperProblem(joinArgv(img.Entrypoint, img.Cmd)); bad {
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
	if isContainer(svc) {
		if _, ok := builderShellForm(argv); ok || shellForm {
			return
		}
		if script, shell, bad := wrapperProblem(argv); bad {
			wrapperMessage(r, svc.Pos, svc.Name, "the container", script, shell)
		}
		return
	}
	if script, shell, bad := wrapperProblem(svc.Entrypoint); bad {
		wrapperMessage(r, svc.At("entrypoint"), svc.Name, "entrypoint", script, shell)
		return
	}
	if svc.Command == nil {
		return
	}
	// The command runs on its own, or as the entrypoint's arguments (which an
	// entrypoint script usually exec's: exec "$@").
	if script, shell, bad := wrapperProblem(svc.Command); bad {
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
	if script, shell, bad := wrapperProblem(joinArgv(ep, svc.Command)); bad {
		wrapperMessage(r, svc.At("command"), svc.Name, what, script, shell)
	}
}
