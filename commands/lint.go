package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/imagelookup"
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
	// imageConfig is --image-config; platform picks an index's entry.
	imageConfig string
	platform    string
	// engine returns the local engine for image lookups; nil: none.
	engine func() imagelookup.Engine
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
			opts.engine = func() imagelookup.Engine { return lookupEngine(dockerCli) }
			return runLint(cmd.Context(), dockerCli.Out(), dockerCli.Err(), opts, args)
		},
	}
	flags := cmd.Flags()
	opts.addFlags(flags)
	flags.StringArrayVarP(&opts.files, "file", "f", nil, "Compose configuration files, merged in order (repeatable)")
	flags.StringArrayVar(&opts.profiles, "profile", nil, "Compose profiles to enable (repeatable)")
	flags.StringArrayVar(&opts.envFiles, "env-file", nil, "Alternate environment files for interpolation (repeatable)")
	flags.StringVar(&opts.projectDir, "project-directory", "", "The compose project's working directory (default: the first file's folder)")
	flags.StringVar(&opts.imageConfig, "image-config", "", `Where to read the images' configs (entrypoint, user, healthcheck): engine (the local engine, never pulling), registry (the engine, then the image's registry: manifest and config only), off (default "engine", or the config's image-config)`)
	flags.StringVar(&opts.platform, "platform", "", `The platform whose image a multi-platform index gives (default "linux/amd64", or $DOCKER_DEFAULT_PLATFORM)`)
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
	images, err := opts.imageResolver(setup.checker.Config)
	if err != nil {
		return err
	}
	res, err := lint.Run(ctx, setup.checker, lint.RunOptions{
		Images: images,
		Paths:  paths,
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
	switch setup.format {
	case "text", "json", "sarif":
		// Their output carries what was not checked.
	default:
		// The other formats have no place for it that is not a result: say it on stderr.
		for _, g := range res.NotCheckedSummary() {
			fmt.Fprintln(errOut, "docker heal: not checked: "+lint.CleanText(g.Text))
		}
	}
	return setup.report(out, res, opts.version, "files")
}

// lookupEngine is the engine image lookups ask, or nil when it is known not
// to answer: its address (from -H, DOCKER_HOST or the context) is a unix
// socket that does not exist, which costs one stat.
func lookupEngine(dockerCli command.Cli) imagelookup.Engine {
	// DockerEndpoint never exits the process (Client does when the CLI
	// cannot initialise); an endpoint it cannot resolve has no host.
	host := dockerCli.DockerEndpoint().Host
	if host == "" || dockerengine.SocketMissing(host) {
		return nil
	}
	// A broken engine configuration (malformed DOCKER_HOST, unknown
	// context) would make Client() exit 1; for lint it only means no lookups.
	if checkEndpoint(nil, dockerCli) != nil {
		return nil
	}
	if api := dockerCli.Client(); api != nil {
		return dockerengine.New(api)
	}
	return nil
}

// imageResolver builds the image lookup --image-config asks for (the flag
// over the config file over engine). No engine, or one that does not
// answer, leaves images unknown; that is never an error.
func (opts lintOptions) imageResolver(cfg *lint.Config) (lint.ImageResolver, error) {
	modeText := opts.imageConfig
	if modeText == "" && cfg != nil {
		modeText = cfg.ImageConfig
	}
	mode, err := imagelookup.ParseMode(modeText)
	if err != nil {
		return nil, usageError("--image-config: %v", err)
	}
	if mode == imagelookup.ModeOff {
		return nil, nil
	}
	platform := opts.platform
	if platform == "" {
		platform = os.Getenv("DOCKER_DEFAULT_PLATFORM")
	}
	lo := imagelookup.Options{Mode: mode, Platform: platform, CacheDir: imagelookup.DefaultCacheDir()}
	if opts.engine != nil {
		lo.Engine = opts.engine()
	}
	r, err := imagelookup.New(lo)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return r, nil
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
	return []byte("docker heal: " + e.Level.String() + ": " + lint.CleanText(e.Message) + "\n"), nil
}
