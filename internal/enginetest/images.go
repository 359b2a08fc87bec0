package enginetest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"
)

// BuildConfigImage builds an image from dockerfile with the classic builder,
// in a context that holds one small file, "marker" (COPY it to give the image
// a layer), and tags it tag. The test's cleanup removes the image. Used to
// give lookups an image whose config (USER, HEALTHCHECK, ENTRYPOINT) is known.
func BuildConfigImage(t testing.TB, tag, dockerfile string) {
	t.Helper()
	cli := Client(t)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, data string }{{"Dockerfile", dockerfile}, {"marker", "docker-heal test image\n"}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags:        []string{tag},
		Version:     build.BuilderV1,
		Remove:      true,
		ForceRemove: true,
		NetworkMode: "none",
		Labels:      map[string]string{LabelRun: runID},
	})
	if err != nil {
		t.Fatalf("building %s on %s: %v", tag, cli.DaemonHost(), err)
	}
	defer res.Body.Close()
	if err := readStream(res.Body); err != nil {
		t.Fatalf("building %s: %v", tag, err)
	}
	t.Cleanup(func() { RemoveImage(t, tag) })
}

// TagImage tags source as target; the test's cleanup removes the tag.
func TagImage(t testing.TB, source, target string) {
	t.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	if _, err := Client(t).ImageTag(ctx, client.ImageTagOptions{Source: source, Target: target}); err != nil {
		t.Fatalf("tagging %s as %s: %v", source, target, err)
	}
	t.Cleanup(func() { RemoveImage(t, target) })
}

// PushImage pushes ref to its registry through the engine (anonymously: the
// test registry has no auth; dockerd treats 127.0.0.0/8 as insecure, HTTP).
func PushImage(t testing.TB, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	auth := base64.URLEncoding.EncodeToString([]byte("{}"))
	res, err := Client(t).ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: auth})
	if err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	defer res.Close()
	if err := readStream(res); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}

// RemoveImage removes an image or tag, ignoring one already gone.
func RemoveImage(t testing.TB, ref string) {
	t.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	if _, err := Client(t).ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil && !strings.Contains(err.Error(), "No such image") {
		t.Logf("removing image %s: %v", ref, err)
	}
}

// readStream reads a build or push JSON stream; failures are reported inside it.
func readStream(r io.Reader) error {
	dec := json.NewDecoder(r)
	var log strings.Builder
	for {
		var msg struct {
			Stream string `json:"stream"`
			Status string `json:"status"`
			Error  string `json:"error"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the stream: %v", err)
		}
		log.WriteString(msg.Stream + msg.Status + "\n")
		if msg.Error != "" {
			return fmt.Errorf("%s\n%s", msg.Error, log.String())
		}
	}
}
