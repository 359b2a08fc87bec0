// Package docs embeds the rule pages so `docker heal rules ID` prints them
// from the binary, and lint output URLs point at the same files.
package docs

import "embed"

// Rules holds rules/<id>.md.
//
//go:embed rules
var Rules embed.FS
