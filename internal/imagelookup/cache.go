package imagelookup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/docker-heal/docker-heal/lint"
)

// TagTTL is how long a tag's answer is trusted without asking: tags move.
// After it, one HEAD of the tag's manifest (which Docker Hub does not count
// as a pull) tells whether the tag still points where it did; only when it
// moved is the manifest fetched again. An answer for a digest reference is
// kept for ever: the content cannot change.
const TagTTL = 24 * time.Hour

// CacheDirVariable names the cache folder itself, for CI caches that keep
// it between runs (the Action sets it under RUNNER_TEMP).
const CacheDirVariable = "DOCKER_HEAL_CACHE_DIR"

// DefaultCacheDir is $DOCKER_HEAL_CACHE_DIR, else
// $XDG_CACHE_HOME/docker-heal/images (~/.cache/... when unset; the
// platform's user cache folder on macOS and Windows).
func DefaultCacheDir() string {
	if dir := os.Getenv(CacheDirVariable); dir != "" {
		return dir
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "docker-heal", "images")
}

// cacheEntry is one registry answer on disk.
type cacheEntry struct {
	Ref      string `json:"ref"`
	Platform string `json:"platform"`
	Digest   string `json:"digest"` // the platform's manifest's
	// TagDigest is what the tag pointed to when fetched (an index, or the
	// manifest itself): what a HEAD of the tag is compared with.
	TagDigest string          `json:"tagDigest,omitempty"`
	Fetched   time.Time       `json:"fetched"`
	Config    json.RawMessage `json:"config"` // the config blob as served
}

func (r *Resolver) cachePath(ref name.Reference) string {
	sum := sha256.Sum256([]byte(r.opts.Platform + " " + ref.Name()))
	return filepath.Join(r.opts.CacheDir, hex.EncodeToString(sum[:])+".json")
}

// fromCache returns a cached answer and its entry, or nil. fresh is false
// for a tag's answer older than TagTTL: it stands only if the tag has not
// moved since. An unreadable or corrupt entry is a miss (and is overwritten
// by the next answer).
func (r *Resolver) fromCache(ref name.Reference) (cfg *lint.ImageConfig, e *cacheEntry, fresh bool) {
	if r.opts.CacheDir == "" {
		return nil, nil, false
	}
	src, err := os.ReadFile(r.cachePath(ref))
	if err != nil {
		return nil, nil, false
	}
	e = &cacheEntry{}
	if err := json.Unmarshal(src, e); err != nil || e.Ref != ref.Name() || e.Platform != r.opts.Platform {
		return nil, nil, false
	}
	cfg, err = parseConfig(ref.Name()+"@"+e.Digest, e.Config)
	if err != nil {
		return nil, nil, false
	}
	_, isDigest := ref.(name.Digest)
	return cfg, e, isDigest || r.opts.Now().Sub(e.Fetched) <= TagTTL
}

// toCache writes an answer atomically (a temporary file renamed into place),
// so a concurrent run reads the old entry or the new one, never half of one.
// A cache that cannot be written only costs the next run a lookup.
func (r *Resolver) toCache(ref name.Reference, digest, tagDigest string, raw []byte) {
	if r.opts.CacheDir == "" {
		return
	}
	src, err := json.Marshal(cacheEntry{Ref: ref.Name(), Platform: r.opts.Platform, Digest: digest, TagDigest: tagDigest, Fetched: r.opts.Now().UTC(), Config: raw})
	if err != nil {
		return
	}
	if err := os.MkdirAll(r.opts.CacheDir, 0o755); err != nil {
		return
	}
	path := r.cachePath(ref)
	tmp, err := os.CreateTemp(r.opts.CacheDir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(src)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}
