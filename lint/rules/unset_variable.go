package rules

import "github.com/docker-heal/docker-heal/lint"

// UnsetVariable is a ${VAR} a compose file interpolates with no value and no
// default. The compose loader finds them (it maps each back to its line);
// the rule exists so they are findings in every format, documented,
// configured and silenced like any other.
var UnsetVariable = lint.Rule{
	ID:         lint.UnsetVariableRule,
	Severity:   lint.SeverityWarning,
	Scope:      lint.ScopeCompose,
	Summary:    "a `${VAR}` with no value and no default: docker compose substitutes an empty string",
	FromLoader: true,
}
