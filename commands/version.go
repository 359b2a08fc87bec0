package commands

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
)

func newVersionCommand(dockerCli command.Cli, version string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the docker-heal version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			commit := ""
			if info, ok := debug.ReadBuildInfo(); ok {
				_, commit = buildVersion("", info)
			}
			details := []string{runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
			if commit != "" {
				details = append([]string{"commit " + commit}, details...)
			}
			_, err := fmt.Fprintf(dockerCli.Out(), "docker-heal %s (%s)\n", version, strings.Join(details, ", "))
			return err
		},
	}
}

// ResolveVersion is the version Main reports: the one -ldflags set (make
// build, goreleaser), else the module version `go install ...@v1.2.3`
// recorded in the build info, else "dev".
func ResolveVersion(ldflagsVersion string) string {
	info, _ := debug.ReadBuildInfo()
	v, _ := buildVersion(ldflagsVersion, info)
	return v
}

// buildVersion reads the version and commit from the build info. The commit
// is vcs.revision, which `go build` stamps in a git checkout (goreleaser
// builds there); `go install module@version` builds from the module cache,
// which has no .git, so there the commit is the one a pseudo-version
// (v0.0.0-20260102150405-abcdef123456) names, and unknown for a tag.
func buildVersion(ldflagsVersion string, info *debug.BuildInfo) (version, commit string) {
	version = ldflagsVersion
	if info == nil {
		if version == "" {
			version = "dev"
		}
		return version, ""
	}
	if version == "" {
		version = info.Main.Version
		if version == "" || version == "(devel)" {
			version = "dev"
		}
	}
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if commit == "" {
		commit = pseudoVersionRev(info.Main.Version)
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if commit != "" && modified {
		commit += "-dirty"
	}
	return version, commit
}

// pseudoVersionRev returns the commit a Go pseudo-version names (its last
// dash-separated field, 12 hex digits after a 14-digit timestamp), or "".
func pseudoVersionRev(v string) string {
	v, _, _ = strings.Cut(v, "+")
	i := strings.LastIndex(v, "-")
	if i < 0 {
		return ""
	}
	rev, rest := v[i+1:], v[:i]
	if len(rev) != 12 || strings.Trim(rev, "0123456789abcdef") != "" || len(rest) < 14 {
		return ""
	}
	if stamp := rest[len(rest)-14:]; strings.Trim(stamp, "0123456789") != "" {
		return ""
	}
	return rev
}
