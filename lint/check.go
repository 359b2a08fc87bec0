package lint

// Checker runs a set of rules, applying the configuration (severity
// overrides, per-path and per-service ignores) and the files' pragmas.
type Checker struct {
	Rules  []Rule
	Config *Config
}

// CheckDockerfile runs the Dockerfile rules on df.
func (c *Checker) CheckDockerfile(df *Dockerfile) []Finding {
	var out []Finding
	for i := range c.Rules {
		rule := &c.Rules[i]
		if rule.Scope&ScopeDockerfile == 0 || rule.CheckDockerfile == nil {
			continue
		}
		r := NewReport(rule)
		rule.CheckDockerfile(r, df)
		out = append(out, c.keep(r.Findings(), map[string]*Ignores{df.Path: df.Ignores})...)
	}
	return out
}

// CheckService runs the compose or container rules on svc; ignores holds
// the pragmas of the compose files by path (nil for containers).
func (c *Checker) CheckService(svc *Service, ignores map[string]*Ignores) []Finding {
	scope := ScopeCompose
	if svc.Kind == KindContainer {
		scope = ScopeContainer
	}
	var out []Finding
	for i := range c.Rules {
		rule := &c.Rules[i]
		if rule.Scope&scope == 0 || rule.CheckService == nil {
			continue
		}
		if ignoredByExtension(svc, rule.ID) {
			continue
		}
		r := NewReport(rule)
		rule.CheckService(r, svc)
		fs := r.Findings()
		if svc.Kind == KindContainer {
			for j := range fs {
				if fs[j].Service == "" && svc.Labels["com.docker.compose.service"] != "" {
					fs[j].Service = svc.Labels["com.docker.compose.service"]
				}
			}
		}
		out = append(out, c.keep(fs, ignores)...)
	}
	return out
}

// Filter is the one path every finding takes, invalid-file's included: it
// drops what a file's pragmas (ignores, by file) or the config's path and
// service ignores silence, and applies the config's severity overrides.
// (--only, --disable and `rules: {id: off}` choose Rules; x-docker-heal is
// applied per service before.)
func (c *Checker) Filter(fs []Finding, ignores map[string]*Ignores) []Finding {
	return c.keep(fs, ignores)
}

// keep drops silenced findings and applies severity overrides.
func (c *Checker) keep(fs []Finding, ignores map[string]*Ignores) []Finding {
	out := fs[:0]
	for _, f := range fs {
		if ignores[f.Pos.File].Silenced(f.Rule, f.Pos.Line) {
			continue
		}
		if c.Config != nil {
			if c.Config.Ignored(f.Rule, f.Pos.File, f.Subject) {
				continue
			}
			if sev, ok := c.Config.SeverityOf(f.Rule); ok {
				f.Severity = sev
			}
		}
		out = append(out, f)
	}
	return out
}

// ignoredByExtension honours `x-docker-heal: {ignore: [ID, ...]}` on a compose
// service (and the label docker-heal.ignore=ID,... on a container).
func ignoredByExtension(svc *Service, id string) bool {
	return ignoredByList(svc.IgnoreRules, id)
}

func ignoredByList(ids []string, id string) bool {
	for _, ig := range ids {
		if ig == id || ig == "all" {
			return true
		}
	}
	return false
}
