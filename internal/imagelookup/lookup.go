// Package imagelookup finds the configs of the images a compose project runs
// and its Dockerfiles build FROM, without pulling them: the local engine's
// image inspect first, then (mode registry) a cache and the image's registry,
// reading the manifest and the config blob only, never layers.
package imagelookup

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/docker-heal/docker-heal/lint"
)

// Mode is --image-config: where image configs are looked up.
type Mode string

const (
	ModeEngine   Mode = "engine"   // the local engine only (the default)
	ModeRegistry Mode = "registry" // the engine, then the cache and the registry
	ModeOff      Mode = "off"      // nowhere: every image's config is unknown
)

// ParseMode reads --image-config (or the config key image-config).
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeEngine, ModeRegistry, ModeOff:
		return m, nil
	case "":
		return ModeEngine, nil
	}
	return "", fmt.Errorf("image-config %q: use engine, registry or off", s)
}

// Engine is what a lookup needs of the local engine (internal/dockerengine).
type Engine interface {
	// Unreachable says, without a network call, that the engine cannot answer.
	Unreachable() bool
	// Reachable asks the engine once, briefly, whether it answers.
	Reachable(ctx context.Context) bool
	// ImageConfig inspects an image the engine holds; false when it has none.
	ImageConfig(ctx context.Context, ref string) (*lint.ImageConfig, bool, error)
}

// Defaults for Options left zero.
const (
	DefaultConcurrency = 8
	DefaultTimeout     = 15 * time.Second
	DefaultPlatform    = "linux/amd64"
)

// Options configure a Resolver.
type Options struct {
	Mode Mode
	// Engine is nil when there is none to ask.
	Engine Engine
	// Platform picks the entry of a multi-platform index ("linux/arm64").
	Platform string
	// CacheDir holds registry answers; "" means no cache.
	CacheDir string
	// Concurrency bounds the lookups in flight; Timeout bounds each one.
	Concurrency int
	Timeout     time.Duration
	// Keychain gives registry credentials; nil means authn.DefaultKeychain
	// (docker's config.json and its credential helpers).
	Keychain authn.Keychain
	// Transport carries registry requests; nil means remote's default.
	Transport http.RoundTripper
	// Now is the clock the cache ages entries by; nil means time.Now.
	Now func() time.Time
}

// Resolver implements lint.ImageResolver. It remembers every answer for its
// lifetime (one lint run), so an image several projects use is looked up once.
type Resolver struct {
	opts     Options
	platform *v1.Platform

	engineOnce sync.Once
	engineUp   bool

	mu   sync.Mutex
	memo map[string]*lookup
}

type lookup struct {
	done chan struct{}
	cfg  *lint.ImageConfig
}

