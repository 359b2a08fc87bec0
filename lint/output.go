package lint

import (
	"runtime/debug"

	"github.com/docker-heal/docker-heal/internal/safetext"
)

// Failing reports whether any finding reaches the threshold.
func Failing(fs []Finding, threshold Severity) bool {
	if threshold == SeverityNone {
		return false
	}
	for _, f := range fs {
		if f.Severity >= threshold {
			return true
		}
	}
	return false
}

// ToolVersion is the version reports name: the one the build stamped
// (-X main.version=...), else the module version `go install` recorded in
// the binary's build info, else "dev".
func ToolVersion(stamped string) string {
	if stamped != "" && stamped != "dev" {
		return stamped
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// CleanText escapes what a terminal would act on (control characters: ESC
// sequences that set the title or clear the screen, BEL, carriage returns,
// and the C1 and bidi controls) in text that came from files, YAML values
// or containers, so that it prints as visible, harmless text. Tabs and line
// breaks are escaped too: one finding stays on one line.
func CleanText(s string) string { return safetext.Escape(s) }
