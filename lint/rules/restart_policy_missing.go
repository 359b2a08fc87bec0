package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// RestartPolicyMissing finds a long-running service with no restart policy:
// after a crash or a daemon restart it stays down.
var RestartPolicyMissing = lint.Rule{
	ID:           "restart-policy-missing",
	Severity:     lint.SeverityWarning,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "long-running service with no `restart` and no `deploy.restart_policy`",
	CheckService: restartPolicyMissing,
	Fix:          "safe",
}

// One-shot jobs are exempt (an explicit restart: "no" makes a service one), as
// are Swarm tasks, which Swarm restarts, and deploy.restart_policy with
// condition: none, which is as explicit as restart: "no".
func restartPolicyMissing(r *lint.Report, svc *lint.Service) {
	if exemptFromHealth(svc) || svc.Swarm || svc.Restart.FromDeploy {
		return
	}
	if svc.Restart.Name != "" && svc.Restart.Name != "no" {
		return
	}
	if isContainer(svc) {
		r.Add(svc.Pos, svc.Name, "the container has no restart policy: it stays down after a crash or a daemon restart; %s", runtimeFix(svc, "restart: unless-stopped", "docker update --restart unless-stopped"))
		return
	}
	r.Add(svc.Pos, svc.Name, "no restart policy: the service stays down after a crash or a daemon restart; set restart: unless-stopped (or restart: \"no\" for a one-shot job)")
	r.Fix(restartFix(svc))
}

// restartFix adds restart: unless-stopped to the service, when no file
// sets restart at all (an empty value is the author's to resolve).
func restartFix(svc *lint.Service) *lint.Fix {
	e := svc.Edit()
	if svc.Restart.Name != "" || e.Has("restart") || e.Has("deploy.restart_policy") {
		return nil
	}
	e.AddKeys("restart: unless-stopped")
	return e.Fix("add restart: unless-stopped", false)
}
