//go:build integration

package enginetest

import (
	"strings"
	"testing"
	"time"
)

// TestApp checks the test app behaves as the other integration tests rely
// on: healthy at start, sick on `sicken`, healthy after `cure`, and
// healthy again after a restart-free fail-after period is not reached.
func TestApp(t *testing.T) {
	t.Parallel()
	c := RunContainer(t, Options{})
	WaitHealth(t, c.ID, "healthy", 30*time.Second)
	if out := MustExec(t, c.ID, "/app", "sicken"); !strings.Contains(out, "sick") {
		t.Fatalf("sicken said %q", out)
	}
	WaitHealth(t, c.ID, "unhealthy", 30*time.Second)
	code, out := Exec(t, c.ID, "/app", "probe")
	if code != 1 || !strings.Contains(out, "sick") {
		t.Fatalf("probe of a sick app: exit %d %q, want exit 1 and the reason", code, out)
	}
	MustExec(t, c.ID, "/app", "cure")
	WaitHealth(t, c.ID, "healthy", 30*time.Second)
}

func TestAppFailAfter(t *testing.T) {
	t.Parallel()
	c := RunContainer(t, Options{Env: []string{"APP_FAIL_AFTER=2"}})
	WaitHealth(t, c.ID, "unhealthy", 30*time.Second)
	code, out := Exec(t, c.ID, "/app", "probe")
	if code != 1 || !strings.Contains(out, "told to fail after 2s") {
		t.Fatalf("probe: exit %d %q", code, out)
	}
}

func TestAppNoHealthcheck(t *testing.T) {
	t.Parallel()
	c := RunContainer(t, Options{Healthcheck: NoHealthcheck})
	time.Sleep(2 * time.Second)
	if got := Health(t, c.ID); got != "none" {
		t.Fatalf("health %q, want none", got)
	}
	if l := Inspect(t, c.ID).Config.Labels[LabelRun]; l != RunID() {
		t.Fatalf("label %s=%q, want %q", LabelRun, l, RunID())
	}
}
