package rules

import (
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// DuplicateInstruction finds a stage with more than one CMD, ENTRYPOINT or
// HEALTHCHECK: only the last one takes effect, so the earlier ones are dead
// code that misleads a reader.
var DuplicateInstruction = lint.Rule{
	ID:              "duplicate-instruction",
	Severity:        lint.SeverityWarning,
	Scope:           lint.ScopeDockerfile,
	Summary:         "more than one CMD, ENTRYPOINT or HEALTHCHECK in a stage; only the last counts",
	Category:        lint.CategoryClarity,
	CheckDockerfile: duplicateInstruction,
}

// Each overridden instruction is reported at its own line (the one to delete),
// naming the line of the instruction that wins, as BuildKit's
// MultipleInstructionsDisallowed check does. Every stage is checked.
func duplicateInstruction(r *lint.Report, df *lint.Dockerfile) {
	for _, st := range df.Stages {
		for _, name := range []string{"cmd", "entrypoint", "healthcheck"} {
			last := st.Last(name)
			if last == nil {
				continue
			}
			for i := range st.Instructions {
				in := &st.Instructions[i]
				if in.Name != name || in == last {
					continue
				}
				kw := strings.ToUpper(name)
				r.Add(in.Pos, st.Subject(), "%s is overridden by the %s on line %d: only the last %s of a stage counts; delete this one", kw, kw, last.Pos.Line, kw)
			}
		}
	}
}
