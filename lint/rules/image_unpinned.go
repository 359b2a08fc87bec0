package rules

import (
	"regexp"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// ImageUnpinned finds an image reference with no tag or :latest: each pull
// may bring a different image, so builds and deploys are not reproducible
// and a rollback may not roll back.
var ImageUnpinned = lint.Rule{
	ID:              "image-unpinned",
	Severity:        lint.SeverityInfo,
	Scope:           lint.ScopeDockerfile | lint.ScopeCompose,
	Summary:         "image or FROM without a tag, or `:latest` (after ARG/env interpolation; not `scratch`, not stage names)",
	CheckDockerfile: imageUnpinnedDockerfile,
	CheckService:    imageUnpinnedService,
}

// unpinned reports whether ref has no tag or :latest, and no digest. A
// registry port (localhost:5000/app) is not a tag.
func unpinned(ref string) (latest, bad bool) {
	if strings.Contains(ref, "@") {
		return false, false // pinned by digest
	}
	name := ref
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	_, tag, ok := strings.Cut(name, ":")
	switch {
	case !ok:
		return false, true
	case tag == "latest":
		return true, true
	}
	return false, false
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
		latest, bad := unpinned(ref)
		if !bad {
			continue
		}
		if latest {
			r.Add(st.FromPos, st.Subject(), "FROM %s uses :latest, which moves: pin a version tag (and a digest for reproducible builds)", ref)
		} else {
			r.Add(st.FromPos, st.Subject(), "FROM %s has no tag, so it means :latest, which moves: pin a version tag (and a digest for reproducible builds)", ref)
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
func imageUnpinnedService(r *lint.Report, svc *lint.Service) {
	if isContainer(svc) || svc.Built {
		return
	}
	ref := strings.TrimSpace(svc.Image)
	if ref == "" {
		return
	}
	latest, bad := unpinned(ref)
	if !bad {
		return
	}
	if latest {
		r.Add(svc.At("image"), svc.Name, "image %s uses :latest, which moves: pin a version tag (and a digest for reproducible deploys)", ref)
		return
	}
	r.Add(svc.At("image"), svc.Name, "image %s has no tag, so it means :latest, which moves: pin a version tag (and a digest for reproducible deploys)", ref)
}
