//go:build integration

package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// One host config drives both: with heal: {all: true}, status shows `on` for
// an unlabelled sick container and once restarts it.
func TestRealConfigAllDrivesStatusAndOnce(t *testing.T) {
	labels, filter := caseLabel()
	sick := enginetest.RunContainer(t, enginetest.Options{Labels: labels})
	makeSick(t, sick.ID)

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	state := filepath.Join(dir, "state.json")
	if err := os.WriteFile(cfg, []byte("heal:\n  all: true\n  state-file: "+state+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	status := statusOptions{format: "{{.Name}}={{.Heal}}", filters: []string{filter}}
	cmd := newStatusCommand(nil)
	if err := cmd.ParseFlags([]string{"--config", cfg}); err != nil {
		t.Fatal(err)
	}
	status.configFile = cfg
	if err := status.configure(cmd.Flags()); err != nil {
		t.Fatal(err)
	}
	out, err := realStatus(t, status)
	if err != nil || strings.TrimSpace(out) != sick.Name+"=on" {
		t.Fatalf("status with heal.all: %q (%v), want %s=on", out, err, sick.Name)
	}

	onceCmd := newOnceCommand(nil)
	if err := onceCmd.ParseFlags([]string{"--config", cfg, "--filter", filter}); err != nil {
		t.Fatal(err)
	}
	opts := optsOf(t, onceCmd)
	opts.stateFile, _ = onceCmd.Flags().GetString("state-file")
	opts.policy.All, _ = onceCmd.Flags().GetBool("all")
	opts.filters = []string{filter}
	opts.format, opts.logFormat = "table", "text"
	if !opts.policy.All || opts.stateFile != state {
		t.Fatalf("once did not read the config: all=%v state=%q", opts.policy.All, opts.stateFile)
	}
	before := startedAt(t, sick.ID)
	out, exit := runReal(t, realEngine(t), opts)
	if exit != ExitOK || !strings.Contains(out, "success") {
		t.Errorf("once: exit %d", exit)
	}
	if !startedAt(t, sick.ID).After(before) {
		t.Errorf("once did not restart the unlabelled %s under heal.all", sick.Name)
	}
	enginetest.WaitHealth(t, sick.ID, "healthy", 30*time.Second)
}
