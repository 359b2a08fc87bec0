package render

import (
	"encoding/json"
	"io"

	"github.com/docker-heal/docker-heal/lint"
)

type jsonFinding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Subject  string `json:"subject"`
	Service  string `json:"service,omitempty"`
	Message  string `json:"message"`
	URL      string `json:"url"`
	// Fix is there when lint --fix (with --unsafe-fixes when unsafe) fixes it.
	Fix *jsonFix `json:"fix,omitempty"`
}

// jsonFix says what --fix would do for a finding: "safe" or "unsafe", and how.
type jsonFix struct {
	Applicability string `json:"applicability"`
	Description   string `json:"description"`
}

type jsonRenderer struct{}

// jsonNotChecked is a check not run, in JSON output: never a finding.
type jsonNotChecked struct {
	Rule    string `json:"rule"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Subject string `json:"subject"`
	Reason  string `json:"reason"`
	What    string `json:"what"`
}

func (jsonRenderer) Render(w io.Writer, res *lint.Result) error {
	doc := struct {
		Findings   []jsonFinding    `json:"findings"`
		NotChecked []jsonNotChecked `json:"notChecked,omitempty"`
		// NotCheckedSummary is the text output's not-checked lines.
		NotCheckedSummary []string `json:"notCheckedSummary,omitempty"`
		Summary           Summary  `json:"summary"`
	}{Findings: []jsonFinding{}, Summary: Summarise(res.Findings, len(res.Files))}
	for _, n := range res.NotChecked {
		doc.NotChecked = append(doc.NotChecked, jsonNotChecked{Rule: n.Rule, File: n.Pos.File, Line: n.Pos.Line, Subject: n.Subject, Reason: n.Reason.String(), What: n.What})
	}
	for _, g := range res.NotCheckedSummary() {
		doc.NotCheckedSummary = append(doc.NotCheckedSummary, g.Text)
	}
	for _, f := range res.Findings {
		jf := jsonFinding{
			Rule: f.Rule, Severity: f.Severity.String(), File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Col,
			Subject: f.Subject, Service: f.Service, Message: f.Message, URL: f.URL,
		}
		if f.Fix != nil && len(f.Fix.Edits) > 0 {
			jf.Fix = &jsonFix{Applicability: "safe", Description: f.Fix.Description}
			if f.Fix.Unsafe {
				jf.Fix.Applicability = "unsafe"
			}
		}
		doc.Findings = append(doc.Findings, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
