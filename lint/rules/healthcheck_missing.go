package rules

import (
	"fmt"

	"github.com/docker-heal/docker-heal/lint"
)

// HealthcheckMissing finds a service, container or image with no healthcheck:
// Docker then reports it as running while the app inside hangs, depends_on
// cannot wait for it, and nothing can act on it.
var HealthcheckMissing = lint.Rule{
	ID:              "healthcheck-missing",
	Severity:        lint.SeverityWarning,
	Scope:           lint.ScopeDockerfile | lint.ScopeCompose | lint.ScopeContainer,
	Summary:         "no healthcheck in compose nor in the locally built image",
	CheckDockerfile: healthcheckMissingDockerfile,
	CheckService:    healthcheckMissingService,
}

// A Dockerfile that a compose service builds is judged through that service,
// which may set the healthcheck itself; a Dockerfile on its own is reported at
// info, since where it runs can add one (docker run --health-cmd, Kubernetes
// probes). A HEALTHCHECK inherited from an inspected base image counts; when
// the base was not inspected, the check is not run (and the run says so). A
// base or build image (no CMD, no ENTRYPOINT) runs nothing to probe.
func healthcheckMissingDockerfile(r *lint.Report, df *lint.Dockerfile) {
	if df.UsedByCompose {
		return
	}
	img := df.Image("")
	if img == nil || img.Healthcheck != nil { // HEALTHCHECK NONE is healthcheck-disabled's
		return
	}
	final := df.Final()
	runs, known := runsProcess(img)
	if !img.Knows(lint.FieldHealthcheck) || !known {
		notKnown(r, final.FromPos, final.Subject(), img)
		return
	}
	if !runs || toolImage(img) {
		return // a base image for others: the images built FROM it know what to probe
	}
	if viewProcess(img, append(append([]string{}, img.Entrypoint...), img.Cmd...)).bareShell {
		return // its script does its work and hands over to a bare shell, which exits: a job
	}
	if dropsPrivileges(img) != "" {
		// The official server images' shape: they ship no HEALTHCHECK by
		// policy, as the probe depends on how each user configures them.
		prog := programOf(img)
		if prog == "" {
			prog = officialRepo(img.BaseRef)
		}
		r.AddSeverity(lint.SeverityInfo, final.FromPos, final.Subject(), "the final stage has no HEALTHCHECK%s: it runs %s, a server whose probe depends on the port and credentials each user configures; set healthcheck: where it runs (compose healthcheck:, docker run --health-cmd), or add HEALTHCHECK here if one probe fits every use", inheritedNote(img, "nor does its base image %s"), prog)
		return
	}
	r.AddSeverity(lint.SeverityInfo, final.FromPos, final.Subject(), "the final stage has no HEALTHCHECK%s: Docker cannot tell when the app stops answering; add HEALTHCHECK CMD [...] (or set healthcheck: where it runs)", inheritedNote(img, "nor does its base image %s"))
}

// One-shot jobs are exempt. An image that ships a HEALTHCHECK counts; when
// the image's config is unknown (not inspected, a build that could not be
// read), the check is not run.
func healthcheckMissingService(r *lint.Report, svc *lint.Service) {
	if exemptFromHealth(svc) {
		return
	}
	hc := svc.EffectiveHealthcheck()
	if hc != nil && (hc.Disabled || len(hc.Test) > 0) {
		return
	}
	img := svc.ImageConfig
	if isContainer(svc) {
		r.Add(svc.Pos, svc.Name, "the container has no healthcheck: its state says running even when the app hangs; add a healthcheck to its compose service or image")
		return
	}
	if img == nil || (svc.Built && !img.Knows(lint.FieldHealthcheck)) {
		serviceImageUnknown(r, svc)
		return
	}
	runs, known := serviceRuns(svc)
	switch {
	case !known:
		serviceImageUnknown(r, svc)
	case !runs:
		// No command at all: a build-only service, not one that serves.
	case serviceView(svc).bareShell:
		// Its script hands over to a bare shell, which exits: a job.
	case svc.Built:
		r.Add(svc.Pos, svc.Name, "no healthcheck in the service nor in the Dockerfile it builds%s: add healthcheck: to the service or HEALTHCHECK to the Dockerfile", inheritedNote(img, "nor in its base image %s"))
	default:
		r.Add(svc.Pos, svc.Name, "no healthcheck: neither the service nor the image %s defines one%s, so its state says running even when the app hangs; add healthcheck: to the service", svc.Image, policyNote(img))
	}
}

// inheritedNote names the inspected base image a config inherits from, for
// messages: " nor does its base image x:1"; "" for scratch.
func inheritedNote(img *lint.ImageConfig, format string) string {
	if img == nil || img.Inherited == "" {
		return ""
	}
	return ", " + fmt.Sprintf(format, img.Inherited)
}
