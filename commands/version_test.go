package commands

import (
	"runtime/debug"
	"testing"
)

func TestBuildVersion(t *testing.T) {
	vcs := func(rev string, modified bool) []debug.BuildSetting {
		m := "false"
		if modified {
			m = "true"
		}
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: m}}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	cases := []struct {
		name          string
		ldflags       string
		info          *debug.BuildInfo
		version, want string
	}{
		{"no build info", "", nil, "dev", ""},
		{"go build in a checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, false)}, "dev", "0123456789ab"},
		{"Go 1.24+ stamps a pseudo-version from git", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261123185000-0123456789ab+dirty"}, Settings: vcs(rev, true)}, "v0.0.0-20261123185000-0123456789ab+dirty", "0123456789ab-dirty"},
		{"go install @latest of a tag", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3", ""},
		{"go install @latest of a commit", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261123185000-abcdef012345"}}, "v0.0.0-20261123185000-abcdef012345", "abcdef012345"},
		{"pre-release pseudo-version", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.4-0.20261123185000-abcdef012345"}}, "v1.2.4-0.20261123185000-abcdef012345", "abcdef012345"},
		{"-ldflags wins", "v9.9.9", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: vcs(rev, false)}, "v9.9.9", "0123456789ab"},
		{"-ldflags without build info", "v9.9.9", nil, "v9.9.9", ""},
	}
	for _, c := range cases {
		version, commit := buildVersion(c.ldflags, c.info)
		if version != c.version || commit != c.want {
			t.Errorf("%s: got %q, %q; want %q, %q", c.name, version, commit, c.version, c.want)
		}
	}
}
