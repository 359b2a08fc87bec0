package imagelookup

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/docker-heal/docker-heal/lint"
)

// testRegistry is an in-memory registry that counts the requests it serves
// and records the paths of the blobs it is asked for.
type testRegistry struct {
	host     string
	requests atomic.Int64
	// manifestGets counts GETs of a manifest: what Docker Hub counts as pulls.
	manifestGets atomic.Int64
	mu           sync.Mutex
	blobs        []string
}

func (tr *testRegistry) blobsAsked() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.blobs, " ")
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	tr := &testRegistry{}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		tr.requests.Add(1)
		if strings.Contains(req.URL.Path, "/manifests/") && req.Method == http.MethodGet {
			tr.manifestGets.Add(1)
		}
		if strings.Contains(req.URL.Path, "/blobs/") && req.Method == http.MethodGet {
			tr.mu.Lock()
			tr.blobs = append(tr.blobs, req.URL.Path)
			tr.mu.Unlock()
		}
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	tr.host = strings.TrimPrefix(srv.URL, "http://")
	return tr
}

func configImage(t *testing.T, os, arch string, cfg v1.Config) v1.Image {
	t.Helper()
	// One layer, so the test can tell that lookups never fetch layers.
	layer, err := random.Layer(256, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{OS: os, Architecture: arch, Config: cfg, RootFS: v1.RootFS{Type: "layers", DiffIDs: mustDiffIDs(t, img)}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func mustDiffIDs(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf.RootFS.DiffIDs
}

func (tr *testRegistry) push(t *testing.T, repoTag string, img v1.Image) string {
	t.Helper()
	ref, err := name.ParseReference(tr.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	tr.requests.Store(0)
	return ref.String()
}

func (tr *testRegistry) pushIndex(t *testing.T, repoTag string, imgs map[string]v1.Image) string {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	for platform, img := range imgs {
		p, _ := v1.ParsePlatform(platform)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	}
	ref, err := name.ParseReference(tr.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	tr.requests.Store(0)
	return ref.String()
}

// configImageLayers lists the layer digests of a pushed image.
func configImageLayers(t *testing.T, ref string) ([]string, error) {
	t.Helper()
	r, _ := name.ParseReference(ref)
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range m.Layers {
		out = append(out, l.Digest.String())
	}
	if len(out) == 0 {
		t.Fatal("the test image has no layer")
	}
	return out, nil
}

func newResolver(t *testing.T, opts Options) *Resolver {
	t.Helper()
	if opts.Keychain == nil {
		opts.Keychain = authn.NewMultiKeychain() // no credentials: the test must not read ~/.docker
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegistryLookupAndCache(t *testing.T) {
	tr := newTestRegistry(t)
	ref := tr.push(t, "shop/api:1.4", configImage(t, "linux", "amd64", v1.Config{
		Entrypoint:  []string{"/sbin/tini", "--"},
		Cmd:         []string{"/app"},
		User:        "10001",
		Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "/app", "health"}, Interval: 5 * time.Second},
		Labels:      map[string]string{"org.opencontainers.image.title": "api"},
	}))
	cache := t.TempDir()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	opts := Options{Mode: ModeRegistry, CacheDir: cache, Now: func() time.Time { return now }}
	got := newResolver(t, opts).ResolveImages(context.Background(), []string{ref, ref})
	cfg := got[ref]
	if cfg == nil {
		t.Fatalf("%s not resolved: %v", ref, got)
	}
	if strings.Join(cfg.Entrypoint, " ") != "/sbin/tini --" || cfg.User != "10001" || cfg.Healthcheck == nil ||
		cfg.Healthcheck.Interval != 5*time.Second || cfg.OS != "linux" || cfg.Labels["org.opencontainers.image.title"] != "api" {
		t.Errorf("config: %+v", cfg)
	}
	if n := tr.requests.Load(); n == 0 {
		t.Fatal("the registry saw no request")
	}
	// The manifest and the config blob, never a layer.
	layers, _ := configImageLayers(t, ref)
	for _, l := range layers {
		if strings.Contains(tr.blobsAsked(), l) {
			t.Errorf("the lookup fetched layer %s (blobs asked: %s)", l, tr.blobsAsked())
		}
	}
	if !strings.Contains(tr.blobsAsked(), "/blobs/sha256:") {
		t.Errorf("the config blob was not fetched: %q", tr.blobsAsked())
	}

	// A second run reads the cache: no request at all.
	tr.requests.Store(0)
	again := newResolver(t, opts).ResolveImages(context.Background(), []string{ref})
	if again[ref] == nil || again[ref].User != "10001" {
		t.Errorf("from the cache: %+v", again[ref])
	}
	if n := tr.requests.Load(); n != 0 {
		t.Errorf("the second run made %d registry requests, want 0 (cache)", n)
	}

	// A tag is trusted for 24 h; after that one HEAD asks whether it moved:
	// it did not, so the answer stands, and no manifest is fetched (a HEAD is
	// not a pull on Docker Hub).
	now = now.Add(TagTTL + time.Minute)
	tr.manifestGets.Store(0)
	if newResolver(t, opts).ResolveImages(context.Background(), []string{ref})[ref] == nil {
		t.Error("an expired entry whose tag did not move must stand")
	}
	if tr.requests.Load() == 0 {
		t.Error("an expired tag entry was used without asking the registry")
	}
	if n := tr.manifestGets.Load(); n != 0 {
		t.Errorf("revalidating an unmoved tag fetched %d manifests, want 0 (HEAD only)", n)
	}
	// The HEAD renewed the entry: within the next 24 h, no request at all.
	tr.requests.Store(0)
	now = now.Add(time.Hour)
	newResolver(t, opts).ResolveImages(context.Background(), []string{ref})
	if n := tr.requests.Load(); n != 0 {
		t.Errorf("a renewed entry made %d requests, want 0", n)
	}

	// The tag moves: after the TTL, the HEAD sees another digest and the new
	// config is fetched.
	moved := tr.push(t, "shop/api:1.4", configImage(t, "linux", "amd64", v1.Config{Cmd: []string{"/app"}, User: "20002"}))
	now = now.Add(TagTTL + time.Minute)
	if got := newResolver(t, opts).ResolveImages(context.Background(), []string{moved})[moved]; got == nil || got.User != "20002" {
		t.Errorf("a moved tag must be fetched again: %+v", got)
	}
	if tr.manifestGets.Load() == 0 {
		t.Error("a moved tag was not fetched")
	}
	cfg = newResolver(t, opts).ResolveImages(context.Background(), []string{moved})[moved]

	// A digest reference is kept for ever.
	digestRef := strings.SplitN(cfg.Source, "@", 2)
	if len(digestRef) != 2 {
		t.Fatalf("source %q has no digest", cfg.Source)
	}
	byDigest := tr.host + "/shop/api@" + digestRef[1]
	newResolver(t, opts).ResolveImages(context.Background(), []string{byDigest})
	tr.requests.Store(0)
	now = now.Add(365 * 24 * time.Hour)
	if newResolver(t, opts).ResolveImages(context.Background(), []string{byDigest})[byDigest] == nil || tr.requests.Load() != 0 {
		t.Errorf("a digest entry must be served from the cache for ever (%d requests)", tr.requests.Load())
	}
}

func TestMultiPlatformIndexPicksThePlatform(t *testing.T) {
	tr := newTestRegistry(t)
	ref := tr.pushIndex(t, "multi/app:2", map[string]v1.Image{
		"linux/amd64": configImage(t, "linux", "amd64", v1.Config{User: "amd"}),
		"linux/arm64": configImage(t, "linux", "arm64", v1.Config{User: "arm"}),
	})
	parsed, _ := name.ParseReference(ref)
	index, err := remote.Head(parsed)
	if err != nil {
		t.Fatal(err)
	}
	for platform, want := range map[string]string{"": "amd", "linux/arm64": "arm"} {
		opts := Options{Mode: ModeRegistry, Platform: platform, CacheDir: t.TempDir()}
		r := newResolver(t, opts)
		cfg := r.ResolveImages(context.Background(), []string{ref})[ref]
		if cfg == nil || cfg.User != want {
			t.Fatalf("platform %q: %+v, want user %s", platform, cfg, want)
		}
		// The tag's digest is the index's, for every platform (what
		// image-unpinned's fix pins to), not the platform's manifest.
		if cfg.RepoDigest != index.Digest.String() || strings.HasSuffix(cfg.Source, cfg.RepoDigest) {
			t.Errorf("platform %q: RepoDigest %q, want the index %s (source %s)", platform, cfg.RepoDigest, index.Digest, cfg.Source)
		}
		// From the cache too.
		if again := newResolver(t, opts).ResolveImages(context.Background(), []string{ref})[ref]; again == nil || again.RepoDigest != index.Digest.String() {
			t.Errorf("platform %q from the cache: %+v", platform, again)
		}
	}
}

func TestFailedLookupsAreUnknown(t *testing.T) {
	tr := newTestRegistry(t)
	cache := t.TempDir()
	refs := []string{tr.host + "/missing/app:1", "${IMAGE}", "127.0.0.1:1/nothing/listens:1"}
	got := newResolver(t, Options{Mode: ModeRegistry, CacheDir: cache, Timeout: 5 * time.Second}).ResolveImages(context.Background(), refs)
	if len(got) != 0 {
		t.Errorf("failed lookups must be left out: %v", got)
	}
	// A corrupt cache entry is a miss, then replaced.
	ref := tr.push(t, "ok/app:1", configImage(t, "linux", "amd64", v1.Config{User: "app"}))
	r := newResolver(t, Options{Mode: ModeRegistry, CacheDir: cache})
	parsed, _ := name.ParseReference(ref)
	if err := os.WriteFile(r.cachePath(parsed), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg := r.ResolveImages(context.Background(), []string{ref})[ref]; cfg == nil || cfg.User != "app" {
		t.Errorf("corrupt cache entry: %+v", cfg)
	}
	if entries, _ := filepath.Glob(filepath.Join(cache, ".tmp-*")); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// fakeEngine counts what it is asked.
type fakeEngine struct {
	missing bool // the socket does not exist
	up      bool
	images  map[string]*lint.ImageConfig
	pings   atomic.Int64
	calls   atomic.Int64
}

func (f *fakeEngine) Unreachable() bool { return f.missing }
func (f *fakeEngine) Reachable(context.Context) bool {
	f.pings.Add(1)
	return f.up
}
func (f *fakeEngine) ImageConfig(_ context.Context, ref string) (*lint.ImageConfig, bool, error) {
	f.calls.Add(1)
	if !f.up {
		return nil, false, errors.New("connection refused")
	}
	cfg, ok := f.images[ref]
	return cfg, ok, nil
}

func TestEngineMode(t *testing.T) {
	refs := []string{"a:1", "b:2", "c:3"}
	// No socket: one stat, no ping, no inspect.
	gone := &fakeEngine{missing: true}
	if got := newResolver(t, Options{Mode: ModeEngine, Engine: gone}).ResolveImages(context.Background(), refs); len(got) != 0 || gone.pings.Load() != 0 || gone.calls.Load() != 0 {
		t.Errorf("missing socket: %v, %d pings, %d inspects", got, gone.pings.Load(), gone.calls.Load())
	}
	// A socket that does not answer: one ping for the whole run.
	dead := &fakeEngine{}
	r := newResolver(t, Options{Mode: ModeEngine, Engine: dead})
	r.ResolveImages(context.Background(), refs)
	r.ResolveImages(context.Background(), refs)
	if dead.pings.Load() != 1 || dead.calls.Load() != 0 {
		t.Errorf("dead engine: %d pings, %d inspects; want 1 and 0", dead.pings.Load(), dead.calls.Load())
	}
	// A live engine answers what it holds; each image is asked once per run.
	live := &fakeEngine{up: true, images: map[string]*lint.ImageConfig{"a:1": {User: "1"}}}
	r = newResolver(t, Options{Mode: ModeEngine, Engine: live})
	got := r.ResolveImages(context.Background(), refs)
	r.ResolveImages(context.Background(), refs)
	if len(got) != 1 || got["a:1"].User != "1" || live.calls.Load() != 3 {
		t.Errorf("live engine: %v, %d inspects (want 3)", got, live.calls.Load())
	}
	// Off asks nothing.
	if got := newResolver(t, Options{Mode: ModeOff, Engine: live}).ResolveImages(context.Background(), refs); len(got) != 0 {
		t.Errorf("off: %v", got)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeEngine, "engine": ModeEngine, "Registry": ModeRegistry, "off": ModeOff} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("pull"); err == nil {
		t.Error("an unknown mode must be an error")
	}
}
