package rules

import (
	"path"
	"regexp"
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
	if img.UserPos.Line == 0 && (toolImage(img) || dropsPrivileges(img) != "") {
		return // a base image for others, or an image that must start as root
	}
	root, known := imageUser(img)
	final := df.Final()
	if known && !root {
		return
	}
	runs, runsKnown := runsProcess(img)
	v := viewProcess(img, append(append([]string{}, img.Entrypoint...), img.Cmd...))
	switch {
	case !known || !runsKnown:
		notKnown(r, final.FromPos, final.Subject(), img)
	case !runs && img.UserPos.Line == 0:
		// A base or build image: the images built FROM it choose the user.
	case v.rootOnPurpose() != "":
		// It starts as root by design (gosu, s6-overlay, supervisord, cron):
		// USER would break it.
	case v.unknown != "":
		r.NotChecked(final.FromPos, final.Subject(), lint.UnknownScript, v.unknown)
	case img.UserPos.Line > 0 && statedRoot(df, img.UserPos.Line):
		// USER root under "# hadolint ignore=DL3002": a decision written down.
	case img.UserPos.Line > 0:
		r.Add(img.UserPos, stageOf(df, img.UserPos).Subject(), "USER %s runs the app as root: switch to an unprivileged user at the end of the final stage (USER 10001)", img.User)
	case img.Inherited != "":
		r.Add(final.FromPos, final.Subject(), "the final stage sets no USER and its base image %s runs as root, so the app does: add USER with an unprivileged uid (USER 10001)", img.Inherited)
	default:
		r.Add(final.FromPos, final.Subject(), "the final stage sets no USER, so the app runs as root: add USER with an unprivileged uid (USER 10001; on distroless, USER nonroot)")
	}
}

func userRootService(r *lint.Report, svc *lint.Service) {
	if mountsDockerSocket(svc) {
		// It drives the engine through its socket (root:docker, 0660): it
		// needs root or the socket's group, and an unprivileged uid breaks it.
		// docker-socket-mounted reports the socket itself.
		return
	}
	if svc.User != "" {
		if rootUser(svc.User) && !isContainer(svc) {
			switch img := svc.ImageConfig; {
			case img == nil || !img.Knows(lint.FieldUser):
				// Whether user: 0:0 overrides a non-root USER on purpose
				// depends on the image's USER, which is not known.
				serviceImageUnknown(r, svc)
				return
			case !rootUser(img.User):
				// user: 0:0 over an image that sets a non-root USER: an override
				// written on purpose (a backup or init job that must own volumes).
				return
			}
		}
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
		case img == nil || !img.Knows(lint.FieldUser):
			serviceImageUnknown(r, svc)
		case !rootUser(img.User):
		case serviceView(svc).rootOnPurpose() != "":
		case serviceView(svc).unknown != "":
			// Its entrypoint script is in the image, not here: whether it drops
			// privileges (gosu, su-exec) is unknown.
			r.NotChecked(svc.At("user"), svc.Name, lint.UnknownScript, serviceView(svc).unknown+" in "+svc.Image)
		default:
			r.Add(svc.At("user"), svc.Name, "the image %s runs as root (no USER) and the service sets no user: set user: \"10001:10001\" if the image supports it", svc.Image)
		}
		return
	}
	if img.UserPos.Line == 0 && svc.Entrypoint == nil && svc.Command == nil && dropsPrivileges(img) != "" {
		return // it starts as root by design, and drops privileges itself
	}
	root, known := imageUser(img)
	if known && !root {
		return
	}
	runs, runsKnown := serviceRuns(svc)
	switch {
	case !known || !runsKnown:
		notKnown(r, svc.At("user"), svc.Name, img)
	case !runs:
		// A build-only service runs nothing.
	case serviceView(svc).rootOnPurpose() != "":
		// It starts as root by design (gosu, s6-overlay, supervisord, cron).
	case serviceView(svc).unknown != "":
		r.NotChecked(svc.At("user"), svc.Name, lint.UnknownScript, serviceView(svc).unknown)
	case img.User != "" && img.UserPos.Line > 0:
		r.Add(svc.At("user"), svc.Name, "the image sets USER %s (root) and the service sets no user: set user: \"10001:10001\", or USER in the Dockerfile", img.User)
	case img.Inherited != "":
		r.Add(svc.At("user"), svc.Name, "runs as root: neither the Dockerfile nor the service sets a user and the base image %s runs as root; add USER 10001 to the Dockerfile or user: \"10001:10001\" here", img.Inherited)
	default:
		r.Add(svc.At("user"), svc.Name, "runs as root: neither the Dockerfile (no USER) nor the service (no user:) sets a user; add USER 10001 to the Dockerfile or user: \"10001:10001\" here")
	}
}

// statedRoot says whether USER root at line is a decision written down:
// hadolint's "ignore=DL3002" (last USER should not be root) right above it.
func statedRoot(df *lint.Dockerfile, line int) bool {
	for _, c := range df.CommentsAbove(line) {
		if strings.HasPrefix(c, "hadolint ignore=") && strings.Contains(c, "DL3002") {
			return true
		}
	}
	return false
}

