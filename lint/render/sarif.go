package render

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

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
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri,omitempty"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

// sarifLogicalLocation names a running container audit found something on:
// it has no file of its own.
type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind"`
}

// srcRoot is the base id of the repository root, as CodeQL names it.
const srcRoot = "%SRCROOT%"

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
		if loc, ok := sarifLocationOf(f); ok {
			r.Locations = []sarifLocation{loc}
		}
		results = append(results, r)
	}
	version := lint.ToolVersion(opts.Version)
	run := map[string]any{
		"tool": map[string]any{"driver": map[string]any{
			"name":           "docker-heal",
			"informationUri": "https://github.com/docker-heal/docker-heal",
			"version":        version,
			"rules":          srules,
		}},
		"originalUriBaseIds": map[string]any{srcRoot: rootLocation(opts.Root)},
		"results":            results,
	}
	if notes := sarifNotifications(res, index); len(notes) > 0 {
		// What was not checked is not a result: SARIF's place for it is the
		// invocation's tool execution notifications (code scanning shows them
		// with the tool's status, never as alerts).
		run["invocations"] = []any{map[string]any{"executionSuccessful": true, "toolExecutionNotifications": notes}}
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs":    []any{run},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// sarifNotifications are the not-checked summary lines, then each check not
// run with its rule and place, as SARIF notifications of level note.
func sarifNotifications(res *lint.Result, index map[string]int) []map[string]any {
	var out []map[string]any
	for _, g := range res.NotCheckedSummary() {
		out = append(out, map[string]any{"level": "note", "message": sarifMessage{"Not checked: " + g.Text}, "descriptor": map[string]any{"id": "not-checked/" + g.Reason.String()}})
	}
	for _, n := range res.NotChecked {
		note := map[string]any{
			"level":      "note",
			"message":    sarifMessage{n.Rule + " not checked on " + n.Subject + ": " + n.What + " (" + n.Reason.String() + ")"},
			"descriptor": map[string]any{"id": "not-checked/" + n.Reason.String()},
		}
		if idx, ok := index[n.Rule]; ok {
			note["associatedRule"] = map[string]any{"id": n.Rule, "index": idx}
		}
		if loc, ok := sarifLocationOf(lint.Finding{Pos: n.Pos, Subject: n.Subject}); ok {
			note["locations"] = []sarifLocation{loc}
		}
		out = append(out, note)
	}
	return out
}

// sarifLocationOf places a finding: a file relative to the repository root
// (the renderer's paths are relative to it) under %SRCROOT%, an absolute one
// (outside the repository) as a file URI, and a running container as a
// logical location, with its compose file when audit found it.
func sarifLocationOf(f lint.Finding) (sarifLocation, bool) {
	var loc sarifLocation
	if f.Pos.File != "" {
		p := &sarifPhysicalLocation{}
		if filepath.IsAbs(f.Pos.File) {
			p.ArtifactLocation.URI = fileURI(f.Pos.File)
		} else {
			p.ArtifactLocation.URI = encodePath(filepath.ToSlash(f.Pos.File))
			p.ArtifactLocation.URIBaseID = srcRoot
		}
		// startLine is required by code scanning; a file-level finding points at line 1.
		p.Region = &sarifRegion{StartLine: max(f.Pos.Line, 1), StartColumn: f.Pos.Col}
		loc.PhysicalLocation = p
	}
	if f.Pos.File == "" || f.Service != "" {
		ll := sarifLogicalLocation{Name: f.Subject, Kind: "resource"}
		if f.Service != "" {
			ll.FullyQualifiedName = "service " + f.Service + "/container " + f.Subject
		}
		loc.LogicalLocations = []sarifLogicalLocation{ll}
	}
	return loc, loc.PhysicalLocation != nil || loc.LogicalLocations != nil
}

// rootLocation is the artifact location of %SRCROOT%: the repository root as
// a file URI ending in a slash (SARIF 3.14.14), or only a description when
// the root is unknown.
func rootLocation(root string) map[string]any {
	if root == "" {
		return map[string]any{"description": sarifMessage{"The repository root"}}
	}
	uri := fileURI(root)
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	return map[string]any{"uri": uri}
}

// fileURI is the file:// URI of an absolute path, percent-encoded.
func fileURI(p string) string {
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x -> /C:/x
	}
	return "file://" + encodePath(p)
}

// encodePath percent-encodes a slash-separated path for a URI: every byte
// but RFC 3986's unreserved characters and the slash, so a folder named
// "my app,v2" or "100%" gives a valid uri-reference.
func encodePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '/' || c == '-' || c == '.' || c == '_' || c == '~' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
