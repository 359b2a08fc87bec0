package rules

import (
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// HostNamespace finds a container that shares a namespace with the host:
// pid: host shows it (and lets it signal) every process of the host, ipc: host
// its shared memory, userns_mode: host turns off the user-namespace remapping
// the daemon was set up with. network_mode: host is a common and deliberate
// choice (performance, discovery), so it is only info: the container's
// ports are the host's, and it can reach every service bound to localhost.
var HostNamespace = lint.Rule{
	ID:               "host-namespace",
	Severity:         lint.SeverityWarning,
	Scope:            lint.ScopeCompose | lint.ScopeContainer,
	Summary:          "`pid: host`, `ipc: host` or `userns_mode: host` (warning); `network_mode: host` (info)",
	SecuritySeverity: 7.0,
	CheckService:     hostNamespace,
}

func hostNamespace(r *lint.Report, svc *lint.Service) {
	for _, ns := range []struct {
		key, flag, value string
		sev              lint.Severity
		why              string
	}{
		{"pid", "--pid", svc.PidMode, lint.SeverityWarning, "it sees every process of the host and, as root, can signal or trace them"},
		{"ipc", "--ipc", svc.IpcMode, lint.SeverityWarning, "it can read and write the shared memory (System V IPC, /dev/shm) of the host's programs"},
		{"userns_mode", "--userns", svc.UsernsMode, lint.SeverityWarning, "it opts out of the daemon's user-namespace remapping (userns-remap): root in the container is root on the host"},
		{"network_mode", "--network", svc.NetworkMode, lint.SeverityInfo, "its ports are the host's and it reaches every service bound to the host's localhost; use published ports unless host networking is needed"},
	} {
		if !strings.EqualFold(strings.TrimSpace(ns.value), "host") {
			continue
		}
		if isContainer(svc) {
			r.AddSeverity(ns.sev, svc.Pos, svc.Name, "the container uses the host's %s namespace (%s host): %s", namespaceName(ns.key), ns.flag, ns.why)
			continue
		}
		r.AddSeverity(ns.sev, svc.At(ns.key), svc.Name, "%s: host shares the host's %s namespace: %s", ns.key, namespaceName(ns.key), ns.why)
	}
}

func namespaceName(key string) string {
	switch key {
	case "pid":
		return "PID"
	case "ipc":
		return "IPC"
	case "userns_mode":
		return "user"
	}
	return "network"
}
