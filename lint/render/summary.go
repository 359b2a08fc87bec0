package render

import (
	"github.com/docker-heal/docker-heal/lint"
)

// Summary counts a result.
type Summary struct {
	Files   int `json:"files"`
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Info    int `json:"info"`
	// Rules counts findings per rule id (encoding/json sorts the keys).
	Rules map[string]int `json:"rules,omitempty"`
}

// Summarise counts findings by severity and by rule.
func Summarise(fs []lint.Finding, files int) Summary {
	s := Summary{Files: files}
	for _, f := range fs {
		if s.Rules == nil {
			s.Rules = map[string]int{}
		}
		s.Rules[f.Rule]++
		switch f.Severity {
		case lint.SeverityError:
			s.Error++
		case lint.SeverityWarning:
			s.Warning++
		case lint.SeverityInfo:
			s.Info++
		}
	}
	return s
}
