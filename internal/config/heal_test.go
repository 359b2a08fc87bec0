package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

func TestLoadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".docker-heal.yaml")
	os.WriteFile(path, []byte("fail-on: warning\nrules:\n  init-missing: off\nheal:\n  all: true\n  max-restarts: 7\n  window: 2h\n  backoff: 30s\n  backoff-max: 10m\n  lock-timeout: 1m\n  webhooks: [http://127.0.0.1:9/x]\n"), 0o600)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	p := heal.DefaultPolicy()
	if err := cfg.ApplyPolicy(&p); err != nil {
		t.Fatal(err)
	}
	if !p.All || p.MaxRestarts != 7 || p.Window != 2*time.Hour || p.Backoff != 30*time.Second || p.BackoffMax != 10*time.Minute || p.Concurrency != 4 {
		t.Errorf("policy %+v", p)
	}
	lock, hook, err := cfg.Durations()
	if err != nil || lock == nil || *lock != time.Minute || hook != nil || len(cfg.Webhooks) != 1 {
		t.Errorf("durations %v %v %v", lock, hook, err)
	}

	for content, want := range map[string]string{
		"heal:\n  max-restart: 3\n": "max-restart",
		"heal:\n  window: soon\n":   "heal.window",
		"heal: [1, 2]\n":            "heal",
	} {
		os.WriteFile(path, []byte(content), 0o600)
		cfg, err := LoadConfig(path)
		if err == nil {
			p := heal.DefaultPolicy()
			err = cfg.ApplyPolicy(&p)
		}
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: %v, want an error naming %s and %q", content, err, path, want)
		}
	}
	os.WriteFile(path, []byte("fail-on: error\n"), 0o600)
	if cfg, err := LoadConfig(path); err != nil || cfg.MaxRestarts != nil {
		t.Errorf("no heal section: %+v %v", cfg, err)
	}
}
