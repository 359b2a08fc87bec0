package rules

import (
	"maps"
	"slices"
	"strconv"

	"github.com/docker-heal/docker-heal/lint"
)

// UlimitSoftAboveHard finds a ulimit whose soft value is above its hard one:
// the container fails to start (setrlimit returns EINVAL).
var UlimitSoftAboveHard = lint.Rule{
	ID:           "ulimit-soft-above-hard",
	Severity:     lint.SeverityError,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "a soft ulimit above its hard limit",
	Category:     lint.CategoryResources,
	CheckService: ulimitSoftAboveHard,
}

// -1 is unlimited, above every finite value.
func ulimitSoftAboveHard(r *lint.Report, svc *lint.Service) {
	names := slices.Sorted(maps.Keys(svc.Ulimits))
	for _, name := range names {
		u := svc.Ulimits[name]
		if u.Hard < 0 || (u.Soft >= 0 && u.Soft <= u.Hard) {
			continue
		}
		pos := svc.At("ulimits."+name, "ulimits")
		if isContainer(svc) {
			pos = svc.Pos
		}
		r.Add(pos, svc.Name, "ulimit %s: soft %s is above hard %d, so the container cannot start; make soft at most hard", name, limitString(u.Soft), u.Hard)
	}
}

func limitString(v int64) string {
	if v < 0 {
		return "unlimited"
	}
	return strconv.FormatInt(v, 10)
}
