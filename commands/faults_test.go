package commands

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

// hangGuard fails the test if fn does not return within a minute.
func hangGuard(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s hangs", what)
	}
}

// A state file or config file that is a FIFO is an error (exit 2, naming
// it) for once, and status still answers: nothing hangs.
func TestFIFOStateAndConfigAreErrorsNotHangs(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dryRun := range []bool{false, true} {
		hangGuard(t, "once with a FIFO state file", func() {
			opts := testOpts(t)
			opts.stateFile, opts.dryRun = fifo, dryRun
			_, errOut, exit := run(t, newOnceEngine(sickContainer("web")), opts)
			if exit != ExitError || !strings.Contains(errOut, fifo) || !strings.Contains(errOut, "not a regular file") {
				t.Errorf("dry run %v: exit %d, want 2 naming the FIFO:\n%s", dryRun, exit, errOut)
			}
		})
	}
	hangGuard(t, "status with a FIFO state file", func() {
		column := stateHealColumn(fifo, heal.DefaultPolicy())
		if got := column(heal.Container{Labels: map[string]string{heal.LabelEnable: "true"}}, time.Now()); got != "on" {
			t.Errorf("HEAL column without readable state: %q", got)
		}
	})
	hangGuard(t, "once with a FIFO config file", func() {
		code, stderr := runStandalone(t, "once", "--config", fifo, "--state-file", filepath.Join(dir, "state.json"))
		if code != ExitError || !strings.Contains(stderr, fifo) {
			t.Errorf("exit %d, want 2 naming the FIFO:\n%s", code, stderr)
		}
	})
}
