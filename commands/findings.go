package commands

import (
	"io"
	"os"
	"strings"

	"github.com/docker-heal/docker-heal/internal/config"
	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker-heal/docker-heal/lint/render"
	"github.com/docker-heal/docker-heal/lint/rules"
	"github.com/moby/term"
	"github.com/spf13/pflag"
)

// findingOptions are the flags lint and audit share: output format, the
// failure threshold, rule selection and the config file.
type findingOptions struct {
	format  string
	failOn  string
	disable []string
	only    []string
	config  string
	verbose bool
	// flags are the ones addFlags bound; nil when a test fills the options.
	flags *pflag.FlagSet
}

func (o *findingOptions) addFlags(flags *pflag.FlagSet) {
	o.flags = flags
	flags.StringVar(&o.format, "format", "", "Output format: "+strings.Join(render.Formats, ", ")+` (default "text", or the config's)`)
	flags.StringVar(&o.failOn, "fail-on", "", `Exit 1 when a finding is at least this severe: error, warning, info, none (default "error", or the config's)`)
	flags.StringSliceVar(&o.disable, "disable", nil, "Rule ids to turn off (comma-separated, repeatable)")
	flags.StringSliceVar(&o.only, "only", nil, "Run only these rule ids (comma-separated, repeatable)")
	flags.BoolVarP(&o.verbose, "verbose", "v", false, "Text output: show every finding (by default, one info rule on several services of a file is one line)")
	flags.StringVar(&o.config, "config", "", "Config file (default: the nearest "+config.FileName+" from the project directory upwards)")
}

// findingSetup is what the shared flags resolve to.
type findingSetup struct {
	checker *lint.Checker
	failOn  lint.Severity
	format  string
	all     []lint.Rule
	verbose bool
}

// resolve loads the config (explicit, or found from searchDir upwards) and
// selects the rules. Errors are usage errors: exit 2.
func (o *findingOptions) resolve(searchDir string) (*findingSetup, error) {
	all := rules.All()
	path := o.config
	if path == "" {
		path = config.Nearest(searchDir)
	} else if _, err := os.Stat(path); err != nil {
		return nil, usageError("--config %s: %v", path, err)
	}
	file := config.Empty()
	if path != "" {
		f, err := config.Load(path)
		if err != nil {
			return nil, usageError("%v", err)
		}
		file = f
	}
	if err := o.merge(file); err != nil {
		return nil, err
	}
	cfg, err := file.Lint(lint.KnownIDs(all))
	if err != nil {
		return nil, usageError("%v", err)
	}
	selected, err := lint.SelectRules(all, lint.SplitList(o.only), lint.SplitList(o.disable), cfg)
	if err != nil {
		return nil, usageError("%v", err)
	}
	setup := &findingSetup{checker: &lint.Checker{Rules: selected, Config: cfg}, all: all, failOn: lint.SeverityError, format: "text", verbose: o.verbose}
	if o.failOn != "" {
		sev, err := lint.ParseSeverity(o.failOn)
		if err != nil {
			return nil, usageError("--fail-on: %v", err)
		}
		setup.failOn = sev
	}
	if format := o.format; format != "" {
		known := false
		for _, f := range render.Formats {
			known = known || f == format
		}
		if !known {
			return nil, usageError("--format %q: use one of %s", format, strings.Join(render.Formats, ", "))
		}
		setup.format = format
	}
	return setup, nil
}

// merge puts the file's fail-on and format under the flags the user set.
// Options filled by a test (no flags) count as set where not empty.
func (o *findingOptions) merge(file *config.File) error {
	flags := o.flags
	if flags == nil {
		given := *o
		flags = pflag.NewFlagSet("", pflag.ContinueOnError)
		o.addFlags(flags)
		for name, v := range map[string]string{"format": given.format, "fail-on": given.failOn, "config": given.config} {
			if v != "" {
				flags.Set(name, v)
			}
		}
		o.disable, o.only, o.verbose = given.disable, given.only, given.verbose
		defer func() { o.flags = nil }()
	}
	if err := mergeConfig(flags, file, ""); err != nil {
		return err
	}
	// The flags are bound to the options addFlags saw; o may be a copy.
	o.format, _ = flags.GetString("format")
	o.failOn, _ = flags.GetString("fail-on")
	return nil
}

// report renders the result and turns --fail-on into the exit status.
func (s *findingSetup) report(out io.Writer, res *lint.Result, version, label string) error {
	err := render.Render(out, res, s.format, render.Options{
		Color:     isTerminal(out) && os.Getenv("NO_COLOR") == "",
		Rules:     s.all,
		Version:   version,
		FileLabel: label,
		FailOn:    s.failOn,
		Verbose:   s.verbose,
	})
	if err != nil {
		return withCode(ExitError, "writing the report: %v", err)
	}
	if lint.Failing(res.Findings, s.failOn) {
		return silentExit(ExitFindings)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	type fder interface{ FD() uintptr }
	if f, ok := w.(fder); ok {
		return term.IsTerminal(f.FD())
	}
	if f, ok := w.(*os.File); ok {
		return term.IsTerminal(f.Fd())
	}
	return false
}
