package rules

import (
	"path"
	"regexp"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// DockerSocketMounted finds the Docker socket mounted into a container: with
// it the container can start a privileged container that mounts the host's
// root, so it is root on the host, read-only mount or not.
var DockerSocketMounted = lint.Rule{
	ID:               "docker-socket-mounted",
	Severity:         lint.SeverityWarning,
	Scope:            lint.ScopeCompose | lint.ScopeContainer,
	Summary:          "the Docker socket is mounted into the container",
	SecuritySeverity: 9.0,
	CheckService:     dockerSocketMounted,
}

var rootlessSocketDir = regexp.MustCompile(`^/run/user/[0-9]+$`)

// socketSource says why a bind-mount source exposes the daemon: the socket
// itself (/var/run/docker.sock, /run/docker.sock, a rootless
// /run/user/<uid>/docker.sock, Docker Desktop's docker.sock.raw or
// ~/.docker/run/docker.sock), a folder that holds it (/var/run, /run,
// /run/user/<uid>, /var, /), or the Windows named pipe.
func socketSource(m lint.Mount) (string, bool) {
	src := m.Source
	if strings.HasPrefix(strings.ToLower(src), `\\.\pipe\docker_engine`) || strings.HasPrefix(src, "//./pipe/docker_engine") {
		return "the Docker engine pipe " + src, true
	}
	if m.Type != "" && m.Type != "bind" {
		return "", false
	}
	if !strings.HasPrefix(src, "/") && !strings.HasPrefix(src, "~") {
		return "", false
	}
	clean := path.Clean(src)
	switch base := path.Base(clean); {
	case base == "docker.sock" || base == "docker.sock.raw":
		return "the Docker socket " + clean, true
	case clean == "/var/run" || clean == "/run" || clean == "/var" || clean == "/" || rootlessSocketDir.MatchString(clean):
		return clean + ", which holds the Docker socket", true
	}
	return "", false
}

func dockerSocketMounted(r *lint.Report, svc *lint.Service) {
	// A service that mounts the socket itself and also a folder that holds
	// it (/ as /hostfs, for a collector) is one exposure: report the socket,
	// not the same advice twice on one service.
	type hit struct {
		m    lint.Mount
		what string
	}
	var direct, holders []hit
	for _, m := range svc.Mounts {
		what, ok := socketSource(m)
		if !ok {
			continue
		}
		if strings.Contains(what, "holds the Docker socket") {
			holders = append(holders, hit{m, what})
		} else {
			direct = append(direct, hit{m, what})
		}
	}
	if len(direct) == 0 {
		direct = holders
	}
	for _, h := range direct {
		r.Add(mountPos(svc, h.m), svc.Name, "mounts %s: the container controls the Docker daemon, which is root on the host; mount it only into a tool that needs it, through a filtering proxy (tecnativa/docker-socket-proxy)", h.what)
	}
}

// mountPos is where a mount is written: its short-syntax entry
// ("volumes./var/run/docker.sock:/var/run/docker.sock") when the loader
// recorded one with that source (or, for a source written as a variable,
// that target), else the volumes key.
func mountPos(svc *lint.Service, m lint.Mount) lint.Position {
	var found *lint.Position
	for key, pos := range svc.Keys {
		entry, ok := strings.CutPrefix(key, "volumes.")
		if !ok || m.Source == "" {
			continue
		}
		// The source as written may be a variable (${DOCKER_SOCK}:/var/run/docker.sock):
		// then the target names the entry.
		src, rest, _ := strings.Cut(entry, ":")
		target, _, _ := strings.Cut(rest, ":")
		same := path.Clean(src) == path.Clean(m.Source) ||
			(strings.Contains(src, "$") && m.Target != "" && path.Clean(target) == path.Clean(m.Target))
		if same && (found == nil || pos.Line < found.Line) {
			found = &pos
		}
	}
	if found != nil {
		return *found
	}
	return svc.At("volumes", "use_api_socket")
}
