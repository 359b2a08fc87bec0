package rules

import (
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// LogRotationMissing finds json-file logging without max-size: the engine
// keeps every line the container writes in one file under
// /var/lib/docker/containers, until the disk is full.
var LogRotationMissing = lint.Rule{
	ID:           "log-rotation-missing",
	Severity:     lint.SeverityWarning,
	Scope:        lint.ScopeCompose | lint.ScopeContainer,
	Summary:      "json-file (or the default driver) without `max-size`; `max-file` alone does nothing; `local` rotates by itself",
	Category:     lint.CategoryResources,
	CheckService: logRotationMissing,
}

// An unset driver is the engine's default, json-file; a daemon.json that sets
// another default or default log-opts is not visible to a compose lint (a
// container shows the options the daemon merged in). Drivers other than
// json-file (local, journald, syslog, fluentd, none, ...) rotate or ship logs
// elsewhere and are left alone. max-size -1 means unlimited.
func logRotationMissing(r *lint.Report, svc *lint.Service) {
	driver := strings.ToLower(strings.TrimSpace(svc.LogDriver))
	if driver != "" && driver != "json-file" {
		return
	}
	size := strings.TrimSpace(svc.LogOptions["max-size"])
	if size != "" && size != "-1" {
		return
	}
	pos := svc.At("logging.options", "logging", "log_opt", "log_driver")
	fix := "set logging: {driver: json-file, options: {max-size: 10m, max-file: \"3\"}} (or driver: local)"
	if isContainer(svc) {
		pos = svc.Pos
		fix = runtimeFix(svc, "logging.options.max-size", "recreate it with --log-opt max-size=10m") + ", or log-opts max-size in daemon.json"
	}
	switch {
	case size == "-1":
		r.Add(svc.At("logging.options.max-size", "logging"), svc.Name, "json-file logs with max-size -1 grow without bound until the disk is full; set max-size (e.g. 10m)")
	case svc.LogOptions["max-file"] != "":
		r.Add(svc.At("logging.options.max-file", "logging.options", "logging"), svc.Name, "json-file logs have max-file but no max-size: max-file alone does nothing and the log grows until the disk is full; %s", fix)
	case driver == "":
		r.Add(pos, svc.Name, "logs go to the default json-file driver with no max-size: they grow until the disk is full; %s", fix)
	default:
		r.Add(pos, svc.Name, "json-file logs with no max-size grow until the disk is full; %s", fix)
	}
}
