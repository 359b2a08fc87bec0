package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/docker-heal/docker-heal/lint"
)

// codeClimateIssue is one entry of GitLab's Code Quality report, which is a
// subset of the Code Climate engine spec:
// https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format
type codeClimateIssue struct {
	Type        string              `json:"type"`
	CheckName   string              `json:"check_name"`
	Description string              `json:"description"`
	Content     *codeClimateContent `json:"content,omitempty"`
	Categories  []string            `json:"categories"`
	Fingerprint string              `json:"fingerprint"`
	Severity    string              `json:"severity"`
	Location    codeClimateLocation `json:"location"`
}

type codeClimateContent struct {
	Body string `json:"body"`
}

type codeClimateLocation struct {
	Path  string           `json:"path"`
	Lines codeClimateLines `json:"lines"`
}

type codeClimateLines struct {
	Begin int `json:"begin"`
}

// codeClimateSeverity maps our three levels onto Code Climate's five
// (info, minor, major, critical, blocker).
func codeClimateSeverity(s lint.Severity) string {
	switch s {
	case lint.SeverityError:
		return "major"
	case lint.SeverityWarning:
		return "minor"
	}
	return "info"
}

// codeClimateCategory files a finding under the Code Climate category of its
// rule's category (https://github.com/codeclimate/platform/blob/master/spec/analyzers/SPEC.md#categories).
func codeClimateCategory(categories map[string]lint.Category, rule string) string {
	switch categories[rule] {
	case lint.CategorySecurity:
		return "Security"
	case lint.CategoryResources:
		return "Performance"
	case lint.CategoryClarity:
		return "Clarity"
	}
	return "Bug Risk"
}

// lineNumbers matches the line references a message may carry ("on line 12"),
// which move whenever the file is edited above them.
var lineNumbers = regexp.MustCompile(`\blines? [0-9]+\b`)

// codeClimateFingerprint identifies a finding across runs. GitLab compares
// fingerprints between the base and the merge request to say what is new,
// so it must not contain the line: a blank line inserted above a service
// would otherwise make all its findings look fixed and new again.
func codeClimateFingerprint(f lint.Finding, path string, occurrence int) string {
	h := sha256.New()
	for _, part := range []string{f.Rule, path, f.Subject, lineNumbers.ReplaceAllString(f.Message, "line N"), strconv.Itoa(occurrence)} {
		io.WriteString(h, part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// renderCodeClimate writes GitLab Code Quality JSON. A finding on a running
// container (no file) is reported at the container's name, line 1: GitLab
// requires a path.
type codeClimateRenderer struct{ opts Options }

func (r codeClimateRenderer) Render(w io.Writer, res *lint.Result) error {
	issues := []codeClimateIssue{}
	// Two findings alike but for their line (the same rule twice in one
	// stage) get their order of appearance into the fingerprint, so each
	// stays unique and still survives a line move.
	seen := map[string]int{}
	categories := map[string]lint.Category{}
	for _, rule := range r.opts.Rules {
		categories[rule.ID] = rule.CategoryOf()
	}
	for _, f := range res.Findings {
		path := filepath.ToSlash(f.Pos.File)
		if path == "" {
			path = f.Subject
		}
		key := f.Rule + "\x00" + path + "\x00" + f.Subject + "\x00" + lineNumbers.ReplaceAllString(f.Message, "line N")
		occurrence := seen[key]
		seen[key]++
		issue := codeClimateIssue{
			Type:        "issue",
			CheckName:   f.Rule,
			Description: f.Subject + ": " + f.Message,
			Categories:  []string{codeClimateCategory(categories, f.Rule)},
			Fingerprint: codeClimateFingerprint(f, path, occurrence),
			Severity:    codeClimateSeverity(f.Severity),
			Location:    codeClimateLocation{Path: path, Lines: codeClimateLines{Begin: max(f.Pos.Line, 1)}},
		}
		if f.URL != "" {
			issue.Content = &codeClimateContent{Body: "See " + f.URL}
		}
		issues = append(issues, issue)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(issues)
}
