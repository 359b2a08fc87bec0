package commands

import (
	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
)

func newLintCommand(dockerCli command.Cli) *cobra.Command {
	return &cobra.Command{Use: "lint [OPTIONS] [PATH...]", Short: "Audit compose projects and Dockerfiles for production patterns"}
}

func newRulesCommand(dockerCli command.Cli) *cobra.Command {
	return &cobra.Command{Use: "rules [ID]", Short: "List the rules, or show one rule's page"}
}
