package commands

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker/cli/cli/command"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
)

type lintOptions struct {
	findingOptions
	files      []string
	profiles   []string
	envFiles   []string
	projectDir string
	version    string
}

func newLintCommand(dockerCli command.Cli, version string) *cobra.Command {
	opts := lintOptions{version: version}
	cmd := &cobra.Command{
		Use:   "lint [OPTIONS] [PATH...]",
		Short: "Audit compose projects and Dockerfiles for production patterns",
		Long: `Audit compose projects and Dockerfiles for production patterns.

With no PATH, lints the compose project of the current folder (found as
docker compose finds it) and the Dockerfiles its services build. A PATH may be
a compose file, a Dockerfile or a folder, searched recursively.

Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 when the
tool could not do its job.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLint(cmd.Context(), dockerCli.Out(), dockerCli.Err(), opts, args)
		},
	}
	flags := cmd.Flags()
	opts.addFlags(flags)
	flags.StringArrayVarP(&opts.files, "file", "f", nil, "Compose configuration files, merged in order (repeatable)")
	flags.StringArrayVar(&opts.profiles, "profile", nil, "Compose profiles to enable (repeatable)")
	flags.StringArrayVar(&opts.envFiles, "env-file", nil, "Alternate environment files for interpolation (repeatable)")
	flags.StringVar(&opts.projectDir, "project-directory", "", "The compose project's working directory (default: the first file's folder)")
	return cmd
}

func runLint(ctx context.Context, out, errOut io.Writer, opts lintOptions, paths []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// compose-go logs through logrus (unset variables, obsolete keys): show
	// its warnings as ours, on stderr.
	logrus.SetOutput(errOut)
	logrus.SetFormatter(&plainFormatter{})
	searchDir := opts.projectDir
	if searchDir == "" && len(opts.files) > 0 {
		searchDir = dirOf(opts.files[0])
	}
	if searchDir == "" && len(paths) == 1 {
		searchDir = dirOf(paths[0])
	}
	if searchDir == "" {
		searchDir = "."
	}
	setup, err := opts.resolve(searchDir)
	if err != nil {
		return err
	}
	if len(opts.files) > 0 && len(paths) > 0 {
		return usageError("use either -f FILE or PATH arguments, not both")
	}
	res, err := lint.Run(ctx, setup.checker, lint.RunOptions{
		Paths: paths,
		Project: lint.ProjectOptions{
			WorkingDir:  opts.projectDir,
			ConfigFiles: opts.files,
			Profiles:    opts.profiles,
			EnvFiles:    opts.envFiles,
		},
	})
	if err != nil {
		var ue *lint.UsageError
		if errors.As(err, &ue) {
			return usageError("%s", ue.Msg)
		}
		return withCode(ExitError, "%v", err)
	}
	if wd, err := os.Getwd(); err == nil {
		res.Relativize(wd)
	}
	return setup.report(out, res, opts.version, "files")
}

func dirOf(p string) string {
	st, err := os.Stat(p)
	if err == nil && st.IsDir() {
		return p
	}
	d := p
	for i := len(d) - 1; i >= 0; i-- {
		if os.IsPathSeparator(d[i]) {
			return d[:i+1]
		}
	}
	return "."
}

// plainFormatter prints compose-go's log lines as one readable line.
type plainFormatter struct{}

func (plainFormatter) Format(e *logrus.Entry) ([]byte, error) {
	// Unset variables are unset-variable findings, with their file and line.
	if strings.HasSuffix(e.Message, "variable is not set. Defaulting to a blank string.") {
		return nil, nil
	}
	return []byte("docker heal: " + e.Level.String() + ": " + e.Message + "\n"), nil
}
