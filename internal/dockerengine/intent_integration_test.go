//go:build integration

package dockerengine

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// A restart alone shows one stop; an operator's `docker stop` in the middle
// of it shows a second.
func TestRealWatchStops(t *testing.T) {
	t.Parallel()
	e := New(enginetest.Client(t))
	ctx := context.Background()
	for _, operator := range []bool{false, true} {
		c := enginetest.RunContainer(t, enginetest.Options{Env: []string{"APP_SLOW_STOP=2"}})
		done, err := e.WatchStops(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		stopped := make(chan error, 1)
		if operator {
			go func() {
				time.Sleep(500 * time.Millisecond) // inside the 2s the app takes to stop
				_, err := enginetest.Client(t).ContainerStop(ctx, c.ID, client.ContainerStopOptions{})
				stopped <- err
			}()
		}
		if err := e.Restart(ctx, c.ID, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if operator {
			if err := <-stopped; err != nil {
				t.Fatal(err)
			}
		}
		want := 1
		if operator {
			want = 2
		}
		if got := done(true); got != want {
			t.Errorf("operator stop %v: %d stops seen, want %d", operator, got, want)
		}
	}
	// A watch on a container that does not exist still starts (the engine
	// filters by name or id as given) and sees nothing.
	done, err := e.WatchStops(ctx, "no-such-container-"+enginetest.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if n := done(false); n != 0 {
		t.Errorf("%d stops of nothing", n)
	}
}
