package commands

import (
	"fmt"
	"runtime"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
)

func newVersionCommand(dockerCli command.Cli, version string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the docker-heal version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(dockerCli.Out(), "docker-heal %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