// mountsDockerSocket says whether a service or container mounts the engine's socket.
func mountsDockerSocket(svc *lint.Service) bool {
	for _, m := range svc.Mounts {
		if path.Base(m.Target) == "docker.sock" {
			return true
		}
	}
	return false
}

// serviceView follows what a compose service runs through its image's scripts.
func serviceView(svc *lint.Service) processView {
	argv, _ := svc.Process()
	return viewProcess(svc, argv)
}

// toolImage says whether a Dockerfile builds a toolbox or language base
// image rather than a service: its own CMD is a bare interpreter or shell
// with no arguments (CMD ["python3"], CMD ["node"], CMD ["bash"]), with no
// entrypoint or only a script in front of it (docker-entrypoint.sh). Such an
// image runs no app of its own: the images built FROM it choose the user and
// the probe, so neither USER nor HEALTHCHECK belongs here.
func toolImage(img *lint.ImageConfig) bool {
	if img == nil || img.CmdPos.Line == 0 || img.CmdShell || len(img.Cmd) != 1 {
		return false
	}
	switch ep := img.Entrypoint; {
	case len(ep) > 1, len(ep) == 1 && !scriptPath(ep[0]):
		return false
	}
	return interpreterRe.MatchString(path.Base(img.Cmd[0]))
}

var interpreterRe = regexp.MustCompile(`^(sh|bash|ash|dash|zsh|pwsh|powershell|cmd|python|pypy|ruby|irb|perl|php|lua|node|bun|deno|jshell|iex|erl|ghci|julia|R)[0-9.]*(\.exe)?$`)

// scriptPath says whether an entrypoint is a wrapper script
// (docker-entrypoint.sh, /entrypoint): it runs its arguments.
func scriptPath(p string) bool {
	base := path.Base(p)
	return strings.HasSuffix(base, ".sh") || strings.Contains(base, "entrypoint")
}

// dropsPrivileges explains, from the Dockerfile alone, why the image it
// builds starts as root by design and drops to an unprivileged user itself,
// so that USER would break it; "" when it does not look so. Either:
//   - the Dockerfile creates a user and runs nginx or httpd, whose master
//     process binds the ports as root and runs its workers as that user;
//   - the Dockerfile creates a user, installs gosu (su-exec, setpriv) and
//     starts through an entrypoint script, which steps down with it (the
//     official database images' shape);
//   - it sets no ENTRYPOINT nor CMD over an official image known to do one
//     of the above (FROM nginx, FROM postgres, ...).
func dropsPrivileges(img *lint.ImageConfig) string {
	if img == nil {
		return ""
	}
	prog := programOf(img)
	switch {
	case img.UserAdded && (prog == "nginx" || prog == "httpd" || prog == "apache2-foreground"):
		return prog + "'s master process starts as root to bind its ports and runs its workers as the user this Dockerfile creates"
	case img.UserAdded && img.StepDown != "" && len(img.Entrypoint) > 0 && scriptPath(img.Entrypoint[0]):
		return "its entrypoint " + img.Entrypoint[0] + " starts as root and switches to the user this Dockerfile creates with " + img.StepDown
	case img.EntrypointPos.Line == 0 && img.CmdPos.Line == 0:
		if why := privilegeDroppingImages[officialRepo(img.BaseRef)]; why != "" {
			return "its base image " + img.BaseRef + " " + why
		}
	}
	return ""
}

// privilegeDroppingImages are Docker official images that start as root and
// drop privileges themselves, by repository.
var privilegeDroppingImages = map[string]string{
	"nginx":    "runs nginx, whose master process starts as root to bind its ports and runs its workers as the nginx user",
	"httpd":    "runs httpd, which starts as root to bind its ports and serves as the user its config names",
	"postgres": "starts as root in docker-entrypoint.sh, which switches to the postgres user with gosu",
	"mysql":    "starts as root in docker-entrypoint.sh, which switches to the mysql user with gosu",
	"mariadb":  "starts as root in docker-entrypoint.sh, which switches to the mysql user with gosu",
	"mongo":    "starts as root in docker-entrypoint.sh, which switches to the mongodb user with gosu",
	"redis":    "starts as root in docker-entrypoint.sh, which switches to the redis user",
}

// officialRepo returns the repository of a Docker official image reference
// (nginx for nginx:1.27-alpine, docker.io/library/nginx); "" for any other.
func officialRepo(ref string) string {
	ref = strings.ToLower(ref)
	for _, prefix := range []string{"docker.io/library/", "index.docker.io/library/", "library/", "docker.io/"} {
		if strings.HasPrefix(ref, prefix) {
			ref = strings.TrimPrefix(ref, prefix)
			break
		}
	}
	if i := strings.IndexAny(ref, ":@"); i >= 0 {
		ref = ref[:i]
	}
	if strings.Contains(ref, "/") {
		return ""
	}
	return ref
}

// programOf names the program an image runs behind a wrapper script or an
// init: its entrypoint's, else its CMD's first word (exec form only).
func programOf(img *lint.ImageConfig) string {
	ep := img.Entrypoint
	if len(ep) > 0 && !scriptPath(ep[0]) && !isInit(ep[0]) {
		return path.Base(ep[0])
	}
	if img.CmdShell || len(img.Cmd) == 0 {
		return ""
	}
	return path.Base(img.Cmd[0])
}
