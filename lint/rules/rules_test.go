package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
)

// issueTable is the rule table of issue 2: id, default severity, where it applies.
var issueTable = []struct {
	id    string
	sev   lint.Severity
	scope string
}{
	{"shell-form-cmd", lint.SeverityWarning, "D R"},
	{"shell-wrapper-no-exec", lint.SeverityWarning, "D C R"},
	{"init-missing", lint.SeverityInfo, "C R"},
	{"duplicate-instruction", lint.SeverityWarning, "D"},
	{"healthcheck-missing", lint.SeverityWarning, "D C R"},
	{"healthcheck-disabled", lint.SeverityWarning, "D C R"},
	{"healthcheck-curl-no-fail", lint.SeverityError, "D C R"},
	{"healthcheck-timing", lint.SeverityWarning, "D C R"},
	{"healthcheck-probe-unavailable", lint.SeverityError, "D C"},
	{"depends-on-no-healthcheck", lint.SeverityError, "C"},
	{"startup-sleep", lint.SeverityWarning, "C"}, // issue 14
	{"unhealthy-not-acted-on", lint.SeverityInfo, "C R"},
	{"restart-policy-missing", lint.SeverityWarning, "C R"},
	{"restart-always", lint.SeverityInfo, "C R"},
	{"restart-on-failure-unbounded", lint.SeverityInfo, "C R"},
	{"stop-grace-period-short", lint.SeverityWarning, "C"}, // issue 14
	{"memory-limit-missing", lint.SeverityWarning, "C R"},
	{"memory-swap-unlimited", lint.SeverityInfo, "C R"},
	{"cpu-limit-missing", lint.SeverityInfo, "C R"},
	{"pids-limit-missing", lint.SeverityInfo, "C R"},
	{"reservation-exceeds-limit", lint.SeverityError, "C"},
	{"log-rotation-missing", lint.SeverityWarning, "C R"},
	{"ulimit-nofile-low", lint.SeverityInfo, "C R"},
	{"ulimit-soft-above-hard", lint.SeverityError, "C R"},
	{"privileged", lint.SeverityWarning, "C R"},
	{"docker-socket-mounted", lint.SeverityWarning, "C R"},
	{"cap-add-dangerous", lint.SeverityWarning, "C R"},
	{"host-namespace", lint.SeverityWarning, "C R"},
	{"user-root", lint.SeverityInfo, "D C R"},
	{"default-credentials", lint.SeverityWarning, "C"},           // issue 14
	{"port-published-all-interfaces", lint.SeverityWarning, "C"}, // issue 14
	{"image-unpinned", lint.SeverityInfo, "D C"},
	{"unset-variable", lint.SeverityWarning, "C"}, // issue 8
	{"invalid-file", lint.SeverityError, "D C"},
}

var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

func TestRegistryMatchesIssueTable(t *testing.T) {
	all := All()
	if len(all) != len(issueTable) {
		t.Errorf("All() has %d rules, the issue table %d", len(all), len(issueTable))
	}
	byID := map[string]lint.Rule{}
	for _, r := range all {
		if !kebab.MatchString(r.ID) {
			t.Errorf("rule id %q is not kebab-case", r.ID)
		}
		if _, dup := byID[r.ID]; dup {
			t.Errorf("rule id %q is registered twice", r.ID)
		}
		byID[r.ID] = r
		if strings.TrimSpace(r.Summary) == "" || strings.Contains(r.Summary, "\n") {
			t.Errorf("%s: the summary must be one non-empty line", r.ID)
		}
	}
	for i, want := range issueTable {
		r, ok := byID[want.id]
		if !ok {
			t.Errorf("rule %s of the issue table is not registered", want.id)
			continue
		}
		if r.Severity != want.sev {
			t.Errorf("%s: severity %s, the issue says %s", r.ID, r.Severity, want.sev)
		}
		if r.Scope.Letters() != want.scope {
			t.Errorf("%s: applies to %q, the issue says %q", r.ID, r.Scope.Letters(), want.scope)
		}
		if i < len(all) && all[i].ID != want.id {
			t.Errorf("All()[%d] is %s, the issue table lists %s there", i, all[i].ID, want.id)
		}
	}
}

