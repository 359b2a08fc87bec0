package rules

import (
	"strings"

	"github.com/docker-heal/docker-heal/lint"
	"go.yaml.in/yaml/v4"
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
	Fix:          "safe",
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
	if !isContainer(svc) {
		r.Fix(logRotationFix(svc, size))
	}
}

// The fix's rotation: 3 files of 10 MB, what the docs' example sets.
const (
	fixMaxSize = "10m"
	fixMaxFile = `"3"`
)

// logRotationFix sets max-size where the logging block is written (adding
// the block, or options, when missing). A service with no logging at all
// reuses the file's own x- anchor of a rotating logging block when there is
// one (logging: *anchor, or <<: *anchor for an anchor holding only
// logging:), else gets the block written out.
func logRotationFix(svc *lint.Service, size string) *lint.Fix {
	e := svc.Edit()
	if e.Has("log_driver") || e.Has("log_opt") {
		return nil // the old keys: the author moves them to logging:, not us
	}
	switch {
	case size == "-1":
		e.SetScalar("logging.options.max-size", fixMaxSize)
		return e.Fix("set logging max-size to "+fixMaxSize, false)
	case e.Has("logging.options.max-size"):
		return nil // written but empty: the author's to resolve
	case e.Has("logging.options"):
		lines := []string{"max-size: " + fixMaxSize}
		if !e.Has("logging.options.max-file") {
			lines = append(lines, "max-file: "+fixMaxFile)
		}
		e.AddKeysAt("logging.options", lines...)
		return e.Fix("add logging max-size", false)
	case e.Has("logging"):
		e.AddKeysAt("logging", "options:", "\tmax-size: "+fixMaxSize, "\tmax-file: "+fixMaxFile)
		return e.Fix("add logging options max-size and max-file", false)
	}
	if name, _ := e.AliasAnchor(rotatingLogging); name != "" {
		e.AddKeys("logging: *" + name)
		return e.Fix("add logging: *"+name, false)
	}
	if name, _ := e.AliasAnchor(onlyRotatingLogging); name != "" && !e.Has("<<") {
		e.AddKeys("<<: *" + name)
		return e.Fix("merge <<: *"+name, false)
	}
	e.AddKeys("logging:", "\tdriver: json-file", "\toptions:", "\t\tmax-size: "+fixMaxSize, "\t\tmax-file: "+fixMaxFile)
	return e.Fix("add a logging block with max-size and max-file", false)
}

// rotatingLogging accepts a logging block that rotates: driver local, or
// json-file (or unset) with a max-size; and nothing but driver and options.
func rotatingLogging(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return false
	}
	driver, size := "", ""
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "driver":
			if v.Kind != yaml.ScalarNode {
				return false
			}
			driver = strings.ToLower(v.Value)
		case "options":
			if v.Kind != yaml.MappingNode {
				return false
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "max-size" {
					size = v.Content[j+1].Value
				}
			}
		default:
			return false
		}
	}
	switch driver {
	case "local":
		return true
	case "", "json-file":
		return size != "" && size != "-1" && !strings.Contains(size, "$")
	}
	return false
}

// onlyRotatingLogging accepts a mapping whose one key is a rotating logging.
func onlyRotatingLogging(n *yaml.Node) bool {
	return n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "logging" && rotatingLogging(n.Content[1])
}
