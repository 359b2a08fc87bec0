package commands

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/docker/cli/cli/command/formatter"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/safetext"
)

// defaultPlanTable is the table once and watch print without --format.
const defaultPlanTable = "table {{.Container}}\t{{.ProjectService}}\t{{.Decision}}\t{{.Reason}}\t{{.Result}}"

// planContext is one decision (a step or a dependent) as docker/cli's
// formatter sees it: the methods are what --format templates may use, as
// docker ps's are.
type planContext struct {
	formatter.HeaderContext
	rec heal.AuditRecord
}

func newPlanContext(dryRun bool) *planContext {
	c := &planContext{}
	result := "RESULT"
	if dryRun {
		result = "(DRY RUN)"
	}
	c.Header = formatter.SubHeaderContext{
		"Container": "CONTAINER", "ID": "CONTAINER ID", "Project": "PROJECT", "Service": "SERVICE",
		"ProjectService": "PROJECT/SERVICE", "Decision": "DECISION", "Reason": "REASON", "Result": result,
		"Error": "ERROR", "Note": "NOTE", "LastProbe": "LAST PROBE", "DryRun": "DRY RUN",
	}
	return c
}

// MarshalJSON is what {{json .}} prints: the step as --format json has it.
func (c *planContext) MarshalJSON() ([]byte, error) { return json.Marshal(toOnceStep(c.rec)) }

// Text from containers (names, labels, probe output in reasons) is escaped
// here, before the table aligns its columns.

func (c *planContext) Container() string { return safetext.Escape(c.rec.Container) }
func (c *planContext) ID() string        { return c.rec.ID }
func (c *planContext) Project() string   { return safetext.Escape(c.rec.Project) }
func (c *planContext) Service() string   { return safetext.Escape(c.rec.Service) }
func (c *planContext) ProjectService() string {
	if c.rec.Project == "" && c.rec.Service == "" {
		return ""
	}
	return safetext.Escape(c.rec.Project + "/" + c.rec.Service)
}
func (c *planContext) Decision() string       { return c.rec.Decision }
func (c *planContext) Reason() string         { return safetext.Escape(c.rec.Reason) }
func (c *planContext) Error() string          { return safetext.Escape(c.rec.Error) }
func (c *planContext) Note() string           { return safetext.Escape(c.rec.Note) }
func (c *planContext) LastProbe() *heal.Probe { return c.rec.LastProbe }
func (c *planContext) DryRun() bool           { return c.rec.DryRun }

// Result is the outcome with its error or note ("failure: …"); empty in a
// dry run, where nothing was attempted.
func (c *planContext) Result() string {
	if c.rec.DryRun {
		return ""
	}
	res, extra := c.rec.Result, c.rec.Error
	if extra == "" {
		extra = c.rec.Note
	}
	if res != "" && extra != "" {
		res += ": "
	}
	return safetext.Escape(res + extra) // an alert has a note, no result
}

// planTemplate is --format as docker/cli's formatter takes it: table (the
// default columns), "table TEMPLATE" or a bare Go template; "" for json,
// which prints the round's summary instead.
func planTemplate(format string) string {
	switch format {
	case "", formatter.TableFormatKey:
		return defaultPlanTable
	case formatter.JSONFormatKey:
		return ""
	}
	return format
}

// checkPlanFormat tries --format on an example decision, so that a bad
// template (or one naming a field that does not exist) is a usage error
// before any round runs.
func checkPlanFormat(format string) error {
	tmpl := planTemplate(format)
	if tmpl == "" {
		return nil
	}
	if !strings.Contains(tmpl, "{{") {
		// A word like "xml" is a template that prints itself: a mistake.
		return usageError("--format %q: use table, json or a Go template such as 'table {{.Container}}\\t{{.Decision}}\\t{{.Result}}'", format)
	}
	probe := formatter.Context{Output: io.Discard, Format: formatter.Format(tmpl)}
	example := newPlanContext(false)
	example.rec = heal.AuditRecord{Container: "web", ID: "0123456789ab", Decision: string(heal.StepRestart), Result: heal.ResultSuccess,
		LastProbe: &heal.Probe{ExitCode: 1}}
	if err := probe.Write(newPlanContext(false), func(write func(formatter.SubContext) error) error { return write(example) }); err != nil {
		return usageError("--format: %v (use table, json or a Go template such as 'table {{.Container}}\\t{{.Decision}}\\t{{.Result}}')", err)
	}
	return nil
}

// writePlanTemplate prints one line per decision, dependents included,
// through docker/cli's formatter.
func writePlanTemplate(out io.Writer, plan heal.Plan, dryRun bool, format string) error {
	var rows []formatter.SubContext
	for _, r := range plan.AuditRecords(dryRun) {
		c := newPlanContext(dryRun)
		c.rec = r
		rows = append(rows, c)
	}
	return writeTemplateRows(out, planTemplate(format), newPlanContext(dryRun), rows)
}