// New returns a Resolver; it fails only on a platform it cannot parse.
func New(opts Options) (*Resolver, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Platform == "" {
		opts.Platform = DefaultPlatform
	}
	if opts.Keychain == nil {
		opts.Keychain = authn.DefaultKeychain
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p, err := v1.ParsePlatform(opts.Platform)
	if err != nil {
		return nil, fmt.Errorf("--platform %s: %v", opts.Platform, err)
	}
	return &Resolver{opts: opts, platform: p, memo: map[string]*lookup{}}, nil
}

var (
	_ lint.ImageResolver        = (*Resolver)(nil)
	_ lint.ImageLookupExplainer = (*Resolver)(nil)
)

// ExplainUnknown says why the images this Resolver did not find are
// unknown, and what would make them known, for lint's not-checked summary.
func (r *Resolver) ExplainUnknown() (why, hint string) {
	if r == nil || r.opts.Mode == ModeOff {
		return "--image-config off", "run with --image-config registry to read them from their registries"
	}
	engineUp := r.opts.Engine != nil && r.engineUp
	switch {
	case r.opts.Mode == ModeEngine && !engineUp:
		return "no engine answered, and registry lookups are off", "run with --image-config registry to read them from their registries (manifest and config only)"
	case r.opts.Mode == ModeEngine:
		return "not in the local engine, and registry lookups are off", "pull them, or run with --image-config registry"
	case !engineUp:
		return "no engine answered, and their registries did not give them", "check network access and docker login"
	}
	return "neither the local engine nor their registries gave them", "check network access and docker login"
}

// ResolveImages looks refs up concurrently, within the bound and timeout;
// an image it cannot find is left out (unknown), never an error.
func (r *Resolver) ResolveImages(ctx context.Context, refs []string) map[string]*lint.ImageConfig {
	out := map[string]*lint.ImageConfig{}
	if r == nil || r.opts.Mode == ModeOff || len(refs) == 0 {
		return out
	}
	if r.opts.Mode == ModeEngine && !r.engineReachable(ctx) {
		return out // nothing else to ask: no lookup at all
	}
	results := make([]*lint.ImageConfig, len(refs))
	var g errgroup.Group
	g.SetLimit(r.opts.Concurrency)
	for i, ref := range refs {
		g.Go(func() error {
			results[i] = r.resolve(ctx, ref)
			return nil
		})
	}
	_ = g.Wait()
	for i, ref := range refs {
		if results[i] != nil {
			out[ref] = results[i]
		}
	}
	return out
}

// resolve looks one reference up, once per Resolver.
func (r *Resolver) resolve(ctx context.Context, ref string) *lint.ImageConfig {
	r.mu.Lock()
	l, ok := r.memo[ref]
	if !ok {
		l = &lookup{done: make(chan struct{})}
		r.memo[ref] = l
	}
	r.mu.Unlock()
	if ok {
		select {
		case <-l.done:
			return l.cfg
		case <-ctx.Done():
			return nil
		}
	}
	defer close(l.done)
	cctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	l.cfg = r.lookupOne(cctx, ref)
	return l.cfg
}

func (r *Resolver) lookupOne(ctx context.Context, ref string) *lint.ImageConfig {
	if r.engineReachable(ctx) {
		if cfg, found, err := r.opts.Engine.ImageConfig(ctx, ref); err == nil && found {
			return cfg
		}
	}
	if r.opts.Mode != ModeRegistry {
		return nil
	}
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return nil // "${IMAGE}", or not a reference at all
	}
	cached, entry, fresh := r.fromCache(parsed)
	if cached != nil && fresh {
		return withRepoDigest(cached, parsed, entry.TagDigest) // no request at all
	}
	if cached != nil && entry.TagDigest != "" {
		// An old answer for a tag: a HEAD (not a counted pull on Docker Hub)
		// says whether the tag moved; if not, the answer stands another TagTTL.
		if desc, err := remote.Head(parsed, r.remoteOptions(ctx)...); err == nil && desc.Digest.String() == entry.TagDigest {
			r.toCache(parsed, entry.Digest, entry.TagDigest, entry.Config)
			return withRepoDigest(cached, parsed, entry.TagDigest)
		}
	}
	cfg, raw, digest, tagDigest, err := r.fromRegistry(ctx, parsed)
	if err != nil {
		return nil
	}
	r.toCache(parsed, digest, tagDigest, raw)
	return withRepoDigest(cfg, parsed, tagDigest)
}

// withRepoDigest records what a tag resolved to in the registry (an index's
// digest for a multi-platform image), for image-unpinned's fix.
func withRepoDigest(cfg *lint.ImageConfig, ref name.Reference, tagDigest string) *lint.ImageConfig {
	if _, isTag := ref.(name.Tag); isTag && cfg != nil {
		cfg.RepoDigest = tagDigest
	}
	return cfg
}

// engineReachable decides once per Resolver whether the engine answers: a
// missing socket costs one stat, an engine that does not answer one ping.
func (r *Resolver) engineReachable(ctx context.Context) bool {
	r.engineOnce.Do(func() {
		e := r.opts.Engine
		r.engineUp = e != nil && !e.Unreachable() && e.Reachable(ctx)
	})
	return r.engineUp
}

// remoteOptions are the registry options of every request: credentials, the
// platform, a short retry.
func (r *Resolver) remoteOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(r.opts.Keychain),
		remote.WithPlatform(*r.platform),
		// A linter waits for no registry: one quick retry, then "unknown".
		remote.WithRetryBackoff(remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Steps: 2}),
	}
	if r.opts.Transport != nil {
		opts = append(opts, remote.WithTransport(r.opts.Transport))
	}
	return opts
}

// fromRegistry reads what the reference points to (one manifest GET: the
// only request Docker Hub counts as a pull), the platform's manifest when
// that is an index (by digest), and the config blob; never a layer.
// tagDigest is the digest the reference resolved to, for revalidation.
func (r *Resolver) fromRegistry(ctx context.Context, ref name.Reference) (cfg *lint.ImageConfig, raw []byte, digest, tagDigest string, err error) {
	desc, err := remote.Get(ref, r.remoteOptions(ctx)...)
	if err != nil {
		return nil, nil, "", "", err
	}
	img, err := desc.Image() // an index: the platform's entry
	if err != nil {
		return nil, nil, "", "", err
	}
	raw, err = img.RawConfigFile()
	if err != nil {
		return nil, nil, "", "", err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, nil, "", "", err
	}
	cfg, err = parseConfig(ref.String()+"@"+d.String(), raw)
	if err != nil {
		return nil, nil, "", "", err
	}
	return cfg, raw, d.String(), desc.Digest.String(), nil
}

func parseConfig(source string, raw []byte) (*lint.ImageConfig, error) {
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(raw, &img); err != nil {
		return nil, err
	}
	return lint.ImageConfigFromSpec(source, img.OS, &img.Config), nil
}
