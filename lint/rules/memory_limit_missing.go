package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// MemoryLimitMissing finds a service or container with no memory limit: one
// leak can take the host's memory, and the kernel's OOM killer then picks a
// victim that may be another service, or the daemon.
var MemoryLimitMissing = lint.Rule{
	ID:           "memory-limit-missing",
	Severity:     lint.SeverityWarning,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "no `mem_limit` nor `deploy.resources.limits.memory`",
	Category:     lint.CategoryResources,
	CheckService: memoryLimitMissing,
}

func memoryLimitMissing(r *lint.Report, svc *lint.Service) {
	if svc.MemLimit > 0 {
		return
	}
	if isContainer(svc) {
		r.Add(svc.Pos, svc.Name, "no memory limit: a leak can use all of the host's memory; %s", runtimeFix(svc, "mem_limit", "docker update --memory 512m"))
		return
	}
	r.Add(svc.Pos, svc.Name, "no memory limit: a leak can use all of the host's memory; set mem_limit or deploy.resources.limits.memory")
}
