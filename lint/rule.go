package lint

import "fmt"

// Scope says what a rule can be run on; a rule may have several.
type Scope uint8

const (
	ScopeDockerfile Scope = 1 << iota // D: a Dockerfile on its own
	ScopeCompose                      // C: a compose service with its local image config
	ScopeContainer                    // R: a running container
)

// Letters renders a scope as in the rule table: "D C R".
func (s Scope) Letters() string {
	out := ""
	for _, l := range []struct {
		bit Scope
		c   string
	}{{ScopeDockerfile, "D"}, {ScopeCompose, "C"}, {ScopeContainer, "R"}} {
		if s&l.bit != 0 {
			if out != "" {
				out += " "
			}
			out += l.c
		}
	}
	return out
}

// Rule is a value: its id, default severity, where it applies, a one-line
// summary and the check functions. The registry in lint/rules is one slice.
type Rule struct {
	ID       string
	Severity Severity
	Scope    Scope
	Summary  string
	// SecuritySeverity ranks a security rule's findings for code scanning
	// (SARIF security-severity, 0.1-10 as CVSS: 9+ critical, 7+ high, 4+
	// medium); 0 for rules that are not about security.
	SecuritySeverity float64
	// Category is what the findings are about, for reports that group
	// them (GitLab Code Quality); a rule with a SecuritySeverity is about
	// security unless it says otherwise.
	Category Category
	// CheckDockerfile runs once per Dockerfile when Scope has ScopeDockerfile.
	CheckDockerfile func(r *Report, df *Dockerfile)
	// CheckService runs once per compose service or container when Scope has
	// ScopeCompose or ScopeContainer; svc.Kind tells which.
	CheckService func(r *Report, svc *Service)
	// Fix says which fixes the rule's findings may carry: "safe", "unsafe",
	// "safe, unsafe" (some of each), or "" for none. Its docs page has a
	// "## Fix" section saying what each changes.
	Fix string
	// FromLoader marks a rule whose findings the loaders make (a file that
	// does not parse, a variable with no value): it has no check function,
	// and its findings go through the same filter as every other.
	FromLoader bool
}

// Category groups rules by what their findings are about.
type Category int

const (
	// CategoryReliability, the default: a container that does not start, stop,
	// recover or report its health as meant.
	CategoryReliability Category = iota
	// CategoryResources: a limit missing or wrong, so one container can starve
	// the host or be stopped for the wrong reason.
	CategoryResources
	// CategoryClarity: a file that says something it does not do.
	CategoryClarity
	// CategorySecurity: what an attacker in the container gains.
	CategorySecurity
)

func (k Category) String() string {
	switch k {
	case CategoryResources:
		return "resources"
	case CategoryClarity:
		return "clarity"
	case CategorySecurity:
		return "security"
	}
	return "reliability"
}

// CategoryOf is the rule's category: its own, or security for a rule with a
// SecuritySeverity.
func (r Rule) CategoryOf() Category {
	if r.Category == CategoryReliability && r.SecuritySeverity > 0 {
		return CategorySecurity
	}
	return r.Category
}

// Report collects the findings of one rule run; rules never format output.
type Report struct {
	rule       *Rule
	findings   []Finding
	notChecked []NotChecked
	// dockerfile is set while the rule checks a Dockerfile.
	dockerfile bool
}

// NewReport starts collecting findings for rule.
func NewReport(rule *Rule) *Report { return &Report{rule: rule} }

// Add records a finding at the rule's default severity.
func (r *Report) Add(pos Position, subject, format string, args ...any) {
	r.AddSeverity(r.rule.Severity, pos, subject, format, args...)
}

// AddSeverity records a finding at a severity other than the rule's default
// (healthcheck-missing is info for a Dockerfile no compose service uses).
// A severity set in the configuration still wins.
func (r *Report) AddSeverity(sev Severity, pos Position, subject, format string, args ...any) {
	r.findings = append(r.findings, Finding{
		Rule:     r.rule.ID,
		Severity: sev,
		Pos:      pos,
		Subject:  subject,
		Message:  fmt.Sprintf(format, args...),
		URL:      DocsURL(r.rule.ID),
	})
}

// Fix attaches a fix to the finding recorded last; a nil fix is ignored.
func (r *Report) Fix(f *Fix) {
	if f == nil || len(f.Edits) == 0 || len(r.findings) == 0 {
		return
	}
	r.findings[len(r.findings)-1].Fix = f
}

// Findings returns what was recorded.
func (r *Report) Findings() []Finding { return r.findings }

// NotChecked records that the rule could not decide on subject: its answer
// depends on something unknown (why, named by what). The rule emits no
// finding then; the run reports once what it could not check.
func (r *Report) NotChecked(pos Position, subject string, why Unknown, what string) {
	r.notChecked = append(r.notChecked, NotChecked{Rule: r.rule.ID, Subject: subject, Pos: pos, Reason: why, What: what, Dockerfile: r.dockerfile})
}

// Skipped returns the checks recorded as not run.
func (r *Report) Skipped() []NotChecked { return r.notChecked }
