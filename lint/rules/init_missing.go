package rules

import (
	"strings"

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
	Fix:          "unsafe",
}

// An init is `init: true` (docker-init, which is tini), or an entrypoint whose
// program is a known init: tini, dumb-init, catatonit, docker-init, s6-overlay's
// /init, or a supervisor that reaps (s6-svscan, runsvdir, supervisord, my_init).
// When the image's entrypoint is unknown (an image not inspected), the check
// is not run: advising init: true blindly would break s6-overlay images,
// which fail under it ("can only run as pid 1").
func initMissing(r *lint.Report, svc *lint.Service) {
	if svc.Init != nil && *svc.Init {
		return
	}
	if isContainer(svc) {
		argv, _ := svc.Process()
		if len(argv) > 0 && isInit(argv[0]) {
			return
		}
		if v := viewProcess(svc, argv); v.unknown != "" {
			// A script from the image: what it execs (tini?) is not known here.
			r.NotChecked(svc.Pos, svc.Name, lint.UnknownScript, v.unknown)
			return
		}
		pid1 := "the image's entrypoint"
		if len(argv) > 0 {
			pid1 = argv[0]
		}
		r.Add(svc.Pos, svc.Name, "PID 1 is %s, not an init: orphaned child processes stay zombies; recreate the container with --init (compose: init: true)", pid1)
		return
	}
	pid1, known, image := pid1Of(svc)
	if known && (pid1 == "" || isInit(pid1)) {
		return // no process at all is not this rule's; an init reaps
	}
	if known {
		// Through the entrypoint script the build context copies in: it may
		// exec an init (exec tini -- app), or hand over to the CMD (exec "$@").
		argv, _ := svc.Process()
		v := viewProcess(svc, argv)
		switch {
		case v.init != "":
			return
		case v.unknown != "":
			r.NotChecked(svc.Pos, svc.Name, lint.UnknownScript, v.unknown)
			return
		case v.via != "" && v.pid1 != "":
			pid1 = v.pid1 + " (exec'd by " + v.via + ")"
		}
	}
	if !known {
		if s6Image(image) {
			return // every linuxserver.io image runs s6-overlay's /init as PID 1
		}
		serviceImageUnknown(r, svc)
		return
	}
	if svc.Init != nil {
		r.Add(svc.At("init"), svc.Name, "init: false and PID 1 is %s, not an init: orphaned child processes stay zombies; set init: true or use tini as the entrypoint", pid1)
		return // init: false is written on purpose: no fix overrides it
	}
	r.Add(svc.Pos, svc.Name, "no init: PID 1 is %s, not an init, so orphaned child processes it does not wait for stay zombies; set init: true (or run tini or dumb-init as the entrypoint)", pid1)
	r.Fix(initFix(svc))
}

// initFix adds init: true, only where PID 1 is known not to be an init. It is unsafe: the program's signal handling
// and its process tree change (PID 1 becomes docker-init).
func initFix(svc *lint.Service) *lint.Fix {
	e := svc.Edit()
	if e.Has("init") {
		return nil
	}
	e.AddKeys("init: true")
	return e.Fix("add init: true", true)
}

// pid1Of returns the program a compose service runs as PID 1 and whether it
// is known; when it is not, image names the image that was not inspected.
// An entrypoint (the service's, else the image's) is PID 1; with none, the
// command is. Setting entrypoint in compose resets the image's CMD.
func pid1Of(svc *lint.Service) (pid1 string, known bool, image string) {
	img := svc.ImageConfig
	image = svc.Image
	if img != nil && img.NotInspected != "" {
		image = img.NotInspected
	}
	ep, cmd := svc.Entrypoint, svc.Command
	if ep == nil {
		if !img.Knows(lint.FieldEntrypoint) {
			return "", false, image
		}
		ep = img.Entrypoint
		if cmd == nil {
			if len(ep) == 0 && !img.Knows(lint.FieldCmd) {
				return "", false, image
			}
			cmd = img.Cmd
		}
	}
	if len(ep) > 0 {
		return ep[0], true, image
	}
	if len(cmd) > 0 {
		return cmd[0], true, image
	}
	return "", true, image
}

// s6Image says whether a reference names a linuxserver.io image: all of them
// are built on s6-overlay, whose /init is PID 1.
func s6Image(ref string) bool {
	ref = strings.ToLower(ref)
	for _, prefix := range []string{"linuxserver/", "lscr.io/linuxserver/", "ghcr.io/linuxserver/", "docker.io/linuxserver/", "index.docker.io/linuxserver/"} {
		if strings.HasPrefix(ref, prefix) {
			return true
		}
	}
	return false
}
