package rules

import (
	"github.com/docker-heal/docker-heal/lint"
)

// InvalidFile is the finding a file that cannot be parsed gets. The loaders
// produce it (lint.Run, from a *lint.ParseError at the file's line); the rule
// exists so it can be listed, documented, configured and silenced like any
// other, and has no check function of its own.
var InvalidFile = lint.Rule{
	ID:         lint.InvalidFileRule,
	Severity:   lint.SeverityError,
	Scope:      lint.ScopeDockerfile | lint.ScopeCompose,
	Summary:    "a file that cannot be parsed: the parser's message at its `file:line`; the other files are still linted",
	FromLoader: true,
}
