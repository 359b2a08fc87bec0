// Package rules holds every lint rule, one file per rule, and the one
// explicit registry below.
package rules

import "github.com/docker-heal/docker-heal/lint"

// All returns every rule, in the order `docker heal rules` lists them.
func All() []lint.Rule {
	return []lint.Rule{}
}
