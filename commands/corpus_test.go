package commands

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker-heal/docker-heal/lint/rules"
)

// sharedCorpus finds ../shared/corpus beside the checkout (real files written
// by others); DOCKER_HEAL_CORPUS overrides. It is "" when there is none: the
// sample under testdata/corpus runs in every case.
func sharedCorpus(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("DOCKER_HEAL_CORPUS"); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			tb.Fatalf("DOCKER_HEAL_CORPUS=%s is not a folder", d)
		}
		return d
	}
	wd, _ := os.Getwd()
	for dir := wd; ; dir = filepath.Dir(dir) {
		c := filepath.Join(dir, "..", "shared", "corpus")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// corpusDir is the corpus the benchmarks read: the shared one, else the
// sample that ships with the tests.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	if c := sharedCorpus(tb); c != "" {
		return c
	}
	abs, err := filepath.Abs(filepath.Join("testdata", "corpus"))
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// lintables lists the compose files and Dockerfiles under dir, and every
// regular file.
func lintables(t *testing.T, dir string) (want, all []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		all = append(all, path)
		if lint.IsComposeName(d.Name()) || lint.IsDockerfileName(d.Name()) {
			want = append(want, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	return want, all
}

// lintTree lints dir as a tree and checks that every compose file and
// Dockerfile in it is accounted for in the result, and that nothing fails as
// a whole; then every file on its own, whatever its name.
func lintTree(t *testing.T, dir string, minFiles int) *lint.Result {
	t.Helper()
	checker := &lint.Checker{Rules: rules.All()}
	want, all := lintables(t, dir)
	if len(want) < minFiles {
		t.Fatalf("only %d compose files and Dockerfiles under %s, want at least %d", len(want), dir, minFiles)
	}
	res, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{dir}})
	if err != nil {
		t.Fatalf("lint %s: %v", dir, err)
	}
	seen := map[string]bool{}
	for _, f := range res.Files {
		seen[f] = true
	}
	for _, f := range want {
		if !seen[f] {
			t.Errorf("%s: not accounted for in the result", f)
		}
	}
	for _, f := range res.Findings {
		if f.Rule == lint.InvalidFileRule && (f.Message == "" || f.Pos.File == "") {
			t.Errorf("invalid-file finding without a message or file: %+v", f)
		}
	}
	// Every file on its own: YAML as compose, the rest as Dockerfiles.
	for _, f := range all {
		name := filepath.Base(f)
		ext := strings.ToLower(filepath.Ext(name))
		if ext != ".yaml" && ext != ".yml" && !lint.IsDockerfileName(name) {
			continue
		}
		one, err := lint.Run(context.Background(), checker, lint.RunOptions{Paths: []string{f}})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(one.Files) == 0 {
			t.Errorf("%s: not counted", f)
		}
	}
	return res
}

// TestCorpusSample lints the real files under testdata/corpus in every run.
// They are all valid, so a fixture that fails to parse fails the test, and a
// few findings that were checked by hand on them must stay (and one that was
// wrong must not come back).
func TestCorpusSample(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	res := lintTree(t, dir, 8)
	has := map[string]bool{}
	for _, f := range res.Findings {
		rel, _ := filepath.Rel(dir, f.Pos.File)
		rel = filepath.ToSlash(rel)
		if f.Rule == lint.InvalidFileRule {
			t.Errorf("%s:%d: a fixture fails to load: %s", rel, f.Pos.Line, f.Message)
		}
		has[f.Rule+" "+rel+" "+f.Subject] = true
	}
	for _, want := range []string{
		// wireguard loads kernel modules: cap_add SYS_MODULE.
		"cap-add-dangerous awesome-compose/wireguard/compose.yaml wireguard",
		// FROM node:lts-buster-slim follows the Node LTS line.
		"image-unpinned awesome-compose/react-express-mongodb/backend/Dockerfile development",
		// cloudflared has no tag at all.
		"image-unpinned awesome-compose/pihole-cloudflared-DoH/compose.yaml cloudflared",
	} {
		if !has[want] {
			t.Errorf("missing finding: %s", want)
		}
	}
	for k := range has {
		// timeout 10s = interval 10s is fine: the engine runs one probe at a
		// time (moby daemon/health.go); no other timing there is wrong.
		if strings.HasPrefix(k, "healthcheck-timing awesome-compose/elasticsearch-logstash-kibana/") {
			t.Errorf("wrong finding: %s", k)
		}
		// NET_ADMIN is what a VPN or DNS server needs; it is not flagged.
		if strings.HasPrefix(k, "cap-add-dangerous awesome-compose/pihole-cloudflared-DoH/") {
			t.Errorf("wrong finding: %s", k)
		}
	}
	t.Logf("corpus sample: %d files, %d findings", len(res.Files), len(res.Findings))
}

// TestCorpus lints the whole shared corpus when it is beside the checkout
// (some of its files are invalid on purpose: they must be reported cleanly).
func TestCorpus(t *testing.T) {
	corpus := sharedCorpus(t)
	if corpus == "" {
		t.Log("../shared/corpus is not beside the checkout: only the sample under testdata/corpus was linted (TestCorpusSample); set DOCKER_HEAL_CORPUS to lint another")
		return
	}
	res := lintTree(t, corpus, 100)
	invalid := 0
	for _, f := range res.Findings {
		if f.Rule == lint.InvalidFileRule {
			invalid++
		}
	}
	t.Logf("corpus: %d files, %d findings, %d invalid files", len(res.Files), len(res.Findings), invalid)
}
