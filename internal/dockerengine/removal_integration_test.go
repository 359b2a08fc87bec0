//go:build integration

package dockerengine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// Issue 18: `docker rm -f` while our restart is in flight. Whatever the
// engine answers the restart (it succeeded before the removal, "marked for
// removal", a 409, or no such container), it is a removal, never a failure,
// and the executor skips the container.
func TestRealRemovalDuringRestartIsSkipped(t *testing.T) {
	t.Parallel()
	e := New(enginetest.Client(t))
	ctx := context.Background()
	c := enginetest.RunContainer(t, enginetest.Options{Env: []string{"APP_SLOW_STOP=3"}})
	removed := make(chan error, 1)
	go func() {
		time.Sleep(700 * time.Millisecond) // inside the 3 s the app takes to stop
		_, err := enginetest.Client(t).ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
		removed <- err
	}()
	err := e.Restart(ctx, c.ID, 10*time.Second)
	if rerr := <-removed; rerr != nil {
		t.Fatalf("docker rm -f: %v", rerr)
	}
	t.Logf("the engine answered the restart with: %v", err)
	if err != nil && !heal.IsRemoved(err) {
		t.Errorf("restart of a container removed meanwhile: %v is not a removal (heal.IsRemoved)", err)
	}
	if err != nil && strings.Contains(err.Error(), "marked for removal") && !strings.Contains(err.Error(), c.ID) {
		t.Errorf("error %q does not name the container", err)
	}
}
