package imagelookup

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker-heal/docker-heal/lint/rules"
)

func benchCorpus(b *testing.B) string {
	b.Helper()
	if d := os.Getenv("DOCKER_HEAL_CORPUS"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for dir := wd; filepath.Dir(dir) != dir; dir = filepath.Dir(dir) {
		if c := filepath.Join(dir, "..", "shared", "corpus"); isDir(c) {
			return c
		}
	}
	b.Skip("no ../shared/corpus (set DOCKER_HEAL_CORPUS)")
	return ""
}

func isDir(p string) bool { st, err := os.Stat(p); return err == nil && st.IsDir() }

// recorder is an ImageResolver that only records what it is asked.
type recorder struct {
	mu   sync.Mutex
	refs map[string]bool
}

func (r *recorder) ResolveImages(_ context.Context, refs []string) map[string]*lint.ImageConfig {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ref := range refs {
		r.refs[ref] = true
	}
	return nil
}

// timed adds up the wall time spent in lookups.
type timed struct {
	lint.ImageResolver
	spent atomic.Int64
}

func (t *timed) ResolveImages(ctx context.Context, refs []string) map[string]*lint.ImageConfig {
	start := time.Now()
	defer func() { t.spent.Add(int64(time.Since(start))) }()
	return t.ImageResolver.ResolveImages(ctx, refs)
}

// BenchmarkLintCorpusImages lints the corpus with no lookups (off), with the
// engine mode and no engine (what a machine without Docker pays), and with
// the registry mode over a warm cache holding every image the corpus names
// (what a second run pays). Compare the three ns/op.
func BenchmarkLintCorpusImages(b *testing.B) {
	corpus := benchCorpus(b)
	checker := &lint.Checker{Rules: rules.All()}
	run := func(b *testing.B, images lint.ImageResolver) {
		cpu := cpuTime()
		var lookups *timed
		if images != nil {
			lookups = &timed{ImageResolver: images}
			images = lookups
		}
		for b.Loop() {
			if _, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{corpus}, Images: images}); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
		if lookups != nil {
			b.ReportMetric(float64(lookups.spent.Load())/1e6/float64(b.N), "lookup-ms/op")
		}
	}
	b.Run("off", func(b *testing.B) { run(b, nil) })
	b.Run("engine-none", func(b *testing.B) {
		r, _ := New(Options{Mode: ModeEngine, Engine: &fakeEngine{missing: true}})
		run(b, r)
	})
	b.Run("registry-warm-cache", func(b *testing.B) {
		rec := &recorder{refs: map[string]bool{}}
		if _, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{corpus}, Images: rec}); err != nil {
			b.Fatal(err)
		}
		cache := b.TempDir()
		seed, _ := New(Options{Mode: ModeRegistry, CacheDir: cache})
		raw, _ := json.Marshal(map[string]any{"os": "linux", "config": map[string]any{"User": "1000", "Entrypoint": []string{"/sbin/tini", "--"}}})
		cached := 0
		for ref := range rec.refs {
			if parsed, err := name.ParseReference(ref); err == nil {
				seed.toCache(parsed, "sha256:0000000000000000000000000000000000000000000000000000000000000000", "", raw)
				cached++
			}
		}
		b.ReportMetric(float64(cached), "images")
		b.ResetTimer()
		cpu := cpuTime()
		var spent int64
		for b.Loop() {
			// A fresh resolver each run, as each `docker heal lint` process is.
			r, _ := New(Options{Mode: ModeRegistry, CacheDir: cache})
			lookups := &timed{ImageResolver: r}
			if _, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{corpus}, Images: lookups}); err != nil {
				b.Fatal(err)
			}
			spent += lookups.spent.Load()
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(spent)/1e6/float64(b.N), "lookup-ms/op")
	})
}

// cpuTime is the process's user+system CPU time: on a shared machine it
// varies less than the wall time the benchmark measures.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64((cpuTime()-since).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkWarmCacheLookup resolves 300 images from a warm cache, as one run
// would: the cost of a lookup by itself.
func BenchmarkWarmCacheLookup(b *testing.B) {
	cache := b.TempDir()
	seed, _ := New(Options{Mode: ModeRegistry, CacheDir: cache})
	raw, _ := json.Marshal(map[string]any{"os": "linux", "config": map[string]any{"User": "1000", "Entrypoint": []string{"/sbin/tini", "--"}}})
	var refs []string
	for i := range 300 {
		ref := fmt.Sprintf("example.org/team/app-%d:1.%d", i, i)
		parsed, _ := name.ParseReference(ref)
		seed.toCache(parsed, "sha256:0000000000000000000000000000000000000000000000000000000000000000", "", raw)
		refs = append(refs, ref)
	}
	cpu := cpuTime()
	for b.Loop() {
		r, _ := New(Options{Mode: ModeRegistry, CacheDir: cache})
		if got := r.ResolveImages(context.Background(), refs); len(got) != len(refs) {
			b.Fatalf("%d of %d from the cache", len(got), len(refs))
		}
	}
	reportCPU(b, cpu)
}
