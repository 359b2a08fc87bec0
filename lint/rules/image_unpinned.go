package rules

import (
	"regexp"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// ImageUnpinned finds an image reference with no tag, :latest or another
// moving tag (alpine, stable, lts, main, nightly, ...): each pull may bring a
// different image, so builds and deploys are not reproducible and a rollback
// may not roll back.
var ImageUnpinned = lint.Rule{
	ID:              "image-unpinned",
	Severity:        lint.SeverityInfo,
	Scope:           lint.ScopeDockerfile | lint.ScopeCompose,
	Summary:         "image or FROM without a tag, `:latest` or another moving tag (`latest-*`, `alpine`, `stable`, `lts`, `main`, `nightly`, ...); a version number or a digest pins it",
	CheckDockerfile: imageUnpinnedDockerfile,
	CheckService:    imageUnpinnedService,
	Fix:             "unsafe",
}

// alwaysMoving tags follow a release line whatever comes after them:
// latest-alpine, lts-alpine3.20 and stable-perl move with the line.
var alwaysMoving = map[string]bool{"latest": true, "lts": true, "stable": true}

// movingWords are the words a moving tag is made of when it holds no version
// number: release channels (edge, main, nightly, ...) and distribution or
// variant names (alpine, slim, apache, management, ...). A tag made only of
// these (alpine, slim, mainline-alpine) moves; a tag with a
// word outside the list (prod, profile, a codename) is not judged, and a tag
// with a digit is taken as a version (16.4, v3.39.1, 20-alpine).
var movingWords = map[string]bool{
	// release channels
	"latest": true, "stable": true, "lts": true, "edge": true, "dev": true, "devel": true,
	"develop": true, "development": true, "main": true, "master": true, "mainline": true,
	"nightly": true, "rolling": true, "beta": true, "alpha": true, "canary": true, "next": true,
	"unstable": true, "testing": true, "current": true, "release": true, "snapshot": true,
	// distributions named without a release ("sid" is Debian's rolling
	// unstable). A release codename (bookworm, jammy) names a release as a
	// major version number does, and is taken as pinned.
	"alpine": true, "slim": true, "debian": true, "ubuntu": true, "sid": true, "centos": true,
	"ubi": true, "distroless": true, "windowsservercore": true, "nanoserver": true,
	// image variants
	"apache": true, "fpm": true, "cli": true, "perl": true, "management": true, "jdk": true,
	"jre": true, "full": true, "minimal": true, "community": true, "enterprise": true,
}

// unpinned reports whether ref is not pinned: tag is "" when the reference has
// no tag at all, else the moving tag. A digest pins whatever the tag; a
// registry port (localhost:5000/app) is not a tag.
func unpinned(ref string) (tag string, bad bool) {
	if strings.Contains(ref, "@") {
		return "", false // pinned by digest
	}
	name := ref
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	_, tag, ok := strings.Cut(name, ":")
	if !ok {
		return "", true
	}
	if movingTag(tag) {
		return tag, true
	}
	return "", false
}

// movingTag reports whether a tag follows a release line or distribution
// rather than naming a version.
func movingTag(tag string) bool {
	parts := strings.FieldsFunc(strings.ToLower(tag), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	if len(parts) == 0 {
		return false
	}
	if alwaysMoving[parts[0]] {
		return true
	}
	if strings.ContainsAny(tag, "0123456789") {
		return false
	}
	for _, p := range parts {
		if !movingWords[p] {
			return false
		}
	}
	return true
}

// unpinnedMessage says why ref moves, ending in how to pin it.
func unpinnedMessage(what, ref, tag, purpose string) string {
	switch tag {
	case "":
		return what + " " + ref + " has no tag, so it means :latest, which moves: pin a version tag (and a digest for reproducible " + purpose + ")"
	case "latest":
		return what + " " + ref + " uses :latest, which moves: pin a version tag (and a digest for reproducible " + purpose + ")"
	}
	return what + " " + ref + " uses :" + tag + ", a moving tag (each new release or build replaces it): pin a version tag (and a digest for reproducible " + purpose + ")"
}

// Every FROM is read after ARG expansion. FROM scratch and FROM <earlier
// stage> are not images; a FROM whose ARG has no default is only known at
// build time, and is left alone.
func imageUnpinnedDockerfile(r *lint.Report, df *lint.Dockerfile) {
	for _, st := range df.Stages {
		ref := strings.TrimSpace(st.From)
		if st.Parent != nil || ref == "" || strings.EqualFold(ref, "scratch") || strings.Contains(ref, "$") || unresolvedArg(df, st.FromRaw) {
			continue
		}
		if earlierStage(df, st) {
			continue
		}
		if tag, bad := unpinned(ref); bad {
			r.Add(st.FromPos, st.Subject(), "%s", unpinnedMessage("FROM", ref, tag, "builds"))
			r.Fix(pinFromFix(df, st))
		}
	}
}

var argRefRe = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)(:?[-+=?])?`)

// unresolvedArg reports whether a FROM refers to an ARG that has no default
// (nor a ${X:-default} fallback): its value is only known at build time.
func unresolvedArg(df *lint.Dockerfile, raw string) bool {
	for _, m := range argRefRe.FindAllStringSubmatch(raw, -1) {
		if m[2] != "" {
			continue
		}
		if v := df.MetaArgs[m[1]]; v == "" {
			return true
		}
	}
	return false
}

func earlierStage(df *lint.Dockerfile, st *lint.Stage) bool {
	for _, prev := range df.Stages[:st.Index] {
		if prev.Named && strings.EqualFold(prev.Name, st.From) {
			return true
		}
	}
	return false
}

// A service that builds its image names the result with image:, it does not
// pull it, and is left alone; its Dockerfile's FROM lines are checked there.
// That holds when its Dockerfile could not be read too.
func imageUnpinnedService(r *lint.Report, svc *lint.Service) {
	if isContainer(svc) || svc.Built || svc.HasBuild {
		return
	}
	ref := strings.TrimSpace(svc.Image)
	if ref == "" {
		return
	}
	if tag, bad := unpinned(ref); bad {
		r.Add(svc.At("image"), svc.Name, "%s", unpinnedMessage("image", ref, tag, "deploys"))
		r.Fix(pinImageFix(svc, ref))
	}
}

// validDigest is a sha256 digest as registries give it.
var validDigest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// pinImageFix appends the digest the engine recorded for the image's tag
// (image: redis:7.4 becomes redis:7.4@sha256:...), when one is known. It is
// unsafe: the service no longer follows the tag, and the digest is the one
// pulled here, which may be older than what the registry now serves.
func pinImageFix(svc *lint.Service, ref string) *lint.Fix {
	cfg := svc.ImageConfig
	if cfg == nil || !validDigest.MatchString(cfg.RepoDigest) || strings.Contains(ref, "$") {
		return nil
	}
	e := svc.Edit()
	n, start, ok := e.Scalar("image")
	if !ok || strings.TrimSpace(n.Value) != ref || strings.Contains(n.Value, "@") {
		return nil
	}
	pos := svc.Keys["image"]
	e.Insert(pos.File, start+len(strings.TrimRight(n.Value, " ")), "@"+cfg.RepoDigest)
	return e.Fix("pin the image to "+cfg.RepoDigest, true)
}

// fromRe finds a FROM line's keyword, its flags and the blanks before the
// image reference.
var fromRe = regexp.MustCompile(`(?i)^\s*from\s+(?:--\S+\s+)*`)

// pinFromFix appends the digest to a FROM's image when its config was looked
// up and the engine recorded one; unsafe for the same reason as pinImageFix.
func pinFromFix(df *lint.Dockerfile, st *lint.Stage) *lint.Fix {
	cfg := df.BaseConfig(st.From)
	if cfg == nil || !validDigest.MatchString(cfg.RepoDigest) || st.FromRaw != st.From {
		return nil
	}
	start, text, ok := df.InstructionText(st.FromPos.Line, st.FromPos.Line)
	if !ok {
		return nil
	}
	m := fromRe.FindStringIndex(text)
	if m == nil {
		return nil
	}
	rest := text[m[1]:]
	if !strings.HasPrefix(rest, st.From) || (len(rest) > len(st.From) && rest[len(st.From)] != ' ' && rest[len(st.From)] != '\t') {
		return nil
	}
	at := start + m[1] + len(st.From)
	return &lint.Fix{Unsafe: true, Description: "pin the base image to " + cfg.RepoDigest, Edits: []lint.Edit{{File: df.Path, Start: at, End: at, Text: "@" + cfg.RepoDigest}}}
}
