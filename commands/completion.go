package commands

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/lint/render"
	"github.com/docker-heal/docker-heal/lint/rules"
)

// registerCompletions gives the commands' arguments and flags the values a
// shell completes: formats, severities and rule ids offline, container names
// from the engine. It runs once on the finished tree, so each command file
// keeps to its flags and the values live in one place.
func registerCompletions(root *cobra.Command, dockerCli command.Cli) {
	for _, cmd := range root.Commands() {
		switch cmd.Name() {
		case "lint":
			// PATH arguments are files and folders.
			cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return nil, cobra.ShellCompDirectiveDefault
			}
			_ = cmd.MarkFlagFilename("file", "yaml", "yml")
			_ = cmd.MarkFlagFilename("env-file")
			_ = cmd.MarkFlagDirname("project-directory")
		case "rules":
			cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return ruleIDs(nil), cobra.ShellCompDirectiveNoFileComp
			}
		case "audit":
			cmd.ValidArgsFunction = containerNames(dockerCli, false)
		case "status":
			cmd.ValidArgsFunction = containerNames(dockerCli, true)
			flagValues(cmd, "format", "table", "json")
		case "reset":
			cmd.ValidArgsFunction = containerNames(dockerCli, true)
		case "once":
			flagValues(cmd, "format", "table", "json")
			flagValues(cmd, "log-format", "text", "json")
		}
		switch cmd.Name() {
		case "lint", "audit":
			flagValues(cmd, "format", render.Formats...)
			flagValues(cmd, "fail-on", "error", "warning", "info", "none")
			ruleListFlag(cmd, "disable")
			ruleListFlag(cmd, "only")
			_ = cmd.MarkFlagFilename("config", "yaml", "yml")
			flagValues(cmd, "image-config", "engine", "registry", "off")
		}
	}
}

// flagValues completes a flag from a fixed list.
func flagValues(cmd *cobra.Command, name string, values ...string) {
	if cmd.Flags().Lookup(name) == nil {
		return
	}
	_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// ruleIDs lists every rule id with its summary as the description, leaving
// out those already chosen.
func ruleIDs(chosen map[string]bool) []string {
	var out []string
	for _, r := range rules.All() {
		if !chosen[r.ID] {
			out = append(out, cobra.CompletionWithDesc(r.ID, r.Summary))
		}
	}
	slices.Sort(out)
	return out
}

// ruleListFlag completes a comma-separated list of rule ids: after
// "--disable privileged," it offers the other ids behind that prefix.
func ruleListFlag(cmd *cobra.Command, name string) {
	if cmd.Flags().Lookup(name) == nil {
		return
	}
	_ = cmd.RegisterFlagCompletionFunc(name, func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		prefix := ""
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			prefix = toComplete[:i+1]
		}
		chosen := map[string]bool{}
		for _, id := range strings.Split(prefix, ",") {
			chosen[strings.TrimSpace(id)] = true
		}
		ids := ruleIDs(chosen)
		for i := range ids {
			ids[i] = prefix + ids[i]
		}
		return ids, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}

// containerNames completes container names from the engine; all includes
// stopped ones. An unreachable engine completes nothing rather than failing
// the shell.
func containerNames(dockerCli command.Cli, all bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		// cobra runs no PersistentPreRun hook for __complete, and the hook is
		// what connects the client (the plugin framework's or Main's -H and
		// --context): run the nearest one first.
		for c := cmd; c != nil; c = c.Parent() {
			if c.PersistentPreRunE != nil {
				if err := c.PersistentPreRunE(cmd, args); err != nil {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				break
			}
		}
		engine, err := engineFor(cmd, dockerCli)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		list, err := engine.List(ctx, heal.ListOptions{All: all})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, c := range list {
			if c.Name != "" && !slices.Contains(args, c.Name) {
				names = append(names, c.Name)
			}
		}
		slices.Sort(names)
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// pluginCompletionArgs makes `docker heal __complete ARGS` work. The docker
// CLI runs the plugin as `docker-heal [GLOBAL FLAGS] heal ARGS`, and cobra
// only answers __complete on the root command (the CLI's own, in plugin
// mode), so "heal __complete lint" would look for a subcommand named
// __complete under heal. Swapping the two gives the root's `__complete heal
// lint`, which is also what `docker __complete heal lint` (the shell's TAB)
// sends.
func pluginCompletionArgs(args []string, name string) []string {
	// Only global flags come before the plugin's name.
	i := slices.Index(args, name)
	if i < 0 || i+1 >= len(args) {
		return args
	}
	if next := args[i+1]; next == cobra.ShellCompRequestCmd || next == cobra.ShellCompNoDescRequestCmd {
		out := slices.Clone(args)
		out[i], out[i+1] = next, name
		return out
	}
	return args
}
