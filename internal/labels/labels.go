// Package labels reads the label values docker heal and docker heal lint
// both interpret, so that lint accepts exactly what healing acts on.
package labels

import "strings"

// The opt-in labels: docker-heal.enable, and docker-autoheal's autoheal,
// honoured so that people moving from willfarrell/docker-autoheal keep
// their configuration.
const (
	Enable   = "docker-heal.enable"
	Autoheal = "autoheal"
)

// ParseBool reads a label boolean, case-insensitively and ignoring
// surrounding spaces: true/false, yes/no, on/off, 1/0, y/n, t/f.
func ParseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1", "y", "t":
		return true, true
	case "false", "no", "off", "0", "n", "f":
		return false, true
	}
	return false, false
}

// OptIn reads the opt-in labels as healing does: autoheal=<true> opts in;
// docker-heal.enable decides when set, and a value that is not a boolean
// counts as false (valid is then false). set is false when neither label
// says anything, so the default (heal all, or none) applies.
func OptIn(l map[string]string) (enabled, set, valid bool) {
	valid = true
	if v, ok := l[Autoheal]; ok {
		if b, ok := ParseBool(v); ok && b {
			enabled, set = true, true
		}
	}
	if v, ok := l[Enable]; ok {
		b, ok := ParseBool(v)
		enabled, set, valid = b, true, ok
	}
	return enabled, set, valid
}
