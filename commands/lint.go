package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/imagelookup"
	"github.com/docker-heal/docker-heal/internal/reporoot"
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
	// stdin is what PATH "-" reads; stdinFilename names it.
	stdin         io.Reader
	stdinFilename string
	// fix writes the safe fixes, diff prints them; unsafeFixes adds the
	// unsafe ones to either.
	fix, diff, unsafeFixes bool
}

func newLintCommand(dockerCli command.Cli, version string) *cobra.Command {
	opts := lintOptions{version: version}
	cmd := &cobra.Command{
		Use:   "lint [OPTIONS] [PATH...]",
		Short: "Audit compose projects and Dockerfiles for production patterns",
		Long: `Audit compose projects and Dockerfiles for production patterns.

With no PATH, lints the compose project of the current folder (found as
docker compose finds it) and the Dockerfiles its services build. A PATH may be
a compose file, a Dockerfile or a folder, searched recursively; - reads a compose
file or a Dockerfile from standard input (--stdin-filename names it: positions,
and whether it is a compose file or a Dockerfile; without it, the content says).

Every flag can be set by a DOCKER_HEAL_<FLAG> variable (DOCKER_HEAL_FAIL_ON=none);
the command line wins over the environment, the environment over the config file.

With --fix, the fixes of the findings that have one are written to the files
that define the values (text edits: comments, anchors, quoting and layout
stay), then the project is linted again and what remains is reported. With
--diff, the fixes are printed as a unified diff (apply it with patch -p1 or
git apply) and nothing is written. --unsafe-fixes adds the fixes that change
behaviour a service may rely on; each rule's page says which.

Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 when the
tool could not do its job. With --diff: 0 when there is nothing to fix, 1 when
the diff is not empty.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.applyEnv(cmd.Flags(), os.LookupEnv); err != nil {
				return err
			}
			opts.engine = func() imagelookup.Engine { return lookupEngine(dockerCli) }
			opts.stdin = dockerCli.In()
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
	flags.StringVar(&opts.stdinFilename, "stdin-filename", "", `The path the file read from standard input (PATH "-") is reported as, and whose name says compose file or Dockerfile`)
	flags.BoolVar(&opts.fix, "fix", false, "Apply the safe fixes to the files, then report the findings that remain")
	flags.BoolVar(&opts.diff, "diff", false, "Print the fixes as a unified diff, write nothing; exit 1 when there is one")
	flags.BoolVar(&opts.unsafeFixes, "unsafe-fixes", false, "With --fix or --diff: apply the unsafe fixes too (they change behaviour a service may rely on)")
	flags.StringVar(&opts.platform, "platform", "", `The platform whose image a multi-platform index gives (default "linux/amd64", or $DOCKER_DEFAULT_PLATFORM)`)
	return cmd
}

func runLint(ctx context.Context, out, errOut io.Writer, opts lintOptions, paths []string) error {
	// A lint run is short and allocates much (compose-go's loader): collecting
	// garbage less often saves a fifth of its CPU (the corpus: 67 MB of
	// memory to 117 MB), and a soft limit keeps a huge tree from growing
	// without bound (GOGC and GOMEMLIMIT, when set, win).
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(512 << 20))
	}
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
	if searchDir == "" && len(paths) == 1 && paths[0] == lint.StdinPath && opts.stdinFilename != "" {
		searchDir = dirOf(opts.stdinFilename)
	}
	if searchDir == "" && len(paths) == 1 && paths[0] != lint.StdinPath {
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
	if opts.fix && opts.diff {
		return usageError("use either --fix or --diff, not both")
	}
	if opts.unsafeFixes && !opts.fix && !opts.diff {
		return usageError("--unsafe-fixes goes with --fix or --diff")
	}
	images, err := opts.imageResolver(setup.checker.Config)
	if err != nil {
		return err
	}
	var stdin *lint.Stdin
	if slices.Contains(paths, lint.StdinPath) {
		if opts.stdin == nil {
			return usageError("PATH -: no standard input")
		}
		// Refused before the read: on a terminal it would wait for Ctrl-D.
		if opts.fix || opts.diff {
			return usageError("--fix and --diff edit files: they do not take PATH -")
		}
		// Read no more than a file may be: cat /dev/zero | docker heal lint -
		// must not take all the memory.
		content, err := io.ReadAll(io.LimitReader(opts.stdin, lint.MaxFileSize+1))
		if err != nil {
			return withCode(ExitError, "reading standard input: %v", err)
		}
		if len(content) > lint.MaxFileSize {
			return usageError("PATH -: standard input is over %d MiB, more than any compose file or Dockerfile lint reads", lint.MaxFileSize>>20)
		}
		if len(bytes.TrimSpace(content)) == 0 {
			return usageError("PATH -: standard input is empty: pipe a compose file or a Dockerfile into it (cat compose.yaml | docker heal lint -)")
		}
		stdin = &lint.Stdin{Name: opts.stdinFilename, Content: content}
	} else if opts.stdinFilename != "" {
		return usageError("--stdin-filename names the file read from standard input: give PATH -")
	}
	runOpts := lint.RunOptions{
		Images: images,
		Paths:  paths,
		Stdin:  stdin,
		Project: lint.ProjectOptions{
			WorkingDir:  opts.projectDir,
			ConfigFiles: opts.files,
			Profiles:    opts.profiles,
			EnvFiles:    opts.envFiles,
		},
	}
	res, err := runLintOnce(ctx, setup.checker, runOpts)
	if err != nil {
		return err
	}
	wd, _ := os.Getwd()
	if opts.fix || opts.diff {
		mode := lint.FixSafe
		if opts.unsafeFixes {
			mode = lint.FixUnsafe
		}
		plan, err := lint.PlanFixes(res.Findings, mode)
		if err != nil {
			return withCode(ExitError, "%v", err)
		}
		if opts.diff {
			return printDiff(out, errOut, plan, res.Findings, mode, wd)
		}
		if err := plan.WriteFixes(); err != nil {
			return withCode(ExitError, "%v", err)
		}
		reportFixed(errOut, plan, res.Findings, mode)
		// What remains is what the files say now.
		if res, err = runLintOnce(ctx, setup.checker, runOpts); err != nil {
			return err
		}
	}
	setup.noteNotChecked(errOut, res)
	err = setup.report(out, res, opts.version, "files")
	if !opts.fix && setup.textOnly() {
		hintFixes(errOut, res.Findings)
	}
	return err
}

// hintFixes says, after a text report, how many findings --fix would fix,
// as ruff does, so the flag is found where it helps.
func hintFixes(errOut io.Writer, findings []lint.Finding) {
	safe := lint.CountFixes(findings, func(f lint.Finding) bool { return f.Fixable(lint.FixSafe) })
	unsafe := lint.CountFixes(findings, func(f lint.Finding) bool { return !f.Fixable(lint.FixSafe) })
	switch {
	case safe > 0 && unsafe > 0:
		fmt.Fprintf(errOut, "docker heal: %d %s fixable with --fix (%d more with --unsafe-fixes); --diff shows the changes\n", safe, plural(safe, "finding", "findings"), unsafe)
	case safe > 0:
		fmt.Fprintf(errOut, "docker heal: %d %s fixable with --fix; --diff shows the changes\n", safe, plural(safe, "finding", "findings"))
	case unsafe > 0:
		fmt.Fprintf(errOut, "docker heal: %d %s fixable with --fix --unsafe-fixes\n", unsafe, plural(unsafe, "finding", "findings"))
	}
}

func runLintOnce(ctx context.Context, checker *lint.Checker, opts lint.RunOptions) (*lint.Result, error) {
	res, err := lint.Run(ctx, checker, opts)
	if err != nil {
		var ue *lint.UsageError
		if errors.As(err, &ue) {
			return nil, usageError("%s", ue.Msg)
		}
		return nil, withCode(ExitError, "%v", err)
	}
	return res, nil
}

// printDiff writes the fixes as a unified diff with paths relative to the
// working directory (patch -p1 and git apply run there), and exits 1 when
// there is one, as a CI check that the files are fixed.
func printDiff(out, errOut io.Writer, plan *lint.FixResult, findings []lint.Finding, mode lint.FixMode, wd string) error {
	base := plan.DiffBase(wd, reporoot.Find(wd, os.LookupEnv))
	if base != wd && len(plan.Files) > 0 {
		where := base
		if where == "" {
			where = string(filepath.Separator)
		}
		fmt.Fprintf(errOut, "docker heal: the diff's paths are relative to %s: apply it there (patch -p1)\n", where)
	}
	if _, err := io.WriteString(out, plan.Diff(base)); err != nil {
		return withCode(ExitError, "writing the diff: %v", err)
	}
	if n := unsafeLeft(findings, mode); n > 0 {
		fmt.Fprintf(errOut, "docker heal: %d more %s with --unsafe-fixes\n", n, plural(n, "fix", "fixes"))
	}
	if len(plan.Files) > 0 {
		return silentExit(ExitFindings)
	}
	return nil
}

// reportFixed says on stderr what --fix changed, by rule.
func reportFixed(errOut io.Writer, plan *lint.FixResult, findings []lint.Finding, mode lint.FixMode) {
	total := 0
	var parts []string
	for _, id := range slices.Sorted(maps.Keys(plan.Applied)) {
		total += plan.Applied[id]
		parts = append(parts, fmt.Sprintf("%s %d", id, plan.Applied[id]))
	}
	if total > 0 {
		fmt.Fprintf(errOut, "docker heal: fixed %d %s in %d %s (%s)\n", total, plural(total, "finding", "findings"), len(plan.Files), plural(len(plan.Files), "file", "files"), strings.Join(parts, ", "))
	}
	if plan.Skipped > 0 {
		fmt.Fprintf(errOut, "docker heal: %d %s overlapped another and %s left for the next --fix\n", plan.Skipped, plural(plan.Skipped, "fix", "fixes"), plural(plan.Skipped, "was", "were"))
	}
	if n := unsafeLeft(findings, mode); n > 0 {
		fmt.Fprintf(errOut, "docker heal: %d more %s with --unsafe-fixes\n", n, plural(n, "fix", "fixes"))
	}
}

// unsafeLeft counts the unsafe fixes the mode leaves out.
func unsafeLeft(findings []lint.Finding, mode lint.FixMode) int {
	if mode == lint.FixUnsafe {
		return 0
	}
	return lint.CountFixes(findings, func(f lint.Finding) bool { return !f.Fixable(mode) })
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// lookupEngine is the engine image lookups ask, or nil when it is known not
// to answer: its address (from -H, DOCKER_HOST or the context) is a unix
// socket that does not exist, which costs one stat.
func lookupEngine(dockerCli command.Cli) imagelookup.Engine {
	// A broken engine configuration (malformed DOCKER_HOST, unknown
	// context) would make Client() exit 1; for lint it only means no lookups.
	// It is checked first: DockerEndpoint prints the resolution error as it
	// is, with any password the endpoint URL carries.
	if checkEndpoint(nil, dockerCli) != nil {
		return nil
	}
	// DockerEndpoint never exits the process (Client does when the CLI
	// cannot initialise); an endpoint it cannot resolve has no host.
	host := dockerCli.DockerEndpoint().Host
	if host == "" || dockerengine.SocketMissing(host) {
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
