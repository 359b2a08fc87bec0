package commands

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/docker-heal/docker-heal/internal/config"
	"github.com/docker-heal/docker-heal/internal/reporoot"
	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker-heal/docker-heal/lint/render"
	"github.com/docker-heal/docker-heal/lint/rules"
	"github.com/moby/term"
	"github.com/spf13/pflag"
)

// findingOptions are the flags lint and audit share: output format, the
// failure threshold, rule selection and the config file.
type findingOptions struct {
	// formats are the --format values: NAME, or NAME=FILE for a report
	// written to a file; format is one more NAME (tests fill it).
	formats []string
	format  string
	// output is --output: the file the format without =FILE goes to.
	output  string
	failOn  string
	disable []string
	only    []string
	config  string
	verbose bool
	// flags are the ones addFlags bound; nil when a test fills the options.
	flags *pflag.FlagSet
	// fromEnv are the flags a DOCKER_HEAL_<FLAG> variable set, so errors
	// name the variable the user wrote.
	fromEnv map[string]bool
}

// applyEnv sets the flags the command line left alone from their
// DOCKER_HEAL_<FLAG> variables, and remembers which.
func (o *findingOptions) applyEnv(flags *pflag.FlagSet, lookup func(string) (string, bool)) error {
	given := map[string]bool{}
	flags.Visit(func(f *pflag.Flag) { given[f.Name] = true })
	if err := applyFlagEnv(flags, lookup); err != nil {
		return err
	}
	o.fromEnv = map[string]bool{}
	flags.Visit(func(f *pflag.Flag) {
		if !given[f.Name] {
			o.fromEnv[f.Name] = true
		}
	})
	return nil
}

// source names where a flag's value came from: --name, or its variable.
func (o *findingOptions) source(name string) string {
	if o.fromEnv[name] {
		return envName(name)
	}
	return "--" + name
}

func (o *findingOptions) addFlags(flags *pflag.FlagSet) {
	o.flags = flags
	flags.StringArrayVar(&o.formats, "format", nil, "Output format: "+strings.Join(render.Formats, ", ")+`, or a Go template as docker ps takes it ('table {{.Rule}}\t{{.Subject}}', '{{json .}}'); FORMAT=FILE writes that format to FILE (repeatable: --format github --format sarif=docker-heal.sarif) (default "text", or the config's)`)
	flags.StringVarP(&o.output, "output", "o", "", "Write the report to this file instead of standard output")
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
	// outputs are the reports to write: one format to standard output (or
	// --output), the others to their files.
	outputs []reportOutput
	// format is the format written to standard output, "" when none is.
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
		return nil, usageError("%s %s: %v", o.source("config"), path, err)
	}
	file := config.Empty()
	if path != "" {
		f, err := config.LoadFor(path, lint.KnownIDs(all))
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
			return nil, usageError("%s: %v", o.source("fail-on"), err)
		}
		setup.failOn = sev
	}
	outputs, err := parseOutputs(o.formats, o.output, o.source("format"))
	if err != nil {
		return nil, err
	}
	setup.outputs = outputs
	setup.format = ""
	for _, out := range outputs {
		if out.file == "" {
			setup.format = out.format
		}
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
		for name, v := range map[string]string{"format": given.format, "fail-on": given.failOn, "config": given.config, "output": given.output} {
			if v != "" {
				flags.Set(name, v)
			}
		}
		for _, v := range given.formats {
			flags.Set("format", v)
		}
		o.disable, o.only, o.verbose = given.disable, given.only, given.verbose
		defer func() { o.flags = nil }()
	}
	if err := mergeConfig(flags, file, ""); err != nil {
		return err
	}
	// The flags are bound to the options addFlags saw; o may be a copy.
	o.formats, _ = flags.GetStringArray("format")
	o.output, _ = flags.GetString("output")
	o.failOn, _ = flags.GetString("fail-on")
	return nil
}

// writes says whether one of the reports is in format.
func (s *findingSetup) writes(format string) bool {
	for _, o := range s.outputs {
		if o.format == format {
			return true
		}
	}
	return false
}

// reportOutput is one report: a format, to a file or ("") standard output.
type reportOutput struct {
	format string
	file   string
}