func TestRegistryCheckFunctionsMatchScope(t *testing.T) {
	for _, r := range All() {
		if r.FromLoader {
			// The loaders produce invalid-file and unset-variable; they have no check of their own.
			if r.CheckDockerfile != nil || r.CheckService != nil {
				t.Errorf("%s: must have no check function: the loaders emit it", r.ID)
			}
			if r.ID != lint.InvalidFileRule && r.ID != lint.UnsetVariableRule {
				t.Errorf("%s: the loaders emit only %s and %s", r.ID, lint.InvalidFileRule, lint.UnsetVariableRule)
			}
			continue
		}
		if hasD := r.Scope&lint.ScopeDockerfile != 0; hasD != (r.CheckDockerfile != nil) {
			t.Errorf("%s: scope %q but CheckDockerfile set = %v", r.ID, r.Scope.Letters(), r.CheckDockerfile != nil)
		}
		if hasCR := r.Scope&(lint.ScopeCompose|lint.ScopeContainer) != 0; hasCR != (r.CheckService != nil) {
			t.Errorf("%s: scope %q but CheckService set = %v", r.ID, r.Scope.Letters(), r.CheckService != nil)
		}
	}
}

func TestEveryRuleHasDocsAndCases(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range All() {
		ids[r.ID] = true
		page, err := os.ReadFile(filepath.Join("..", "..", "docs", "rules", r.ID+".md"))
		if err != nil {
			t.Errorf("%s: no docs page: %v", r.ID, err)
		} else {
			text := string(page)
			if !strings.HasPrefix(text, "# "+r.ID+"\n") {
				t.Errorf("docs/rules/%s.md must start with the title \"# %s\"", r.ID, r.ID)
			}
			for _, section := range []string{"## Why it matters", "## Bad", "## Good", "## How to silence it", "docker-heal ignore=" + r.ID, "--disable " + r.ID, "**Severity:** " + r.Severity.String()} {
				if !strings.Contains(text, section) {
					t.Errorf("docs/rules/%s.md lacks %q", r.ID, section)
				}
			}
			// A rule with fixes says which, on its page, with a before/after.
			_, fix, hasFix := strings.Cut(text, "\n## Fix\n")
			fix, _, _ = strings.Cut(fix, "\n## ")
			switch {
			case r.Fix == "" && hasFix:
				t.Errorf("docs/rules/%s.md has a Fix section, but the rule has no Fix", r.ID)
			case r.Fix != "" && !hasFix:
				t.Errorf("docs/rules/%s.md lacks a \"## Fix\" section (the rule's Fix is %q)", r.ID, r.Fix)
			case r.Fix != "":
				for _, kind := range strings.Split(r.Fix, ", ") {
					if !strings.Contains(strings.ToLower(fix), kind) {
						t.Errorf("docs/rules/%s.md: the Fix section does not say %q", r.ID, kind)
					}
				}
				if !strings.Contains(fix, "```diff") {
					t.Errorf("docs/rules/%s.md: the Fix section has no before/after diff", r.ID)
				}
			}
		}
		for _, c := range []string{"bad", "good"} {
			if st, err := os.Stat(filepath.Join("testdata", r.ID, c)); err != nil || !st.IsDir() {
				t.Errorf("%s: no testdata/%s/%s folder", r.ID, r.ID, c)
			}
		}
		if _, err := os.Stat(filepath.Join("testdata", r.ID, "bad.golden")); err != nil {
			t.Errorf("%s: no testdata/%s/bad.golden", r.ID, r.ID)
		}
	}
	// No page or case folder for a rule that does not exist.
	pages, _ := filepath.Glob(filepath.Join("..", "..", "docs", "rules", "*.md"))
	for _, p := range pages {
		if id := strings.TrimSuffix(filepath.Base(p), ".md"); id != "README" && !ids[id] {
			t.Errorf("docs/rules/%s.md documents no registered rule", id)
		}
	}
	cases, _ := os.ReadDir("testdata")
	for _, c := range cases {
		if !ids[c.Name()] && c.Name() != "images.json" && c.Name() != "fuzz" { // images.json: the image configs the cases' lookups find; fuzz: go test -fuzz regressions
			t.Errorf("testdata/%s belongs to no registered rule", c.Name())
		}
	}
}

// The URL of a finding comes from lint.DocsURL, the one place it is derived.
func TestFindingURLIsDerived(t *testing.T) {
	svc := &lint.Service{Kind: lint.KindCompose, Name: "web", Image: "nginx"}
	r := NewReportFor(t, MemoryLimitMissing)
	MemoryLimitMissing.CheckService(r, svc)
	fs := r.Findings()
	if len(fs) != 1 || fs[0].URL != lint.DocsURL("memory-limit-missing") {
		t.Fatalf("findings %+v", fs)
	}
}

// NewReportFor starts a report for rule, as the checker does.
func NewReportFor(t *testing.T, rule lint.Rule) *lint.Report {
	t.Helper()
	return lint.NewReport(&rule)
}
