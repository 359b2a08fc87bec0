package rules

import (
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// CapAddDangerous finds a capability added that lets a compromised container
// reach the host: mount file systems, load kernel modules, read raw devices,
// trace other processes, read any file, reboot, or load eBPF programs.
var CapAddDangerous = lint.Rule{
	ID:               "cap-add-dangerous",
	Severity:         lint.SeverityWarning,
	Scope:            lint.ScopeCompose | lint.ScopeContainer,
	Summary:          "`cap_add` of ALL, SYS_ADMIN, SYS_MODULE, SYS_RAWIO, SYS_PTRACE, DAC_READ_SEARCH, SYS_BOOT or BPF",
	SecuritySeverity: 8.0,
	CheckService:     capAddDangerous,
}

// dangerousCaps says what each capability gives a container. NET_ADMIN and
// NET_RAW are left out: VPNs, routers and ping need them, and they stay
// within the container's own network namespace unless network_mode is host
// (which host-namespace reports).
var dangerousCaps = map[string]string{
	"ALL":             "have every capability, as if privileged",
	"SYS_ADMIN":       "mount file systems and manage namespaces, the usual way out of a container",
	"SYS_MODULE":      "load kernel modules, that is run code in the host's kernel",
	"SYS_RAWIO":       "do raw I/O on devices and I/O ports, past every file permission",
	"SYS_PTRACE":      "trace and inject code into other processes (the host's too with pid: host)",
	"DAC_READ_SEARCH": "open any file of the host by handle, outside its mounts (the 'shocker' escape)",
	"SYS_BOOT":        "load and boot another kernel (kexec_load) or reboot",
	"BPF":             "load eBPF programs into the host's kernel",
}

// capName normalises a capability as the engine does: any case, with or
// without the CAP_ prefix.
func capName(c string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
}

// Each dangerous capability is one finding, at its cap_add entry.
func capAddDangerous(r *lint.Report, svc *lint.Service) {
	seen := map[string]bool{}
	for _, raw := range svc.CapAdd {
		name := capName(raw)
		why, ok := dangerousCaps[name]
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		if isContainer(svc) {
			r.Add(svc.Pos, svc.Name, "the container has %s added, which lets it %s; drop it, or grant a narrower capability (%s)", name, why, runtimeFix(svc, "cap_add", "recreate it without --cap-add "+raw))
			continue
		}
		r.Add(svc.At("cap_add."+raw, "cap_add"), svc.Name, "cap_add %s lets the container %s; drop it, or grant a narrower capability", raw, why)
	}
}
