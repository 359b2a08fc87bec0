package render

import (
	"encoding/json"
	"io"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/docker-heal/docker-heal/lint"
)

func sarifLevel(s lint.Severity) string {
	switch s {
	case lint.SeverityError:
		return "error"
	case lint.SeverityWarning:
		return "warning"
	}
	return "note"
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	HelpURI              string       `json:"helpUri"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties *sarifRuleProperties `json:"properties,omitempty"`
}

// sarifRuleProperties are what GitHub code scanning reads besides the level:
// security-severity (a CVSS-like score, as a string) ranks security alerts
// as critical, high, medium or low, and the security tag files them there.
type sarifRuleProperties struct {
	SecuritySeverity string   `json:"security-severity,omitempty"`
	Tags             []string `json:"tags,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *sarifRegion `json:"region,omitempty"`
	} `json:"physicalLocation"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifRenderer struct{ opts Options }

func (r sarifRenderer) Render(w io.Writer, res *lint.Result) error {
	opts := r.opts
	rules := append([]lint.Rule{}, opts.Rules...)
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	index := map[string]int{}
	var srules []sarifRule
	for i, r := range rules {
		sr := sarifRule{ID: r.ID, Name: r.ID, ShortDescription: sarifMessage{r.Summary}, HelpURI: lint.DocsURL(r.ID)}
		sr.DefaultConfiguration.Level = sarifLevel(r.Severity)
		if r.SecuritySeverity > 0 {
			sr.Properties = &sarifRuleProperties{SecuritySeverity: strconv.FormatFloat(r.SecuritySeverity, 'f', 1, 64), Tags: []string{"security"}}
		}
		srules = append(srules, sr)
		index[r.ID] = i
	}
	results := []sarifResult{}
	for _, f := range res.Findings {
		idx, ok := index[f.Rule]
		if !ok {
			continue
		}
		r := sarifResult{RuleID: f.Rule, RuleIndex: idx, Level: sarifLevel(f.Severity), Message: sarifMessage{f.Subject + ": " + f.Message}}
		if f.Pos.File != "" {
			var loc sarifLocation
			loc.PhysicalLocation.ArtifactLocation.URI = filepath.ToSlash(f.Pos.File)
			// startLine is required by code scanning; a file-level finding points at line 1.
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: max(f.Pos.Line, 1), StartColumn: f.Pos.Col}
			r.Locations = []sarifLocation{loc}
		}
		results = append(results, r)
	}
	version := lint.ToolVersion(opts.Version)
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name":           "docker-heal",
				"informationUri": "https://github.com/docker-heal/docker-heal",
				"version":        version,
				"rules":          srules,
			}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
