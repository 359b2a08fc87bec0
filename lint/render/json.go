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
}

type jsonRenderer struct{}

func (jsonRenderer) Render(w io.Writer, res *lint.Result) error {
	doc := struct {
		Findings []jsonFinding `json:"findings"`
		Summary  Summary       `json:"summary"`
	}{Findings: []jsonFinding{}, Summary: Summarise(res.Findings, len(res.Files))}
	for _, f := range res.Findings {
		doc.Findings = append(doc.Findings, jsonFinding{
			Rule: f.Rule, Severity: f.Severity.String(), File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Col,
			Subject: f.Subject, Service: f.Service, Message: f.Message, URL: f.URL,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
