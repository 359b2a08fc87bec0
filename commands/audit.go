package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/humanize"
	"github.com/docker-heal/docker-heal/lint"
)

type auditOptions struct {
	findingOptions
	version     string
	concurrency int
	// configDir is where the config file is looked up from; "" means ".".
	configDir string
}

// auditEngine gives the audit description of containers: the named ones, or
// every running one when names is empty.
type auditEngine interface {
	Services(ctx context.Context, names []string, concurrency int) ([]*lint.Service, error)
}

func newAuditCommand(dockerCli command.Cli, version string) *cobra.Command {
	opts := auditOptions{version: version}
	cmd := &cobra.Command{
		Use:   "audit [OPTIONS] [CONTAINER...]",
		Short: "Run the lint rules on running containers, as the engine reports them",
		Long: `Run the rules that apply to running containers (R in docker heal rules) on what
the engine reports: the healthcheck in force (the container's own or its
image's), restart policy, memory/CPU/pids limits, log driver and options,
ulimits, init, privileged, mounts, user, and what PID 1 runs.

With no CONTAINER, audits every running container. A container created by
compose is reported with its compose file and service, so the fix is easy to
find. Formats, --fail-on, --disable/--only, .docker-heal.yaml and the
DOCKER_HEAL_<FLAG> variables are lint's.

Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 when the
tool could not do its job (engine unreachable, unknown container).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.applyEnv(cmd.Flags(), os.LookupEnv); err != nil {
				return err
			}
			engine, err := engineFor(cmd, dockerCli)
			if err != nil {
				return err
			}
			return runAudit(cmd.Context(), dockerCli.Out(), dockerCli.Err(), engine, opts, args)
		},
	}
	opts.addFlags(cmd.Flags())
	return cmd
}

func runAudit(ctx context.Context, out, errOut io.Writer, engine auditEngine, opts auditOptions, names []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	dir := opts.configDir
	if dir == "" {
		dir = "."
	}
	// Flags and config first: a bad --only must not wait on the engine.
	setup, err := opts.resolve(dir)
	if err != nil {
		return err
	}
	svcs, err := engine.Services(ctx, names, opts.concurrency)
	if err != nil {
		return engineError(err)
	}
	res := &lint.Result{}
	swarm := 0
	var locator lint.ComposeLocator
	for _, svc := range svcs {
		locateComposeService(&locator, svc)
		res.Files = append(res.Files, svc.Name)
		if svc.Swarm {
			swarm++
		}
		fs, notes := setup.checker.CheckServiceNotes(svc, nil)
		res.Findings = append(res.Findings, fs...)
		// A container's image is inspected; what may stay unknown is an
		// entrypoint script inside it.
		res.NotChecked = append(res.NotChecked, notes...)
	}
	lint.SortFindings(res.Findings)
	if swarm > 0 && (setup.format == "text" || setup.format == "") {
		// Swarm restarts and replaces its tasks: the restart and heal rules
		// stay silent on them, and the reader should know why.
		fmt.Fprintf(errOut, "docker heal: %s audited as Swarm tasks: restart and recovery rules skipped (Swarm restarts tasks itself)\n", humanize.Plural(swarm, "container"))
	}
	if setup.writes("sarif") {
		warnUnlocatedSARIF(errOut, res.Findings)
	}
	return setup.report(out, res, opts.version, "containers")
}

// warnUnlocatedSARIF says when SARIF results name only their container: the
// report is valid SARIF (a logical location), but GitHub code scanning
// rejects a whole file that has one result without a file location.
func warnUnlocatedSARIF(errOut io.Writer, fs []lint.Finding) {
	containers := map[string]bool{}
	for _, f := range fs {
		if f.Pos.File == "" {
			containers[f.Subject] = true
		}
	}
	if len(containers) > 0 {
		fmt.Fprintf(errOut, "docker heal: SARIF: the findings of %s name the container only (no compose file on this host): GitHub code scanning refuses a file with results that have no file location; audit compose-created containers, or use --only/--disable\n", humanize.Plural(len(containers), "container"))
	}
}

// locateComposeService points a compose-created container at its service's
// line in the compose file (labels com.docker.compose.project.config_files
// and com.docker.compose.service), when that file is on this host.
func locateComposeService(locator *lint.ComposeLocator, svc *lint.Service) {
	var files []string
	for _, f := range strings.Split(svc.Labels[heal.LabelComposeConfigFiles], ",") {
		if f = strings.TrimSpace(f); f != "" {
			files = append(files, f)
		}
	}
	if pos, ok := locator.Locate(files, svc.Labels[heal.LabelComposeService]); ok {
		svc.Pos = pos
	}
}
