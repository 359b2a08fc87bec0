package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// InitMissing finds a service or container whose PID 1 is not an init: the
// kernel hands every orphaned process to PID 1, and an app that does not
// wait() for them leaves zombies that fill the pid table.
var InitMissing = lint.Rule{
	ID:           "init-missing",
	Severity:     lint.SeverityInfo,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "no `init: true` and the entrypoint is not an init (tini, dumb-init, s6-overlay `/init`, catatonit): zombies are not reaped",
	CheckService: initMissing,
}

// An init is `init: true` (docker-init, which is tini), or an entrypoint whose
// program is a known init: tini, dumb-init, catatonit, docker-init, s6-overlay's
// /init, or a supervisor that reaps (s6-svscan, runsvdir, supervisord, my_init).
func initMissing(r *lint.Report, svc *lint.Service) {
	if svc.Init != nil && *svc.Init {
		return
	}
	argv, _ := svc.Process()
	if len(argv) > 0 && isInit(argv[0]) {
		return
	}
	if isContainer(svc) {
		r.Add(svc.Pos, svc.Name, "PID 1 is %s, not an init: orphaned child processes stay zombies; recreate the container with --init (compose: init: true)", describeArgv0(argv))
		return
	}
	if svc.Init != nil {
		r.Add(svc.At("init"), svc.Name, "init: false and the entrypoint is not an init: orphaned child processes stay zombies; set init: true or use tini as the entrypoint")
		return
	}
	r.Add(svc.Pos, svc.Name, "no init: PID 1 is %s, which may leave orphaned child processes as zombies; set init: true (or run tini or dumb-init as the entrypoint)", describeArgv0(argv))
}

func describeArgv0(argv []string) string {
	if len(argv) == 0 {
		return "the image's entrypoint"
	}
	return argv[0]
}
