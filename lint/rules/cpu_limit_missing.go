package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// CPULimitMissing finds a service or container with no CPU limit: a busy
// loop in one container starves the others and the host.
var CPULimitMissing = lint.Rule{
	ID:           "cpu-limit-missing",
	Severity:     lint.SeverityInfo,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "no `cpus` nor `deploy.resources.limits.cpus`",
	Category:     lint.CategoryResources,
	CheckService: cpuLimitMissing,
}

func cpuLimitMissing(r *lint.Report, svc *lint.Service) {
	if svc.CPUs > 0 {
		return
	}
	if isContainer(svc) {
		r.Add(svc.Pos, svc.Name, "no CPU limit: a busy loop can take every core of the host; %s", runtimeFix(svc, "cpus", "docker update --cpus 1"))
		return
	}
	r.Add(svc.Pos, svc.Name, "no CPU limit: a busy loop can take every core of the host; set cpus or deploy.resources.limits.cpus")
}
