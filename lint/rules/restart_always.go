package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// RestartAlways finds restart: always where unless-stopped is meant: a
// container an operator stopped on purpose comes back when the daemon restarts.
var RestartAlways = lint.Rule{
	ID:           "restart-always",
	Severity:     lint.SeverityInfo,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "`always` rather than `unless-stopped`: an operator's stop is undone when the daemon restarts",
	CheckService: restartAlways,
}

// deploy.restart_policy (condition: any) is left alone: it is the Swarm
// spelling, and Swarm has no unless-stopped. Swarm tasks and one-shot jobs
// are exempt.
func restartAlways(r *lint.Report, svc *lint.Service) {
	if exemptFromHealth(svc) || svc.Swarm || svc.Restart.FromDeploy || svc.Restart.Name != "always" {
		return
	}
	if isContainer(svc) {
		r.Add(svc.Pos, svc.Name, "restart policy always: a container stopped on purpose starts again when the daemon restarts; use unless-stopped")
		return
	}
	r.Add(svc.At("restart"), svc.Name, "restart: always brings a container stopped on purpose back when the daemon restarts; use restart: unless-stopped")
}
