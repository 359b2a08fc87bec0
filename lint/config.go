package lint

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// ConfigFileName is looked up from the project directory upwards
// (internal/config reads it).
const ConfigFileName = ".docker-heal.yaml"

// Config is lint's side of .docker-heal.yaml (internal/config loads it):
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
	Path   string
	FailOn string
	Format string
	Rules  map[string]string
	Ignore []ConfigIgnore
	sev    map[string]Severity
	off    map[string]bool
	dir    string
	// ImageConfig is where lint looks images up: engine (default), registry, off.
	ImageConfig string
}

// ConfigIgnore silences rules for files matching Path or for a Service (or container) name.
type ConfigIgnore struct {
	Path    string   `yaml:"path"`
	Service string   `yaml:"service"`
	Rules   []string `yaml:"rules"`
}

// NewConfig is the lint side of a config file (internal/config reads the
// file and checks rule ids and settings at their lines).
func NewConfig(path, failOn, format string, rules map[string]string, ignore []ConfigIgnore) (*Config, error) {
	cfg := &Config{Path: path, FailOn: failOn, Format: format, Rules: rules, Ignore: ignore, dir: filepath.Dir(path),
		sev: map[string]Severity{}, off: map[string]bool{}}
	for id, v := range rules {
		on, sev, err := ParseRuleSetting(v)
		if err != nil {
			return nil, fmt.Errorf("config %s: rule %s: %v (or off/on)", path, id, err)
		}
		switch {
		case !on:
			cfg.off[id] = true
		case sev != nil:
			cfg.sev[id] = *sev
		}
	}
	return cfg, nil
}

// ParseRuleSetting reads a rule's value under rules: off/on (and their
// synonyms) or a severity that replaces the rule's default.
func ParseRuleSetting(v string) (on bool, sev *Severity, err error) {
	switch strings.ToLower(v) {
	case "off", "false", "disable", "disabled", "none":
		return false, nil, nil
	case "on", "true", "enable", "enabled", "":
		return true, nil, nil
	}
	s, err := ParseSeverity(v)
	if err != nil {
		return false, nil, err
	}
	return true, &s, nil
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

// matchPath matches a glob against a file, relative to the config's folder,
// with doublestar's syntax: ** matches any number of folders (legacy/**,
// **/legacy/**, **/Dockerfile), {a,b} either. A pattern with no slash
// matches the file's name in any folder, as .gitignore does.
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
	pattern = strings.TrimPrefix(filepath.ToSlash(pattern), "./")
	if !strings.Contains(pattern, "/") {
		pattern = "**/" + pattern
	}
	return doublestar.MatchUnvalidated(pattern, rel)
}

// ValidGlob says whether a path pattern of the config is valid.
func ValidGlob(pattern string) bool {
	return doublestar.ValidatePattern(filepath.ToSlash(pattern))
}
