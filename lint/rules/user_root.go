package rules

import (
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// UserRoot finds an image, service or container that runs as root: an
// escape from the app is an escape as uid 0, and the app can write to every
// file in its image and volumes.
var UserRoot = lint.Rule{
	ID:               "user-root",
	Severity:         lint.SeverityInfo,
	Scope:            lint.ScopeDockerfile | lint.ScopeCompose | lint.ScopeContainer,
	Summary:          "the final image runs as root (no USER, or USER root/0) and compose sets no `user`",
	SecuritySeverity: 5.0,
	CheckDockerfile:  userRootDockerfile,
	CheckService:     userRootService,
}

// nonRootBase says whether a base image is known to set a non-root USER
// itself: distroless :nonroot tags, Chainguard images, the *-unprivileged and
// *-rootless variants, Bitnami images.
func nonRootBase(ref string) bool {
	ref = strings.ToLower(ref)
	switch {
	case strings.Contains(ref, "distroless") && strings.Contains(ref, "nonroot"):
		return true
	case strings.HasPrefix(ref, "cgr.dev/chainguard/") && !strings.Contains(ref, "-dev"):
		return true
	case strings.Contains(ref, "unprivileged") || strings.Contains(ref, "rootless"):
		return true
	case strings.HasPrefix(ref, "bitnami/") || strings.HasPrefix(ref, "docker.io/bitnami/"):
		return true
	}
	return false
}

// imageRunsAsRoot judges an image built from a Dockerfile: its last USER
// along the final FROM chain, or its base's known default. scratch counts:
// with no USER its binary runs as uid 0 (USER 65534 needs no /etc/passwd).
func imageRunsAsRoot(img *lint.ImageConfig) bool {
	if img.User != "" {
		return rootUser(img.User)
	}
	return !nonRootBase(img.BaseRef)
}

// Only the final stage counts: builder stages may run as root. A Dockerfile
// a compose service builds is judged through the service, which may set user:.
func userRootDockerfile(r *lint.Report, df *lint.Dockerfile) {
	if df.UsedByCompose {
		return
	}
	img := df.Image("")
	if img == nil || !imageRunsAsRoot(img) {
		return
	}
	if img.User != "" {
		r.Add(img.UserPos, stageOf(df, img.UserPos).Subject(), "USER %s runs the app as root: switch to an unprivileged user at the end of the final stage (USER 10001)", img.User)
		return
	}
	final := df.Final()
	r.Add(final.FromPos, final.Subject(), "the final stage sets no USER, so the app runs as root: add USER with an unprivileged uid (USER 10001; on distroless, USER nonroot)")
}

func userRootService(r *lint.Report, svc *lint.Service) {
	if svc.User != "" {
		if rootUser(svc.User) {
			r.Add(svc.At("user"), svc.Name, "user %s runs the app as root: set an unprivileged uid (user: \"10001:10001\")", svc.User)
		}
		return
	}
	img := svc.ImageConfig
	if isContainer(svc) {
		// A container's Config.User already holds its image's USER when not overridden.
		if img == nil || rootUser(img.User) {
			r.Add(svc.Pos, svc.Name, "the container runs as root: %s, or USER in its image", runtimeFix(svc, "user:", "recreate it with --user 10001"))
		}
		return
	}
	if img == nil || !imageRunsAsRoot(img) {
		return // an image not built here: its USER is not known
	}
	if img.User != "" {
		r.Add(svc.At("user"), svc.Name, "the image sets USER %s (root) and the service sets no user: set user: \"10001:10001\", or USER in the Dockerfile", img.User)
		return
	}
	r.Add(svc.At("user"), svc.Name, "runs as root: neither the Dockerfile (no USER) nor the service (no user:) sets a user; add USER 10001 to the Dockerfile or user: \"10001:10001\" here")
}
