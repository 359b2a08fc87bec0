//go:build integration

package commands

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// The image the lookups read: built FROM scratch on the private engine with
// a known USER, HEALTHCHECK and init ENTRYPOINT.
const lookupDockerfile = `FROM scratch
COPY marker /marker
USER 10001
HEALTHCHECK --interval=5s CMD ["/app", "probe"]
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["/app", "serve"]
`

// registryHost is the private registry scripts/registry.sh started.
func registryHost(t *testing.T) string {
	t.Helper()
	host := os.Getenv("DOCKER_HEAL_TEST_REGISTRY")
	if host == "" {
		t.Fatal("DOCKER_HEAL_TEST_REGISTRY is not set: run the integration tests with make test, or scripts/registry.sh run scripts/engine.sh run go test -tags integration ./commands/")
	}
	return host
}

// imageProject writes a compose project that runs image and builds a
// Dockerfile FROM it, so both a pulled and an inherited config are read.
func imageProject(t *testing.T, image string) string {
	t.Helper()
	dir := t.TempDir()
	compose := "services:\n  app:\n    image: " + image + "\n    restart: unless-stopped\n  derived:\n    build: ./derived\n    restart: unless-stopped\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "derived"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "derived", "Dockerfile"), []byte("FROM "+image+"\nCMD [\"/app\", \"worker\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// imageFindings are the findings that depend on the image's config.
func imageFindings(doc jsonDoc) []string {
	var out []string
	for _, f := range doc.Findings {
		switch f.Rule {
		case "init-missing", "healthcheck-missing", "user-root":
			out = append(out, f.Rule+" "+f.Subject+": "+f.Message)
		}
	}
	return out
}

// imageNotChecked are the checks not run for want of the image's config.
func imageNotChecked(doc jsonDoc) []string {
	var out []string
	for _, n := range doc.NotChecked {
		out = append(out, n.Rule+" "+n.Subject+": "+n.Reason)
	}
	return out
}

func TestLintImageConfigFromRegistryAndEngine(t *testing.T) {
	engineHost := os.Getenv("DOCKER_HOST")
	enginetest.Client(t) // fails the test when no engine answers
	registry := registryHost(t)
	tag := strings.ReplaceAll(enginetest.RunID(), "_", "-")
	local := "docker-heal-test/lookup:" + tag
	enginetest.BuildConfigImage(t, local, lookupDockerfile)
	pushed := registry + "/docker-heal-test/lookup:" + tag
	enginetest.TagImage(t, local, pushed)
	enginetest.PushImage(t, pushed)

	// Lookups go through a proxy that counts the requests the registry gets.
	target, _ := url.Parse("http://" + registry)
	var requests atomic.Int64
	forward := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		forward.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	viaProxy := strings.TrimPrefix(proxy.URL, "http://") + "/docker-heal-test/lookup:" + tag
	project := imageProject(t, viaProxy)

	// No engine reachable: a socket that does not exist.
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "gone.sock"))
	t.Setenv("XDG_CACHE_HOME", t.TempDir())

	// Without lookups the checks that need the image's config are not run,
	// and the run says so; no finding rests on the unknown image.
	off, _ := lintJSON(t, project, "--image-config", "off", "--fail-on", "none")
	if got := imageFindings(off); len(got) != 0 {
		t.Errorf("--image-config off: findings on an image nobody inspected:\n%s", strings.Join(got, "\n"))
	}
	offNotes := strings.Join(imageNotChecked(off), "\n")
	for _, want := range []string{"healthcheck-missing app: image-config-unknown", "init-missing app: image-config-unknown", "healthcheck-missing derived: image-config-unknown"} {
		if !strings.Contains(offNotes, want) {
			t.Errorf("--image-config off: no %q in\n%s", want, offNotes)
		}
	}
	if len(off.NotCheckedSummary) != 1 || !strings.Contains(off.NotCheckedSummary[0], "--image-config off") {
		t.Errorf("--image-config off: summary %q", off.NotCheckedSummary)
	}
	if requests.Load() != 0 {
		t.Errorf("--image-config off made %d registry requests", requests.Load())
	}

	// registry: USER, HEALTHCHECK and ENTRYPOINT come from the registry, for
	// the image run as is and for the build FROM it.
	doc, _ := lintJSON(t, project, "--image-config", "registry", "--fail-on", "none")
	if got := imageFindings(doc); len(got) != 0 {
		t.Errorf("--image-config registry: the image's config was not read:\n%s", strings.Join(got, "\n"))
	}
	first := requests.Load()
	if first == 0 {
		t.Fatal("--image-config registry made no registry request")
	}
	t.Logf("first registry run: %d requests to the registry", first)

	// A second run is served by the cache: no request at all.
	doc, _ = lintJSON(t, project, "--image-config", "registry", "--fail-on", "none")
	if got := imageFindings(doc); len(got) != 0 {
		t.Errorf("second run: %s", strings.Join(got, "\n"))
	}
	if n := requests.Load() - first; n != 0 {
		t.Errorf("the second run made %d registry requests, want 0 (the cache)", n)
	}

	// engine: the same config from the private engine, for a tag only the
	// engine has (never pushed), with no registry involved.
	t.Setenv("DOCKER_HOST", engineHost)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	engineProject := imageProject(t, local)
	doc, _ = lintJSON(t, engineProject, "--image-config", "engine", "--fail-on", "none")
	if got := imageFindings(doc); len(got) != 0 {
		t.Errorf("--image-config engine: the image's config was not read:\n%s", strings.Join(got, "\n"))
	}
	// And the engine mode never reaches for the registry.
	before := requests.Load()
	doc, _ = lintJSON(t, imageProject(t, viaProxy), "--image-config", "engine", "--fail-on", "none")
	if requests.Load() != before {
		t.Errorf("--image-config engine sent %d requests to the registry", requests.Load()-before)
	}
	if !strings.Contains(strings.Join(imageNotChecked(doc), "\n"), "image-config-unknown") {
		t.Errorf("an image the engine lacks is unknown in engine mode: %v", imageNotChecked(doc))
	}
}
