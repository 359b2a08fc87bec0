package lint

import (
	"context"
	"slices"
	"strings"
)

// ImageResolver looks up the config of images by reference, never pulling
// them: the local engine's image inspect, a registry's config blob, a cache.
type ImageResolver interface {
	// ResolveImages returns the config of each reference it could inspect; a
	// reference missing from the result (or nil) is unknown. A failed lookup
	// is never an error: lint goes on without that image's config.
	ResolveImages(ctx context.Context, refs []string) map[string]*ImageConfig
}

// StaticImages resolves from a fixed set of configs, by reference.
type StaticImages map[string]*ImageConfig

// ResolveImages implements ImageResolver.
func (s StaticImages) ResolveImages(_ context.Context, refs []string) map[string]*ImageConfig {
	out := map[string]*ImageConfig{}
	for _, ref := range refs {
		if c, ok := s[ref]; ok {
			out[ref] = c
		}
	}
	return out
}

// serviceBuild is the local Dockerfile and target a compose service builds.
type serviceBuild struct {
	df     *Dockerfile
	target string
}

// ImageRefs returns the images the project's services run (not those they
// build) and the images its Dockerfiles build FROM, sorted, without repeats.
func (p *Project) ImageRefs() []string {
	var refs []string
	for _, svc := range p.Services {
		switch {
		case svc.build != nil:
			// Its copy of the Dockerfile may build FROM its build.args.
			refs = append(refs, svc.build.df.BaseRefs()...)
		case strings.TrimSpace(svc.Image) != "":
			refs = append(refs, svc.Image)
		}
	}
	for _, df := range p.Dockerfiles {
		refs = append(refs, df.BaseRefs()...)
	}
	slices.Sort(refs)
	return slices.Compact(refs)
}

// AttachImages gives the services and Dockerfiles the configs an
// ImageResolver found: a service that runs an image gets its config, a
// service that builds gets its Dockerfile's image recomputed over the
// inspected bases.
func (p *Project) AttachImages(found map[string]*ImageConfig) {
	for _, df := range p.Dockerfiles {
		df.SetBaseImages(found)
	}
	for _, svc := range p.Services {
		switch {
		case svc.build != nil:
			svc.build.df.SetBaseImages(found)
			svc.ImageConfig = svc.build.df.Image(svc.build.target)
		case found[svc.Image] != nil:
			svc.ImageConfig = found[svc.Image]
		case svc.ImageConfig == nil && !svc.HasBuild:
			svc.ImageConfig = OfficialImageConfig(svc.Image)
		}
	}
	// A service that runs the image another service builds (image: x with
	// build: beside it) runs that build's config.
	built := map[string]*ImageConfig{}
	for _, svc := range p.Services {
		if svc.build != nil && svc.Image != "" && svc.ImageConfig != nil {
			built[svc.Image] = svc.ImageConfig
		}
	}
	for _, svc := range p.Services {
		if cfg := built[svc.Image]; cfg != nil && !svc.HasBuild && found[svc.Image] == nil {
			svc.ImageConfig = cfg
		}
	}
}

// resolveImages looks up refs with the run's resolver, if any.
func (r *runner) resolveImages(refs []string) map[string]*ImageConfig {
	if r.images == nil || len(refs) == 0 {
		return nil
	}
	return r.images.ResolveImages(r.ctx, refs)
}

// attachImages resolves a loaded project's images before its rules run.
func (r *runner) attachImages(p *Project) {
	if p != nil {
		p.AttachImages(r.resolveImages(p.ImageRefs()))
	}
}

// attachDockerfileBases resolves the base images of the Dockerfiles linted on
// their own (those a project builds were resolved with it).
func (r *runner) attachDockerfileBases() {
	var refs []string
	for _, path := range r.dfOrder {
		if df := r.dockerfiles[path]; df != nil && !df.BasesSet() {
			refs = append(refs, df.BaseRefs()...)
		}
	}
	slices.Sort(refs)
	found := r.resolveImages(slices.Compact(refs))
	for _, path := range r.dfOrder {
		if df := r.dockerfiles[path]; df != nil && !df.BasesSet() {
			df.SetBaseImages(found)
		}
	}
}
