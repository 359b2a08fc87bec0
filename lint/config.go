package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v4"
)

// ConfigFileName is looked up from the project directory upwards.
const ConfigFileName = ".docker-heal.yaml"

// Config is .docker-heal.yaml:
//
//	fail-on: warning
//	format: json
//	image-config: registry     # engine (default) | registry | off
//	rules:
//	  init-missing: off          # or: error | warning | info | on
//	  memory-limit-missing: error
//	ignore:
//	  - path: legacy/**          # glob on the file path, relative to the config
//	    rules: [all]
//	  - service: migrate
//	    rules: [restart-policy-missing]
type Config struct {
	Path   string            `yaml:"-"`
	FailOn string            `yaml:"fail-on"`
	Format string            `yaml:"format"`
	Rules  map[string]string `yaml:"rules"`
	Ignore []ConfigIgnore    `yaml:"ignore"`
	// ImageConfig is where lint looks images up: engine (default), registry, off.
	ImageConfig string              `yaml:"image-config"`
	sev         map[string]Severity `yaml:"-"`
	off         map[string]bool     `yaml:"-"`
	dir         string              `yaml:"-"`
}

// ConfigIgnore silences rules for files matching Path or for a Service (or container) name.
type ConfigIgnore struct {
	Path    string   `yaml:"path"`
	Service string   `yaml:"service"`
	Rules   []string `yaml:"rules"`
}

// LoadConfig reads a config file; known rule ids validate its rule names.
func LoadConfig(path string, known map[string]bool) (*Config, error) {
	src, err := ReadSource(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg := &Config{}
	if err := yaml.Unmarshal(src, cfg); err != nil {
		return nil, fmt.Errorf("config %s: %v", path, err)
	}
	var keys map[string]any
	if err := yaml.Unmarshal(src, &keys); err == nil {
		for k := range keys {
			switch k {
			case "fail-on", "format", "rules", "ignore", "image-config", "heal": // heal: is `docker heal once`'s policy
			default:
				return nil, fmt.Errorf("config %s: unknown key %q (known: fail-on, format, rules, ignore, image-config, heal)", path, k)
			}
		}
	}
	cfg.Path = path
	cfg.dir = filepath.Dir(path)
	cfg.sev, cfg.off = map[string]Severity{}, map[string]bool{}
	for id, v := range cfg.Rules {
		if known != nil && !known[id] {
			return nil, fmt.Errorf("config %s: unknown rule %q under rules (see docker heal rules)", path, id)
		}
		switch strings.ToLower(v) {
		case "off", "false", "disable", "disabled", "none":
			cfg.off[id] = true
		case "on", "true", "enable", "enabled", "":
		default:
			sev, err := ParseSeverity(v)
			if err != nil {
				return nil, fmt.Errorf("config %s: rule %s: %v (or off/on)", path, id, err)
			}
			cfg.sev[id] = sev
		}
	}
	for i, ig := range cfg.Ignore {
		if ig.Path == "" && ig.Service == "" {
			return nil, fmt.Errorf("config %s: ignore entry %d needs a path or a service", path, i+1)
		}
		if ig.Path != "" {
			if _, err := filepath.Match(ig.Path, ""); err != nil {
				return nil, fmt.Errorf("config %s: ignore entry %d: bad path pattern %q: %v", path, i+1, ig.Path, err)
			}
		}
		for _, id := range ig.Rules {
			if known != nil && id != "all" && !known[id] {
				return nil, fmt.Errorf("config %s: ignore entry %d: unknown rule %q", path, i+1, id)
			}
		}
	}
	if cfg.FailOn != "" {
		if _, err := ParseSeverity(cfg.FailOn); err != nil {
			return nil, fmt.Errorf("config %s: fail-on: %v", path, err)
		}
	}
	return cfg, nil
}

// FindConfig returns the nearest .docker-heal.yaml from dir upwards, or "".
func FindConfig(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(abs, ConfigFileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return ""
		}
		abs = parent
	}
}

// Disabled reports whether the config turns a rule off.
func (c *Config) Disabled(id string) bool { return c != nil && c.off[id] }

// SeverityOf returns a configured severity override.
func (c *Config) SeverityOf(id string) (Severity, bool) {
	if c == nil {
		return 0, false
	}
	s, ok := c.sev[id]
	return s, ok
}

// Ignored reports whether a per-path or per-service ignore silences rule for file/subject.
func (c *Config) Ignored(rule, file, subject string) bool {
	if c == nil {
		return false
	}
	for _, ig := range c.Ignore {
		if !ruleListed(ig.Rules, rule) {
			continue
		}
		if ig.Service != "" && ig.Service == subject {
			return true
		}
		if ig.Path != "" && file != "" && matchPath(ig.Path, c.dir, file) {
			return true
		}
	}
	return false
}

func ruleListed(ids []string, id string) bool {
	if len(ids) == 0 {
		return true
	}
	for _, x := range ids {
		if x == id || x == "all" {
			return true
		}
	}
	return false
}

// matchPath matches a glob against a file, relative to the config's folder;
// "dir/**" matches everything below dir.
func matchPath(pattern, base, file string) bool {
	abs, err := filepath.Abs(file)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(base, abs)
	if err != nil {
		rel = file
	}
	rel = filepath.ToSlash(rel)
	if prefix, ok := strings.CutSuffix(pattern, "/**"); ok {
		return rel == prefix || strings.HasPrefix(rel, prefix+"/")
	}
	if ok, _ := filepath.Match(pattern, rel); ok {
		return true
	}
	ok, _ := filepath.Match(pattern, filepath.Base(rel))
	return ok
}
