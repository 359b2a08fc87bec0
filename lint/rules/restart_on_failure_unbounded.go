package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// RestartOnFailureUnbounded finds on-failure without a retry limit: a
// container that fails at start restarts forever, with the engine's backoff
// capped at one minute.
var RestartOnFailureUnbounded = lint.Rule{
	ID:           "restart-on-failure-unbounded",
	Severity:     lint.SeverityInfo,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "`on-failure` without a maximum retry count",
	CheckService: restartOnFailureUnbounded,
}

func restartOnFailureUnbounded(r *lint.Report, svc *lint.Service) {
	if exemptFromHealth(svc) || svc.Swarm || svc.Restart.Name != "on-failure" || svc.Restart.MaxRetries > 0 {
		return
	}
	switch {
	case isContainer(svc):
		r.Add(svc.Pos, svc.Name, "restart policy on-failure with no maximum: a container that cannot start restarts forever; set a count (on-failure:5)")
	case svc.Restart.FromDeploy:
		r.Add(svc.At("deploy.restart_policy.condition", "deploy.restart_policy"), svc.Name, "deploy.restart_policy on-failure with no max_attempts: a container that cannot start restarts forever; set max_attempts (e.g. 5)")
	default:
		r.Add(svc.At("restart"), svc.Name, "restart: on-failure with no maximum: a container that cannot start restarts forever; write restart: on-failure:5")
	}
}
