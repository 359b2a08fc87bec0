package rules

import (
	"path"
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

// imageUser says who an image built from a Dockerfile runs as: its last USER
// along the final FROM chain, else its base's (scratch: root). known is false
// when the USER would come from a base image that was not inspected; a base
// known by name to set a non-root USER then counts as non-root.
func imageUser(img *lint.ImageConfig) (root, known bool) {
	if img.Knows(lint.FieldUser) {
		return rootUser(img.User), true
	}
	if nonRootBase(img.BaseRef) {
		return false, true
	}
	return false, false
}

// Only the final stage counts: builder stages may run as root. A Dockerfile
// a compose service builds is judged through the service, which may set user:.
func userRootDockerfile(r *lint.Report, df *lint.Dockerfile) {
	if df.UsedByCompose {
		return
	}
	img := df.Image("")
	if img == nil {
		return
	}
	root, known := imageUser(img)
	final := df.Final()
	switch {
	case !known:
		r.Add(final.FromPos, final.Subject(), "the final stage sets no USER and its base image %s was not inspected: if it sets no non-root USER either, the app runs as root; check with docker image inspect, and add USER with an unprivileged uid if so (USER 10001)", img.NotInspected)
	case !root:
	case img.UserPos.Line > 0:
		r.Add(img.UserPos, stageOf(df, img.UserPos).Subject(), "USER %s runs the app as root: switch to an unprivileged user at the end of the final stage (USER 10001)", img.User)
	case img.Inherited != "" && entrypointScript(img) != "":
		r.Add(final.FromPos, final.Subject(), "the final stage sets no USER and its base image %s starts as root; its entrypoint %s may switch to another user itself (as official database images do with gosu): check it before adding USER, which such an entrypoint may refuse", img.Inherited, entrypointScript(img))
	case img.Inherited != "":
		r.Add(final.FromPos, final.Subject(), "the final stage sets no USER and its base image %s runs as root, so the app does: add USER with an unprivileged uid (USER 10001)", img.Inherited)
	default:
		r.Add(final.FromPos, final.Subject(), "the final stage sets no USER, so the app runs as root: add USER with an unprivileged uid (USER 10001; on distroless, USER nonroot)")
	}
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
	if !svc.Built {
		// An image run as is: its USER is known only when it was inspected.
		switch {
		case img == nil || !rootUser(img.User):
		case entrypointScript(img) != "":
			r.Add(svc.At("user"), svc.Name, "the image %s starts as root (no USER) and the service sets no user; its entrypoint %s may switch to another user itself (as official database images do with gosu): check it before setting user:, which such an entrypoint may refuse", svc.Image, entrypointScript(img))
		default:
			r.Add(svc.At("user"), svc.Name, "the image %s runs as root (no USER) and the service sets no user: set user: \"10001:10001\" if the image supports it", svc.Image)
		}
		return
	}
	root, known := imageUser(img)
	switch {
	case !known:
		r.Add(svc.At("user"), svc.Name, "neither the Dockerfile (no USER) nor the service (no user:) sets a user, and the base image %s was not inspected: if it sets no non-root USER either, the app runs as root; add USER 10001 to the Dockerfile or user: \"10001:10001\" here if so", img.NotInspected)
	case !root:
	case img.User != "" && img.UserPos.Line > 0:
		r.Add(svc.At("user"), svc.Name, "the image sets USER %s (root) and the service sets no user: set user: \"10001:10001\", or USER in the Dockerfile", img.User)
	case img.Inherited != "" && entrypointScript(img) != "":
		r.Add(svc.At("user"), svc.Name, "neither the Dockerfile nor the service sets a user and the base image %s starts as root; its entrypoint %s may switch to another user itself (as official database images do with gosu): check it before setting a user, which such an entrypoint may refuse", img.Inherited, entrypointScript(img))
	case img.Inherited != "":
		r.Add(svc.At("user"), svc.Name, "runs as root: neither the Dockerfile nor the service sets a user and the base image %s runs as root; add USER 10001 to the Dockerfile or user: \"10001:10001\" here", img.Inherited)
	default:
		r.Add(svc.At("user"), svc.Name, "runs as root: neither the Dockerfile (no USER) nor the service (no user:) sets a user; add USER 10001 to the Dockerfile or user: \"10001:10001\" here")
	}
}

// entrypointScript names an image's entrypoint when it is a script it got
// from an inspected image (docker-entrypoint.sh): such scripts often start as
// root to prepare the data folder, then drop to a user (gosu, su-exec), and
// refuse to start as another user. "" otherwise.
func entrypointScript(img *lint.ImageConfig) string {
	if img == nil || len(img.Entrypoint) == 0 || img.EntrypointPos.Line > 0 || isInit(img.Entrypoint[0]) {
		return ""
	}
	base := path.Base(img.Entrypoint[0])
	if strings.HasSuffix(base, ".sh") || strings.Contains(base, "entrypoint") {
		return img.Entrypoint[0]
	}
	return ""
}
