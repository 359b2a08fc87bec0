package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// Privileged finds privileged containers: every capability, every device,
// no seccomp or AppArmor profile. A compromise of the app is a compromise of
// the host.
var Privileged = lint.Rule{
	ID:               "privileged",
	Severity:         lint.SeverityWarning,
	Scope:            lint.ScopeCompose | lint.ScopeContainer,
	Summary:          "`privileged: true`",
	SecuritySeverity: 9.0,
	CheckService:     privileged,
}

func privileged(r *lint.Report, svc *lint.Service) {
	if !svc.Privileged {
		return
	}
	if isContainer(svc) {
		r.Add(svc.Pos, svc.Name, "the container runs privileged: it has every capability and device of the host; grant only what it needs (cap_add, devices)")
		return
	}
	r.Add(svc.At("privileged"), svc.Name, "privileged: true gives the container every capability and device of the host; grant only what it needs with cap_add and devices")
}
