package rules

import (
	"github.com/docker-heal/docker-heal/internal/labels"
	"github.com/docker-heal/docker-heal/lint"
)

// UnhealthyNotActedOn finds a healthcheck that nothing acts on: Docker's
// restart policies react to a container exiting, never to it being
// unhealthy, so an app that hangs stays hung.
var UnhealthyNotActedOn = lint.Rule{
	ID:           "unhealthy-not-acted-on",
	Severity:     lint.SeverityInfo,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "a healthcheck exists but nothing restarts the container when unhealthy (Docker's restart policies act only on exit)",
	CheckService: unhealthyNotActedOn,
}

// Silent for one-shot jobs, for Swarm (which replaces unhealthy tasks), and
// for services that opt in to `docker heal once` or docker-autoheal with the
// label docker-heal.enable or autoheal set to a true value (true, yes, on,
// 1, in any case), as healing reads them.
func unhealthyNotActedOn(r *lint.Report, svc *lint.Service) {
	if exemptFromHealth(svc) || svc.Swarm || healOptIn(svc) {
		return
	}
	if !probing(svc.EffectiveHealthcheck()) {
		return
	}
	if isContainer(svc) {
		r.Add(svc.Pos, svc.Name, "the container has a healthcheck but nothing restarts it when unhealthy (restart policies act only on exit): label it docker-heal.enable=true and run docker heal once")
		return
	}
	r.Add(svc.At("labels", "healthcheck"), svc.Name, "the healthcheck is only reported: nothing restarts the container when it turns unhealthy (restart policies act only on exit); add the label docker-heal.enable=true and run docker heal once")
}

// healOptIn reads the opt-in labels with healing's own reader: every value
// it acts on (true, yes, on, 1, in any case) counts.
func healOptIn(svc *lint.Service) bool {
	enabled, _, _ := labels.OptIn(svc.Labels)
	return enabled
}
