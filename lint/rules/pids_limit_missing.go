package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// PidsLimitMissing finds a service or container with no pids limit: a fork
// bomb or a thread leak exhausts the host's process table, and nothing on the
// host can start a process any more.
var PidsLimitMissing = lint.Rule{
	ID:           "pids-limit-missing",
	Severity:     lint.SeverityInfo,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "no `pids_limit`",
	Category:     lint.CategoryResources,
	CheckService: pidsLimitMissing,
	Fix:          "unsafe",
}

// 0 and -1 both mean unlimited (the engine reports either).
func pidsLimitMissing(r *lint.Report, svc *lint.Service) {
	if svc.PidsLimit > 0 {
		return
	}
	switch {
	case isContainer(svc):
		r.Add(svc.Pos, svc.Name, "no pids limit: a fork bomb or thread leak can exhaust the host's process table; %s", runtimeFix(svc, "pids_limit", "docker update --pids-limit 512"))
	case svc.PidsLimit < 0:
		r.Add(svc.At("pids_limit", "deploy.resources.limits.pids"), svc.Name, "pids_limit %d is unlimited: a fork bomb or thread leak can exhaust the host's process table; set a bound such as pids_limit: 512", svc.PidsLimit)
	default:
		r.Add(svc.Pos, svc.Name, "no pids limit: a fork bomb or thread leak can exhaust the host's process table; set pids_limit (e.g. 512)")
		r.Fix(pidsFix(svc))
	}
}

// pidsFix adds pids_limit: 512. It is unsafe: the pids controller counts
// threads, and a thread-heavy server (a JVM, ClickHouse, Elasticsearch under
// load) can need more than 512, which only the author knows.
func pidsFix(svc *lint.Service) *lint.Fix {
	e := svc.Edit()
	if e.Has("pids_limit") || e.Has("deploy.resources.limits.pids") {
		return nil
	}
	// compose refuses pids_limit beside deploy.resources.limits (unless
	// equal): the limit goes where the others are.
	if e.Has("deploy.resources.limits") {
		e.AddKeysAt("deploy.resources.limits", "pids: 512")
		return e.Fix("add deploy.resources.limits.pids: 512", true)
	}
	e.AddKeys("pids_limit: 512")
	return e.Fix("add pids_limit: 512", true)
}
