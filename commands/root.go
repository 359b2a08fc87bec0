// Package commands holds the cobra commands: flags, output and exit codes.
// Nothing else in the module imports cobra or command.Cli.
package commands

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker/cli/cli-plugins/metadata"
	"github.com/docker/cli/cli-plugins/plugin"
	"github.com/docker/cli/cli/command"
	cliflags "github.com/docker/cli/cli/flags"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/docker-heal/docker-heal/internal/safetext"
)

// Exit codes shared by every command.
const (
	ExitOK       = 0 // nothing reached --fail-on, or the round succeeded
	ExitFindings = 1 // a finding reached --fail-on, a restart failed, --wait timed out
	ExitError    = 2 // the tool could not do its job
)

// ExitError carries an exit code up to Main; Msg (if any) is printed on stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// withCode returns an error that makes the process exit with code, printing msg.
func withCode(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// silentExit makes the process exit with code and print nothing more.
func silentExit(code int) error { return &exitError{code: code} }

// usageError is a bad flag or argument: exit 2.
func usageError(format string, args ...any) error { return withCode(ExitError, format, args...) }

// NewRootCommand is the `heal` command with every subcommand, in one list.
func NewRootCommand(dockerCli command.Cli, version string) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "heal",
		Short:         "Make containers production-ready and keep them healthy",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	cmd.AddCommand(
		newLintCommand(dockerCli, version),
		newRulesCommand(dockerCli),
		newOnceCommand(dockerCli),
		newWatchCommand(dockerCli),
		newResetCommand(dockerCli),
		newStatusCommand(dockerCli),
		newAuditCommand(dockerCli, version),
		newVersionCommand(dockerCli, version),
	)
	// `completion` is the standalone binary's (Main unhides it there); in
	// plugin mode the docker CLI's own `docker completion` covers heal.
	cmd.CompletionOptions.HiddenDefaultCmd = true
	registerCompletions(cmd, dockerCli)
	for _, c := range cmd.Commands() {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
		c.DisableFlagsInUseLine = true // the Use lines already say [OPTIONS]
	}
	return cmd
}

// Main runs the plugin (as `docker heal`) or standalone (`docker-heal`), and
// returns the process exit code.
func Main(version string) int {
	version = ResolveVersion(version)
	dockerCli, err := command.NewDockerCli()
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker-heal:", err)
		return ExitError
	}
	var root *cobra.Command
	if plugin.RunningStandalone() {
		root = newStandaloneCommand(dockerCli, version)
		err = root.Execute()
	} else {
		root = NewRootCommand(dockerCli, version)
		os.Args = pluginCompletionArgs(os.Args, root.Name())
		err = plugin.RunPlugin(dockerCli, root, metadata.Metadata{
			SchemaVersion:    "0.1.0",
			Vendor:           "docker-heal",
			Version:          version,
			ShortDescription: "Make containers production-ready and keep them healthy",
			URL:              "https://github.com/docker-heal/docker-heal",
		})
	}
	return exitCode(dockerCli.Err(), err)
}

// newStandaloneCommand is the root command run as `docker-heal`: it takes
// the docker CLI's connection flags itself (--host, --context and the TLS
// ones, with DOCKER_HOST, DOCKER_CONTEXT, DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH), but not --config, which is lint's, not the client's.
func newStandaloneCommand(dockerCli *command.DockerCli, version string) *cobra.Command {
	root := NewRootCommand(dockerCli, version)
	root.Use = "docker-heal"
	root.CompletionOptions.HiddenDefaultCmd = false
	opts := cliflags.NewClientOptions()
	all := pflag.NewFlagSet("client", pflag.ContinueOnError)
	opts.InstallFlags(all)
	for _, name := range []string{"host", "context", "tls", "tlsverify", "tlscacert", "tlscert", "tlskey"} {
		root.PersistentFlags().AddFlag(all.Lookup(name))
	}
	root.PersistentFlags().Lookup("host").Usage = "Daemon socket to connect to (default: DOCKER_HOST or the current context)"
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		opts.SetDefaultOptions(root.PersistentFlags())
		return dockerCli.Initialize(opts)
	}
	return root
}

func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			// Messages may quote what a container or a file holds.
			fmt.Fprintln(stderr, "docker heal:", safetext.EscapeKeepLines(ee.msg))
		}
		return ee.code
	}
	// cobra's own errors (unknown command, bad flag) and anything unexpected.
	msg := err.Error()
	if strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") {
		msg += " (see --help)"
	}
	fmt.Fprintln(stderr, "docker heal:", safetext.EscapeKeepLines(msg))
	return ExitError
}
