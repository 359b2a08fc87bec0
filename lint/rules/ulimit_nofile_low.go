package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// UlimitNofileLow finds a service or container whose open-file limit is unset
// or set very low: under load a server runs out of descriptors ("too many open
// files") and drops connections. An explicit soft limit of 4096 or more is the
// author's choice for their app and is respected.
var UlimitNofileLow = lint.Rule{
	ID:           "ulimit-nofile-low",
	Severity:     lint.SeverityInfo,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "`nofile` unset, or set with a soft limit below 4096",
	Category:     lint.CategoryResources,
	CheckService: ulimitNofileLow,
	Fix:          "safe",
}

// minNofile is the lowest explicit soft limit left alone: 4096 is four
// times the usual default soft limit (1024) and enough for most services;
// above it, the author has chosen a figure for their app.
const minNofile = 4096

// Unset means the daemon's default, which differs by host and engine version
// (a soft limit of 1024 on current engines under systemd): it is reported,
// for containers too, since inspect shows no value to judge. -1 is unlimited.
func ulimitNofileLow(r *lint.Report, svc *lint.Service) {
	u, ok := svc.Ulimits["nofile"]
	fix := "set ulimits: {nofile: {soft: 65536, hard: 65536}}"
	pos := svc.At("ulimits.nofile", "ulimits")
	if isContainer(svc) {
		fix = runtimeFix(svc, "ulimits.nofile", "recreate it with --ulimit nofile=65536:65536")
		pos = svc.Pos
	}
	switch {
	case !ok:
		r.Add(pos, svc.Name, "nofile ulimit not set: the container gets the daemon's default, often a soft limit of 1024 open files; %s", fix)
		r.Fix(nofileFix(svc, u, false))
	case u.Soft >= 0 && u.Soft < minNofile:
		r.Add(pos, svc.Name, "nofile soft limit %d is below 4096: a busy server runs out of file descriptors; %s", u.Soft, fix)
		r.Fix(nofileFix(svc, u, true))
	}
}

// fixNofile is the limit the fix sets, soft and hard.
const fixNofile = "65536"

// nofileFix sets nofile to 65536 (soft and hard): in a new ulimits block,
// under an existing one, or in place of the values written. A hard limit
// at or above 65536 is kept.
func nofileFix(svc *lint.Service, u lint.Ulimit, set bool) *lint.Fix {
	if isContainer(svc) {
		return nil
	}
	e := svc.Edit()
	switch {
	case !set && !e.Has("ulimits"):
		e.AddKeys("ulimits:", "\tnofile:", "\t\tsoft: "+fixNofile, "\t\thard: "+fixNofile)
	case !set && !e.Has("ulimits.nofile"):
		e.AddKeysAt("ulimits", "nofile:", "\tsoft: "+fixNofile, "\thard: "+fixNofile)
	case set && e.Has("ulimits.nofile.soft"):
		e.SetScalar("ulimits.nofile.soft", fixNofile)
		if u.Hard >= 0 && u.Hard < 65536 {
			if !e.Has("ulimits.nofile.hard") {
				return nil
			}
			e.SetScalar("ulimits.nofile.hard", fixNofile)
		}
	case set && !e.Has("ulimits.nofile.hard"):
		e.SetScalar("ulimits.nofile", fixNofile) // nofile: 1024 sets both
	default:
		return nil
	}
	return e.Fix("set the nofile ulimit to "+fixNofile, false)
}
