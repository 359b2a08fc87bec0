package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// HealthcheckDisabled finds a healthcheck switched off on purpose: HEALTHCHECK
// NONE, compose `disable: true` or `test: ["NONE"]`. It also throws away the
// base image's healthcheck.
var HealthcheckDisabled = lint.Rule{
	ID:              "healthcheck-disabled",
	Severity:        lint.SeverityWarning,
	Scope:           lint.ScopeDockerfile | lint.ScopeCompose | lint.ScopeContainer,
	Summary:         "`HEALTHCHECK NONE`, `disable: true`, `test: [\"NONE\"]`",
	CheckDockerfile: healthcheckDisabledDockerfile,
	CheckService:    healthcheckDisabledService,
}

// The final image's healthcheck is what counts. A Dockerfile a compose service
// builds is judged through the service, which may set a healthcheck over it;
// the finding then points at the HEALTHCHECK NONE line all the same.
func healthcheckDisabledDockerfile(r *lint.Report, df *lint.Dockerfile) {
	if df.UsedByCompose {
		return
	}
	img := df.Image("")
	if img == nil || img.Healthcheck == nil || !img.Healthcheck.Disabled {
		return
	}
	pos := img.Healthcheck.Pos
	r.Add(pos, stageOf(df, pos).Subject(), "HEALTHCHECK NONE disables the healthcheck (also the base image's): Docker cannot tell when the app stops answering; write a HEALTHCHECK CMD [...] instead")
}

func healthcheckDisabledService(r *lint.Report, svc *lint.Service) {
	if exemptFromHealth(svc) {
		return
	}
	hc := svc.EffectiveHealthcheck()
	if hc == nil || !hc.Disabled {
		return
	}
	switch {
	case isContainer(svc):
		r.Add(svc.Pos, svc.Name, "the container's healthcheck is disabled: its state says running even when the app hangs; give it a healthcheck")
	case svc.Healthcheck != nil && svc.Healthcheck.Disabled:
		r.Add(svc.At("healthcheck.disable", "healthcheck.test", "healthcheck"), svc.Name, "the healthcheck is disabled: Docker cannot tell when the app stops answering; write a healthcheck test instead")
	default:
		r.Add(either(hc.Pos, svc.Pos), svc.Name, "the image built for this service disables its healthcheck (HEALTHCHECK NONE): add healthcheck: to the service or a HEALTHCHECK CMD to the Dockerfile")
	}
}
