package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// DependsOnNoHealthcheck finds `depends_on: {x: {condition: service_healthy}}`
// where x has no healthcheck: `docker compose up` fails with "dependency x
// has no healthcheck configured" (or waits forever on an image that disables it).
var DependsOnNoHealthcheck = lint.Rule{
	ID:           "depends-on-no-healthcheck",
	Severity:     lint.SeverityError,
	Scope:        lint.ScopeCompose,
	Summary:      "`depends_on` with `condition: service_healthy` on a service that has no healthcheck",
	CheckService: dependsOnNoHealthcheck,
}

// The dependency's healthcheck in force counts: its own, or the one its
// image gives it. The rule fires only when it knows there is none: the
// service sets none and its image's config is known (inspected, or a local
// Dockerfile whose every base is known). Otherwise the check is not run. A
// dependency not in the project (another profile) is compose's to report.
func dependsOnNoHealthcheck(r *lint.Report, svc *lint.Service) {
	if isContainer(svc) {
		return
	}
	for _, d := range svc.DependsOn {
		if d.Condition != "service_healthy" || d.Target == nil {
			continue
		}
		hc := d.Target.EffectiveHealthcheck()
		pos := either(d.Pos, svc.At("depends_on."+d.Service, "depends_on"))
		switch {
		case hc != nil && hc.Disabled:
			r.Add(pos, svc.Name, "waits for %s to be healthy, but %s disables its healthcheck: compose can never start %s; give %s a healthcheck or use condition: service_started", d.Service, d.Service, svc.Name, d.Service)
		case probing(hc):
		case d.Target.ImageConfig == nil && unreadBuild(d.Target) != "":
			r.NotChecked(pos, svc.Name, lint.UnknownBuild, d.Target.BuildUnread)
		case d.Target.ImageConfig == nil && d.Target.Image != "":
			r.NotChecked(pos, svc.Name, lint.UnknownImage, d.Target.Image)
		case d.Target.Built && !d.Target.ImageConfig.Knows(lint.FieldHealthcheck):
			notKnown(r, pos, svc.Name, d.Target.ImageConfig)
		default:
			r.Add(pos, svc.Name, "waits for %s to be healthy, but %s has no healthcheck%s: compose fails to start %s; add healthcheck: to %s", d.Service, d.Service, policyNote(d.Target.ImageConfig), svc.Name, d.Service)
		}
	}
}
