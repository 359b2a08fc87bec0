package dockerengine

import (
	"context"
	"github.com/distribution/reference"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/lint"
)

// ImageProbeTimeout bounds the one call that decides whether the engine
// answers at all before image lookups go to it.
const ImageProbeTimeout = 2 * time.Second

// Unreachable says, without a network call, that the engine cannot answer:
// its endpoint is a unix socket that does not exist. Lookups then cost one
// stat, not a connection attempt per image.
func (e *Engine) Unreachable() bool { return SocketMissing(e.api.DaemonHost()) }

// DefaultHost is the engine's address when neither DOCKER_HOST nor a context names one.
const DefaultHost = "unix:///var/run/docker.sock"

// SocketMissing says whether host ("" for DefaultHost) is a unix socket
// that does not exist: an engine that cannot answer, known from one stat.
func SocketMissing(host string) bool {
	if host == "" {
		host = DefaultHost
	}
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "unix" {
		return false
	}
	st, err := os.Stat(u.Path)
	return err != nil || st.Mode()&os.ModeSocket == 0
}

// Reachable asks the engine once, briefly, whether it answers.
func (e *Engine) Reachable(ctx context.Context) bool {
	if e.Unreachable() {
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, ImageProbeTimeout)
	defer cancel()
	_, err := e.api.Ping(cctx, client.PingOptions{})
	return err == nil
}

// ImageConfig returns the config of an image the engine holds, by reference,
// and whether it holds it. It never pulls.
func (e *Engine) ImageConfig(ctx context.Context, ref string) (*lint.ImageConfig, bool, error) {
	cctx, cancel := context.WithTimeout(ctx, e.callTimeout())
	defer cancel()
	res, err := e.api.ImageInspect(cctx, ref)
	switch {
	case IsNotFound(err):
		return nil, false, nil
	case err != nil:
		return nil, false, e.wrap(ctx, err, "inspecting image "+ref)
	}
	img := res.InspectResponse
	source := ref
	if !strings.Contains(ref, "@") && len(img.RepoDigests) > 0 {
		source = ref + " (" + img.RepoDigests[0] + ")"
	}
	cfg := lint.ImageConfigFromSpec(source, img.Os, img.Config)
	cfg.RepoDigest = repoDigest(ref, img.RepoDigests)
	return cfg, true, nil
}

// repoDigest returns the digest RepoDigests records for ref's repository:
// what its tag resolved to when it was pulled (a multi-platform index's
// digest, not one platform's manifest); "" when ref is not by tag or the
// repository has none.
func repoDigest(ref string, repoDigests []string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	if _, byDigest := named.(reference.Digested); byDigest {
		return ""
	}
	for _, rd := range repoDigests {
		d, err := reference.ParseNormalizedNamed(rd)
		if err != nil {
			continue
		}
		if dg, ok := d.(reference.Digested); ok && d.Name() == named.Name() {
			return dg.Digest().String()
		}
	}
	return ""
}
