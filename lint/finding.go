// Package lint holds the model that every rule reads and every renderer
// writes: findings, severities, positions, and the normalised descriptions of
// a Dockerfile, a compose service and a running container.
package lint

import (
	"fmt"
	"sort"
	"strings"
)

// Severity orders findings; a higher value is more severe.
type Severity int

const (
	SeverityNone Severity = iota // only used as a --fail-on threshold: never fail
	SeverityInfo
	SeverityWarning
	SeverityError
)

func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	default:
		return "none"
	}
}

// ParseSeverity reads error|warning|info|none (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error":
		return SeverityError, nil
	case "warning", "warn":
		return SeverityWarning, nil
	case "info":
		return SeverityInfo, nil
	case "none", "off":
		return SeverityNone, nil
	}
	return SeverityNone, fmt.Errorf("unknown severity %q: use error, warning, info or none", s)
}

// MarshalText makes severities render as words in JSON and YAML.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts the same words as ParseSeverity.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Finding is one problem a rule found. It is a flat value so renderers,
// sorting and golden files need nothing else.
type Finding struct {
	Rule     string
	Severity Severity
	Pos      Position
	// Subject is the compose service, the Dockerfile stage or the container.
	Subject string
	Message string
	URL     string
	// Service is the compose service a running container was created from,
	// so an audit finding points at the file and service to fix.
	Service string
	// Fix turns the file into one without this finding (lint --fix); nil
	// when the rule has none, or the finding is not certain enough for one.
	Fix *Fix
}

// SameFinding compares findings without their fixes: a fragment linted with
// its base reports the base's findings again, with fixes of their own.
func SameFinding(a, b Finding) bool {
	a.Fix, b.Fix = nil, nil
	return a == b
}

// SortFindings orders findings by file, line, column, rule, subject so that
// output and golden files are stable.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		// Running containers have no file: keep each container's findings together.
		if a.Pos.File == "" && a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.Message < b.Message
	})
}

// DocsURL is the one place a rule's documentation address is derived.
func DocsURL(ruleID string) string {
	return "https://github.com/docker-heal/docker-heal/blob/main/docs/rules/" + ruleID + ".md"
}
