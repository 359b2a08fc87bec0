package rules

import (
	"path"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// What the process a service or image starts does, read through the
// entrypoint scripts the build context copies in (lint.ImageConfig.Follow).

// processView is what runs as PID 1, looked at through a wrapper script.
type processView struct {
	// pid1 is the program PID 1 ends up being: the script's exec target
	// when known (the CMD for exec "$@"), else argv[0].
	pid1 string
	// via names the script that exec's pid1, when there is one.
	via string
	// init names the init or process manager that runs (tini, s6 /init, supervisord).
	init string
	// manager names a process manager that runs (s6-overlay /init,
	// supervisord, runsvdir): it starts as root and gives each service its user.
	manager string
	// stepDown names the tool that drops root (gosu, su-exec, ...).
	stepDown string
	cron     bool
	// unknown names a script whose text is not here: what runs is unknown.
	unknown string
	// bareShell is set when a script hands over (exec "$@") to nothing, or
	// to a bare shell with no script, which with no terminal exits at once:
	// the container is a job that runs the script's work and ends.
	bareShell bool
}

// follower reads the script an argv starts with (lint.ImageConfig.Follow,
// or lint.Service.Follow with the service's bind mounts).
type follower interface {
	Follow(argv []string) (*lint.ScriptFacts, lint.ScriptStatus)
}

// viewProcess follows argv (entrypoint + command) through at most two
// scripts: the entrypoint's, then the command's when it ends in exec "$@".
func viewProcess(img follower, argv []string) processView {
	var v processView
	for hop := 0; hop < 2 && len(argv) > 0; hop++ {
		if isInit(argv[0]) {
			if v.init == "" {
				v.init = path.Base(argv[0])
				if argv[0] == "/init" {
					v.init = "s6-overlay /init"
				}
			}
			if supervisor(argv[0]) {
				v.manager = v.init
				v.pid1 = argv[0]
				return v
			}
			argv = afterInit(argv)
			if len(argv) == 0 {
				return v
			}
		}
		argv = v.direct(argv)
		if len(argv) == 0 {
			return v
		}
		facts, status := img.Follow(argv)
		switch status {
		case lint.ScriptUnknown:
			v.unknown = argv[0]
			return v
		case lint.NotAScript:
			if v.pid1 == "" {
				v.pid1 = argv[0]
				v.bareShell = v.via != "" && len(argv) == 1 && shellName(path.Base(argv[0]))
			}
			v.bareShell = v.bareShell || runsOnce(argv)
			if u := daemonUser(argv); u != "" && v.stepDown == "" {
				// A daemon told to switch user itself (rspamd -u _rspamd, memcached -u memcache).
				v.stepDown = path.Base(argv[0]) + " " + u
			}
			return v
		}
		if v.init == "" {
			v.init = facts.Init
		}
		if facts.Init == "s6-overlay /init" || supervisor(facts.Init) {
			v.manager = facts.Init
		}
		if v.stepDown == "" {
			v.stepDown = facts.StepDown
		}
		v.cron = v.cron || facts.Cron
		if !facts.ExecsArgs || len(argv) < 2 || (len(argv) < 3 && shellName(path.Base(argv[0]))) {
			if facts.Execs != "" && hop == 0 {
				// It execs another program: follow it (docker-entrypoint.sh,
				// a script of the image, is then unknown).
				if v.via == "" {
					v.via = scriptName(facts, argv)
				}
				argv = append([]string{facts.Execs}, facts.ExecArgs...)
				continue
			}
			if v.pid1 == "" {
				v.pid1 = argv[0]
			}
			// exec "$@" with no arguments execs nothing: the script ends.
			v.bareShell = facts.EndsInExecArgs && facts.Execs == ""
			return v
		}
		// exec "$@": the arguments (the CMD) are what runs next.
		if v.via == "" {
			v.via = scriptName(facts, argv)
		}
		if shellName(path.Base(argv[0])) {
			argv = argv[1:] // sh /run.sh "$@": the script is the shell's argument
		}
		argv = argv[1:]
		v.pid1 = ""
	}
	if len(argv) > 0 && v.pid1 == "" {
		v.pid1 = argv[0]
		v.bareShell = v.via != "" && len(argv) == 1 && shellName(path.Base(argv[0]))
	}
	return v
}

// runsOnce says whether a command line asks its program to do its work once
// and exit (watchtower --run-once): a job, not a service.
func runsOnce(argv []string) bool {
	for _, a := range argv[1:] {
		switch a {
		case "--run-once", "--once", "--oneshot", "--one-shot":
			return true
		}
	}
	return false
}

// scriptName names the script as the command line wrote it
// (docker-entrypoint.sh), or its path when a shell runs it (sh /run.sh).
func scriptName(facts *lint.ScriptFacts, argv []string) string {
	if shellName(path.Base(argv[0])) && facts.Path != "" {
		return facts.Path
	}
	return argv[0]
}

// direct reads the wrappers written in argv itself (gosu app server,
// supervisord -c ..., cron -f) and returns what is left to follow.
func (v *processView) direct(argv []string) []string {
	for len(argv) > 0 {
		base := path.Base(argv[0])
		switch {
		case stepDownProgram(base):
			if v.stepDown == "" {
				v.stepDown = base
			}
			if len(argv) < 3 {
				return nil
			}
			argv = argv[2:] // gosu USER program ...: good enough to read on
		case base == "cron" || base == "crond":
			v.cron = true
			v.pid1 = argv[0]
			return nil
		case supervisor(argv[0]):
			if v.init == "" {
				v.init = base
			}
			v.manager = base
			v.pid1 = argv[0]
			return nil
		case shellName(base) && len(argv) >= 3 && argv[1] == "-c" && len(strings.Fields(argv[2])) == 1 && strings.Contains(argv[2], "/"):
			// sh -c /app/docker-entrypoint.sh: the shell runs one script.
			return append([]string{argv[2]}, argv[3:]...)
		default:
			return argv
		}
	}
	return argv
}

// rootOnPurpose says why a process that starts as root must: it drops to
// another user itself, or a process manager or cron (which need root) runs.
func (v processView) rootOnPurpose() string {
	switch {
	case v.stepDown != "":
		return "drops root with " + v.stepDown
	case v.manager != "":
		return "runs the process manager " + v.manager + ", which starts its services as root and drops each to its own user"
	case v.cron:
		return "runs cron, which needs root"
	}
	return ""
}

// supervisor says whether a program is a process manager that runs several
// services and starts as root to give each its user.
func supervisor(p string) bool {
	switch path.Base(p) {
	case "supervisord", "runsvdir", "s6-svscan", "my_init", "systemd", "openrc-init":
		return true
	}
	return p == "/init" || p == "/sbin/init"
}

// daemonUser returns the "-u USER" (--user USER, --user=USER) a daemon's
// command line gives it to drop to once it has bound its ports; "" when
// none, or when USER is root.
func daemonUser(argv []string) string {
	for i := 1; i < len(argv); i++ {
		var user string
		switch a := argv[i]; {
		case (a == "-u" || a == "--user") && i+1 < len(argv):
			user = argv[i+1]
		case strings.HasPrefix(a, "--user="):
			user = strings.TrimPrefix(a, "--user=")
		}
		if user != "" && !strings.Contains(user, "$") && !rootUser(user) {
			return "-u " + user
		}
	}
	return ""
}

func shellName(base string) bool {
	switch base {
	case "sh", "bash", "ash", "dash":
		return true
	}
	return false
}

func stepDownProgram(base string) bool {
	switch base {
	case "gosu", "su-exec", "setpriv", "s6-setuidgid", "chpst", "runuser", "setuser":
		return true
	}
	return false
}
