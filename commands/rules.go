package commands

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/docker-heal/docker-heal/docs"
	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker-heal/docker-heal/lint/rules"
	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
)

func newRulesCommand(dockerCli command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "rules [ID]",
		Short: "List every rule, or print one rule's page",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return runRule(dockerCli.Out(), args[0])
			}
			return runRules(dockerCli.Out())
		},
	}
}

func runRules(out io.Writer) error {
	table, flush := newPlainTable(out)
	table.Header("ID", "SEVERITY", "APPLIES", "FIX", "SUMMARY")
	for _, r := range rules.All() {
		fix := r.Fix
		if fix == "" {
			fix = "-"
		}
		if err := table.Append(r.ID, r.Severity.String(), r.Scope.Letters(), fix, r.Summary); err != nil {
			return err
		}
	}
	if err := table.Render(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(out, "\nApplies: D Dockerfile, C compose service, R running container (docker heal audit).\nFix: what docker heal lint --fix does (safe), with --unsafe-fixes (unsafe), or - (none).")
	return err
}

func runRule(out io.Writer, id string) error {
	if !lint.KnownIDs(rules.All())[id] {
		return usageError("unknown rule %q (see docker heal rules)", id)
	}
	page, err := docs.Rules.ReadFile(filepath.ToSlash(filepath.Join("rules", id+".md")))
	if err != nil {
		return withCode(ExitError, "rule %s has no page: %v", id, err)
	}
	_, err = io.WriteString(out, strings.TrimRight(string(page), "\n")+"\n")
	return err
}
