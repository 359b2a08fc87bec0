// Package config reads .docker-heal.yaml: the lint settings and the heal policy.
package config

import (
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/docker-heal/docker-heal/heal"
)

// Config is the `heal:` section of .docker-heal.yaml (the rest of the file
// is lint's). Every key mirrors a flag of docker heal once; flags win.
//
//	heal:
//	  all: false
//	  min-unhealthy: 1m
//	  max-restarts: 3
//	  window: 1h
//	  backoff: 1m
//	  backoff-max: 30m
//	  max-per-run: 10
//	  concurrency: 4
//	  grace: 0s
//	  stop-timeout: 0s
//	  state-file: /var/lib/docker-heal/state.json
//	  lock-timeout: 0s
//	  audit-log: /var/log/docker-heal.jsonl
//	  metrics-file: /var/lib/node_exporter/textfile/docker_heal.prom
//	  webhooks: [https://hooks.example.com/...]
//	  webhook-timeout: 5s
type Config struct {
	All            *bool    `yaml:"all"`
	MinUnhealthy   *string  `yaml:"min-unhealthy"`
	MaxRestarts    *int     `yaml:"max-restarts"`
	Window         *string  `yaml:"window"`
	Backoff        *string  `yaml:"backoff"`
	BackoffMax     *string  `yaml:"backoff-max"`
	MaxPerRun      *int     `yaml:"max-per-run"`
	Concurrency    *int     `yaml:"concurrency"`
	Grace          *string  `yaml:"grace"`
	StopTimeout    *string  `yaml:"stop-timeout"`
	StateFile      string   `yaml:"state-file"`
	LockTimeout    *string  `yaml:"lock-timeout"`
	AuditLog       string   `yaml:"audit-log"`
	MetricsFile    string   `yaml:"metrics-file"`
	Webhooks       []string `yaml:"webhooks"`
	WebhookTimeout *string  `yaml:"webhook-timeout"`

	path string
}

// LoadConfig reads the heal section of a config file. A file without one
// is an empty Config.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %v", path, err)
	}
	cfg := &Config{path: path}
	section := healSection(&doc)
	if section == nil {
		return cfg, nil
	}
	if err := section.Load(cfg, yaml.WithKnownFields()); err != nil {
		return nil, fmt.Errorf("config %s: heal: %v (known keys: see docker heal once --help)", path, err)
	}
	return cfg, nil
}

func (c *Config) duration(key string, v *string, into *time.Duration) error {
	if v == nil {
		return nil
	}
	d, err := time.ParseDuration(*v)
	if err != nil {
		return fmt.Errorf("config %s: heal.%s: %q is not a duration like 30s, 5m or 1h", c.path, key, *v)
	}
	*into = d
	return nil
}

// ApplyPolicy sets the policy fields the file sets, leaving the others.
func (c *Config) ApplyPolicy(p *heal.Policy) error {
	if c == nil {
		return nil
	}
	if c.All != nil {
		p.All = *c.All
	}
	if c.MaxRestarts != nil {
		p.MaxRestarts = *c.MaxRestarts
	}
	if c.MaxPerRun != nil {
		p.MaxPerRun = *c.MaxPerRun
	}
	if c.Concurrency != nil {
		p.Concurrency = *c.Concurrency
	}
	for _, d := range []struct {
		key  string
		v    *string
		into *time.Duration
	}{
		{"min-unhealthy", c.MinUnhealthy, &p.MinUnhealthy},
		{"window", c.Window, &p.Window},
		{"backoff", c.Backoff, &p.Backoff},
		{"backoff-max", c.BackoffMax, &p.BackoffMax},
		{"grace", c.Grace, &p.Grace},
		{"stop-timeout", c.StopTimeout, &p.StopTimeout},
	} {
		if err := c.duration(d.key, d.v, d.into); err != nil {
			return err
		}
	}
	return nil
}

// Durations returns the lock and webhook timeouts the file sets (nil when unset).
func (c *Config) Durations() (lock, webhook *time.Duration, err error) {
	if c == nil {
		return nil, nil, nil
	}
	if c.LockTimeout != nil {
		lock = new(time.Duration)
		if err := c.duration("lock-timeout", c.LockTimeout, lock); err != nil {
			return nil, nil, err
		}
	}
	if c.WebhookTimeout != nil {
		webhook = new(time.Duration)
		if err := c.duration("webhook-timeout", c.WebhookTimeout, webhook); err != nil {
			return nil, nil, err
		}
	}
	return lock, webhook, nil
}

// healSection finds the value of the top-level heal key, or nil.
func healSection(doc *yaml.Node) *yaml.Node {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "heal" {
			return root.Content[i+1]
		}
	}
	return nil
}
