package rules

import (
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
// info, since where it runs may add one (docker run --health-cmd, Kubernetes
// probes).
func healthcheckMissingDockerfile(r *lint.Report, df *lint.Dockerfile) {
	if df.UsedByCompose {
		return
	}
	img := df.Image("")
	if img == nil || img.Healthcheck != nil { // HEALTHCHECK NONE is healthcheck-disabled's
		return
	}
	final := df.Final()
	r.AddSeverity(lint.SeverityInfo, final.FromPos, final.Subject(), "the final stage has no HEALTHCHECK: Docker cannot tell when the app stops answering; add HEALTHCHECK CMD [...] (or set healthcheck: where it runs)")
}

// One-shot jobs are exempt. A service whose image is not built here may get a
// HEALTHCHECK from that image, which docker heal cannot see: the message says so.
func healthcheckMissingService(r *lint.Report, svc *lint.Service) {
	if exemptFromHealth(svc) {
		return
	}
	hc := svc.EffectiveHealthcheck()
	if hc != nil && (hc.Disabled || len(hc.Test) > 0) {
		return
	}
	switch {
	case isContainer(svc):
		r.Add(svc.Pos, svc.Name, "the container has no healthcheck: its state says running even when the app hangs; add a healthcheck to its compose service or image")
	case svc.ImageConfig != nil:
		r.Add(svc.Pos, svc.Name, "no healthcheck in the service nor in the Dockerfile it builds: add healthcheck: to the service or HEALTHCHECK to the Dockerfile")
	default:
		r.Add(svc.Pos, svc.Name, "no healthcheck: add healthcheck: to the service (the image %s may define one, which docker heal cannot see; say so with an ignore)", svc.Image)
	}
}
