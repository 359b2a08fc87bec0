package rules

import (
	"fmt"
	"path"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// Helpers shared by several rules. Each rule's own logic lives in its file.

// stageOf returns the stage that holds the instruction written at pos, or the
// final stage when none does (a position from another file, or none).
func stageOf(df *lint.Dockerfile, pos lint.Position) *lint.Stage {
	for _, st := range df.Stages {
		for _, in := range st.Instructions {
			if in.Pos.Line == pos.Line && pos.Line != 0 {
				return st
			}
		}
		if st.FromPos.Line == pos.Line && pos.Line != 0 {
			return st
		}
	}
	return df.Final()
}

// either returns pos when it names a file, else fallback.
func either(pos, fallback lint.Position) lint.Position {
	if pos.File != "" {
		return pos
	}
	return fallback
}

// probing reports whether h is a healthcheck that actually runs a probe.
func probing(h *lint.Healthcheck) bool {
	return h != nil && !h.Disabled && len(h.Argv()) > 0
}

// exemptFromHealth is true for one-shot jobs: a job is not meant to stay up,
// so health and restart rules do not apply to it.
func exemptFromHealth(svc *lint.Service) bool { return svc.OneShot }

// isContainer is true for a running container (R), false for a compose service (C).
func isContainer(svc *lint.Service) bool { return svc.Kind == lint.KindContainer }

// runtimeFix says how to fix a running container: in its compose file when
// compose created it (with the command that fixes it now), else the command.
func runtimeFix(svc *lint.Service, composeSetting, command string) string {
	if svc.Labels["com.docker.compose.service"] != "" {
		return "set " + composeSetting + " in its compose file (now: " + command + ")"
	}
	return command
}

// bytesString renders a byte count the way compose files write it: 512m, 1g.
func bytesString(b int64) string {
	const k = 1024
	switch {
	case b <= 0:
		return fmt.Sprint(b)
	case b%(k*k*k) == 0:
		return fmt.Sprintf("%dg", b/(k*k*k))
	case b%(k*k) == 0:
		return fmt.Sprintf("%dm", b/(k*k))
	case b%k == 0:
		return fmt.Sprintf("%dk", b/k)
	}
	return fmt.Sprintf("%db", b)
}

// rootUser reports whether a USER or user: value means uid 0. An unexpanded
// variable is not known to be root.
func rootUser(u string) bool {
	u = strings.TrimSpace(u)
	if strings.Contains(u, "$") {
		return false
	}
	name, _, _ := strings.Cut(u, ":")
	return name == "" || name == "root" || name == "0"
}

// unreadBuild says why the image a compose service builds is unknown, for
// messages: "the Dockerfile it builds, app/Dockerfile, could not be read";
// "" when the service does not build, or its Dockerfile was read.
func unreadBuild(svc *lint.Service) string {
	switch {
	case !svc.HasBuild || svc.Built || isContainer(svc):
		return ""
	case strings.Contains(svc.BuildUnread, "://") || strings.HasPrefix(svc.BuildUnread, "git@"):
		return "it builds from the remote context " + svc.BuildUnread + ", which is not read"
	}
	return "the Dockerfile it builds, " + svc.BuildUnread + ", could not be read"
}

// runsProcess says whether an image runs a process of its own: a CMD or an
// ENTRYPOINT, written or inherited. An image with neither is a base or build
// image (or one that only inherits its base's bare shell or interpreter):
// the images built FROM it choose what runs, so runtime rules
// (healthcheck, user, init) do not apply to it. known is false when the
// answer would come from a base image that was not inspected.
func runsProcess(img *lint.ImageConfig) (runs, known bool) {
	if img == nil {
		return false, false
	}
	if img.EntrypointPos.Line == 0 && img.CmdPos.Line == 0 && len(img.Entrypoint) <= 1 && len(img.Cmd) == 1 &&
		(len(img.Entrypoint) == 0 || scriptPath(img.Entrypoint[0])) && interpreterRe.MatchString(path.Base(img.Cmd[0])) {
		// Only the base image's bare shell or interpreter (CMD ["bash"],
		// CMD ["node"]): nothing of this image's own runs.
		return false, true
	}
	if len(img.Cmd) == 0 && len(img.Entrypoint) == 1 && isInit(img.Entrypoint[0]) && img.Knows(lint.FieldCmd) {
		// An init with nothing to run: tini or dumb-init alone exit; s6-overlay's
		// /init alone runs the services under /etc/services.d or s6-rc.d, and a
		// base that is an OS image gives none, nor does this build context.
		switch {
		case img.Entrypoint[0] != "/init":
			return false, true
		case lint.IsOSBase(img.BaseRef) && !img.HasPath("/etc/services.d") && !img.HasPath("/etc/s6-overlay/s6-rc.d"):
			return false, true
		}
	}
	if len(img.Entrypoint) > 0 || len(img.Cmd) > 0 {
		return true, true
	}
	if !img.Knows(lint.FieldEntrypoint) || !img.Knows(lint.FieldCmd) {
		return false, false
	}
	return false, true
}

// serviceRuns is runsProcess for a compose service: its own entrypoint or
// command counts, else its image's.
func serviceRuns(svc *lint.Service) (runs, known bool) {
	if len(svc.Entrypoint) > 0 || len(svc.Command) > 0 {
		return true, true
	}
	img := svc.ImageConfig
	if !svc.Built && img != nil && (!img.Knows(lint.FieldEntrypoint) || !img.Knows(lint.FieldCmd)) {
		// An image pulled to run as a service runs its own command: one with
		// none would not start at all.
		return true, true
	}
	return runsProcess(img)
}

// notKnown records that rule could not decide on a Dockerfile's image, or a
// service that builds one, because the base image's config is unknown.
func notKnown(r *lint.Report, pos lint.Position, subject string, img *lint.ImageConfig) {
	why := lint.UnknownImage
	if img != nil && img.UnknownWhy != 0 {
		why = img.UnknownWhy
	}
	what := ""
	if img != nil {
		what = img.NotInspected
	}
	r.NotChecked(pos, subject, why, what)
}

// serviceImageUnknown records that rule could not decide on a compose service
// whose image config is unknown: a build that could not be read, or an image
// that was not inspected.
func serviceImageUnknown(r *lint.Report, svc *lint.Service) {
	switch {
	case svc.Built:
		notKnown(r, svc.Pos, svc.Name, svc.ImageConfig)
	case unreadBuild(svc) != "":
		r.NotChecked(svc.Pos, svc.Name, lint.UnknownBuild, svc.BuildUnread)
	default:
		r.NotChecked(svc.Pos, svc.Name, lint.UnknownImage, svc.Image)
	}
}

// policyNote says why an image not inspected is known to have no
// HEALTHCHECK: it is a Docker Official Image, and they ship none by policy.
func policyNote(img *lint.ImageConfig) string {
	if img != nil && img.Unknown != 0 && img.Knows(lint.FieldHealthcheck) && img.Healthcheck == nil {
		return " (an official image: they ship no HEALTHCHECK by policy)"
	}
	return ""
}