// parseOutputs reads the --format values (NAME or NAME=FILE) and --output:
// one format goes to standard output, or to --output, the others to their
// files. No --format is text.
func parseOutputs(values []string, output, flag string) ([]reportOutput, error) {
	var outs []reportOutput
	toStdout := 0
	for _, v := range values {
		if render.IsTemplate(v) {
			// A Go template as docker ps takes it, to standard output (a
			// template may hold "=": no FILE part).
			if err := render.CheckTemplate(v); err != nil {
				return nil, usageError("%v (use table {{.Rule}}\\t{{.Subject}}, {{json .}}, or a format name)", err)
			}
			toStdout++
			outs = append(outs, reportOutput{format: v, file: output})
			continue
		}
		name, file, hasFile := strings.Cut(v, "=")
		name = strings.TrimSpace(name)
		if !slices.Contains(render.Formats, name) {
			return nil, usageError("%s %q: use one of %s, optionally with =FILE", flag, v, strings.Join(render.Formats, ", "))
		}
		if hasFile && file == "" {
			return nil, usageError("%s %q: name the file after =", flag, v)
		}
		if !hasFile {
			toStdout++
			file = output
		}
		outs = append(outs, reportOutput{format: name, file: file})
	}
	if toStdout > 1 {
		return nil, usageError("%s: %d formats without a file; one goes to standard output (or --output), give the others one: --format sarif=docker-heal.sarif", flag, toStdout)
	}
	if toStdout == 0 && (len(outs) == 0 || output != "") {
		outs = append(outs, reportOutput{format: "text", file: output})
	}
	seen := map[string]bool{}
	for _, o := range outs {
		if o.file != "" && seen[o.file] {
			return nil, usageError("%s: two reports to %s", flag, o.file)
		}
		seen[o.file] = true
		if err := checkReportFile(o); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// checkReportFile fails before anything is linted or fixed when a report
// could not be written: its folder is missing, or the name is a folder.
func checkReportFile(o reportOutput) error {
	if o.file == "" {
		return nil
	}
	if st, err := os.Stat(o.file); err == nil && st.IsDir() {
		return usageError("the %s report %s is a folder: name a file", o.format, o.file)
	}
	dir := filepath.Dir(o.file)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageError("the %s report %s cannot be written: the folder %s does not exist; create it first", o.format, o.file, dir)
	}
	return nil
}

// report renders the result in every format asked for and turns --fail-on
// into the exit status. Every format names files relative to the repository
// root (GITHUB_WORKSPACE, CI_PROJECT_DIR, or git's top level), whatever
// folder lint ran in: that is where code scanning, annotations and Code
// Quality look for them. A report that cannot be written is exit 2.
func (s *findingSetup) report(out io.Writer, res *lint.Result, version, label string) error {
	root := reporoot.Find(".", os.LookupEnv)
	res.Relativize(root)
	opts := render.Options{
		Root:      root,
		Rules:     s.all,
		Version:   version,
		FileLabel: label,
		FailOn:    s.failOn,
		Verbose:   s.verbose,
	}
	outputs := s.outputs
	if len(outputs) == 0 {
		outputs = []reportOutput{{format: "text"}}
	}
	// Files first: a reader of standard output that stops early (| head)
	// must not cost the reports.
	outputs = append([]reportOutput{}, outputs...)
	slices.SortStableFunc(outputs, func(a, b reportOutput) int {
		return cmpBool(a.file == "", b.file == "")
	})
	for _, o := range outputs {
		if err := writeReport(out, res, o, opts); err != nil {
			return withCode(ExitError, "writing the %s report: %v", o.format, err)
		}
	}
	if lint.Failing(res.Findings, s.failOn) {
		return silentExit(ExitFindings)
	}
	return nil
}

// noteNotChecked says on stderr what the rules could not check, when no
// output format has a place for it (text, json and sarif carry it; the
// others have none that is not a result).
// textOnly reports whether the only report is text on standard output.
func (s *findingSetup) textOnly() bool {
	return len(s.outputs) == 0 || (len(s.outputs) == 1 && s.outputs[0].format == "text" && s.outputs[0].file == "")
}

func (s *findingSetup) noteNotChecked(errOut io.Writer, res *lint.Result) {
	outputs := s.outputs
	if len(outputs) == 0 {
		return // text
	}
	for _, o := range outputs {
		switch o.format {
		case "text", "json", "sarif":
			return
		}
	}
	for _, g := range res.NotCheckedSummary() {
		fmt.Fprintln(errOut, "docker heal: not checked: "+lint.CleanText(g.Text))
	}
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func writeReport(stdout io.Writer, res *lint.Result, o reportOutput, opts render.Options) error {
	if o.file == "" {
		opts.Color = isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
		return renderBuffered(stdout, res, o.format, opts)
	}
	f, err := os.Create(o.file)
	if err != nil {
		return err
	}
	if err := renderBuffered(f, res, o.format, opts); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// renderBuffered renders a report through a buffer: the text report is
// written a line or a cell at a time, and unbuffered each write was a system
// call (3,840 for the 39 awesome-compose files). What was rendered before an
// error is still written, as it was.
func renderBuffered(w io.Writer, res *lint.Result, format string, opts render.Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := render.Render(bw, res, format, opts); err != nil {
		bw.Flush()
		return err
	}
	return bw.Flush()
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
