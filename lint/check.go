package lint

// Checker runs a set of rules, applying the configuration (severity
// overrides, per-path and per-service ignores) and the files' pragmas.
type Checker struct {
	Rules  []Rule
	Config *Config
}

// CheckDockerfile runs the Dockerfile rules on df.
func (c *Checker) CheckDockerfile(df *Dockerfile) []Finding {
	out, _ := c.CheckDockerfileNotes(df)
	return out
}

// CheckDockerfileNotes runs the Dockerfile rules on df, and also returns the
// checks they could not run.
func (c *Checker) CheckDockerfileNotes(df *Dockerfile) ([]Finding, []NotChecked) {
	var out []Finding
	var notes []NotChecked
	ignores := map[string]*Ignores{df.Path: df.Ignores}
	for i := range c.Rules {
		rule := &c.Rules[i]
		if rule.Scope&ScopeDockerfile == 0 || rule.CheckDockerfile == nil {
			continue
		}
		r := NewReport(rule)
		r.dockerfile = true
		rule.CheckDockerfile(r, df)
		out = append(out, c.keep(r.Findings(), ignores)...)
		notes = append(notes, c.keepNotes(r.Skipped(), ignores)...)
	}
	return out, notes
}

// CheckService runs the compose or container rules on svc; ignores holds
// the pragmas of the compose files by path (nil for containers).
func (c *Checker) CheckService(svc *Service, ignores map[string]*Ignores) []Finding {
	out, _ := c.CheckServiceNotes(svc, ignores)
	return out
}

// CheckServiceNotes is CheckService that also returns the checks the rules
// could not run on svc.
func (c *Checker) CheckServiceNotes(svc *Service, ignores map[string]*Ignores) ([]Finding, []NotChecked) {
	scope := ScopeCompose
	if svc.Kind == KindContainer {
		scope = ScopeContainer
	}
	var out []Finding
	var notes []NotChecked
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
		notes = append(notes, c.keepNotes(r.Skipped(), ignores)...)
	}
	return out, notes
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

// keepNotes drops the not-run checks that a pragma or the config's ignores
// silence, as keep does for findings: a silenced rule is not reported as unchecked either.
func (c *Checker) keepNotes(ns []NotChecked, ignores map[string]*Ignores) []NotChecked {
	out := ns[:0]
	for _, n := range ns {
		if ignores[n.Pos.File].Silenced(n.Rule, n.Pos.Line) {
			continue
		}
		if c.Config != nil {
			if c.Config.Ignored(n.Rule, n.Pos.File, n.Subject) {
				continue
			}
			if sev, ok := c.Config.SeverityOf(n.Rule); ok && sev == SeverityNone {
				continue
			}
		}
		out = append(out, n)
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
