package lint

import (
	"path/filepath"
	"testing"
)

// Ignore paths are doublestar globs, relative to the config's folder.
func TestMatchPathGlobs(t *testing.T) {
	base := filepath.FromSlash("/repo")
	for _, tc := range []struct {
		pattern, file string
		want          bool
	}{
		{"**/legacy/**", "/repo/legacy/compose.yaml", true},
		{"**/legacy/**", "/repo/apps/legacy/api/Dockerfile", true},
		{"**/legacy/**", "/repo/apps/legacyish/Dockerfile", false},
		{"**/Dockerfile", "/repo/a/b/Dockerfile", true},
		{"**/Dockerfile", "/repo/Dockerfile", true},
		{"**/Dockerfile", "/repo/a/Dockerfile.dev", false},
		{"legacy/**", "/repo/legacy/x/compose.yaml", true},
		{"legacy/**", "/repo/other/legacy/compose.yaml", false},
		{"Dockerfile.*", "/repo/deep/down/Dockerfile.dev", true}, // no slash: the name, in any folder
		{"apps/*/compose.yaml", "/repo/apps/web/compose.yaml", true},
		{"apps/*/compose.yaml", "/repo/apps/web/deep/compose.yaml", false},
		{"apps/**/compose.{yaml,yml}", "/repo/apps/web/deep/compose.yml", true},
		{"./legacy/**", "/repo/legacy/compose.yaml", true},
		{"legacy/**", "/elsewhere/legacy/compose.yaml", false},
	} {
		if got := matchPath(tc.pattern, base, filepath.FromSlash(tc.file)); got != tc.want {
			t.Errorf("matchPath(%q, %s) = %v, want %v", tc.pattern, tc.file, got, tc.want)
		}
	}
	if ValidGlob("legacy/[") || !ValidGlob("**/legacy/**") {
		t.Error("ValidGlob")
	}
}
