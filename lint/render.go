package lint

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/docker-heal/docker-heal/internal/safetext"
)

// Formats every findings renderer understands, for lint and audit alike.
var Formats = []string{"text", "json", "sarif", "github", "junit", "codeclimate", "checkstyle"}

// Summary counts a result.
type Summary struct {
	Files   int `json:"files"`
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Info    int `json:"info"`
	// Rules counts findings per rule id (encoding/json sorts the keys).
	Rules map[string]int `json:"rules,omitempty"`
}

// Summarise counts findings by severity and by rule.
func Summarise(fs []Finding, files int) Summary {
	s := Summary{Files: files}
	for _, f := range fs {
		if s.Rules == nil {
			s.Rules = map[string]int{}
		}
		s.Rules[f.Rule]++
		switch f.Severity {
		case SeverityError:
			s.Error++
		case SeverityWarning:
			s.Warning++
		case SeverityInfo:
			s.Info++
		}
	}
	return s
}

// RenderOptions carry what a renderer needs besides the findings.
type RenderOptions struct {
	Format  string
	Color   bool
	Rules   []Rule // the registry, for SARIF's rule descriptions
	Version string
	// FileLabel is what the text summary counts: "files" or "containers".
	FileLabel string
	// FailOn is the --fail-on threshold: JUnit reports findings below it as
	// skipped cases, not failures. SeverityNone fails nothing.
	FailOn Severity
	// Verbose shows every finding in text; otherwise the same info-level rule
	// on several services of one file is folded into one line.
	Verbose bool
}

// Render writes findings in one of Formats. Rules never format output;
// this is the one place that does.
func Render(w io.Writer, res *Result, opts RenderOptions) error {
	switch opts.Format {
	case "", "text":
		return renderText(w, res, opts)
	case "json":
		return renderJSON(w, res)
	case "sarif":
		return renderSARIF(w, res, opts)
	case "github":
		return renderGitHub(w, res)
	case "junit":
		return renderJUnit(w, res, opts.FailOn)
	case "codeclimate":
		return renderCodeClimate(w, res)
	case "checkstyle":
		return renderCheckstyle(w, res)
	}
	return fmt.Errorf("unknown format %q: use %s", opts.Format, strings.Join(Formats, ", "))
}

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

func sevColor(s Severity) string {
	switch s {
	case SeverityError:
		return "\x1b[31m"
	case SeverityWarning:
		return "\x1b[33m"
	}
	return "\x1b[36m"
}

func renderText(w io.Writer, res *Result, opts RenderOptions) error {
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	lines := res.Findings
	if !opts.Verbose {
		lines = foldInfo(res.Findings)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	group := "\x00"
	for _, f := range lines {
		// A file's findings under its name; a container's (no file) under the container's.
		name := f.Pos.File
		if name == "" {
			name = f.Subject
		}
		if name != group {
			if group != "\x00" {
				fmt.Fprintln(tw)
			}
			group = name
			fmt.Fprintln(tw, paint(ansiBold, CleanText(name)))
		}
		loc := ""
		if f.Pos.Line > 0 {
			loc = fmt.Sprintf("%d:%d", f.Pos.Line, max(f.Pos.Col, 1))
		}
		subject := f.Subject
		if f.Service != "" && f.Service != f.Subject {
			subject += " (service " + f.Service + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s: %s\n", loc, paint(sevColor(f.Severity), f.Severity.String()), paint(ansiDim, CleanText(f.Rule)), CleanText(subject), CleanText(f.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := Summarise(res.Findings, len(res.Files))
	label := opts.FileLabel
	if label == "" {
		label = "files"
	}
	if len(res.Findings) > 0 {
		fmt.Fprintln(w)
		if err := writeRuleCounts(w, res.Findings); err != nil {
			return err
		}
	}
	if err := writeNotChecked(w, res, opts.Verbose); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %s, %s, %d info\n", count(s.Files, strings.TrimSuffix(label, "s")), count(s.Error, "error"), count(s.Warning, "warning"), s.Info)
	return err
}

// writeNotChecked writes one line per reason the rules could not decide
// (never findings, never counted by --fail-on); --verbose lists each check.
func writeNotChecked(w io.Writer, res *Result, verbose bool) error {
	groups := res.NotCheckedSummary()
	if len(groups) == 0 {
		return nil
	}
	var b strings.Builder
	for _, g := range groups {
		b.WriteString("Not checked: " + CleanText(g.Text) + "\n")
		if !verbose {
			continue
		}
		for _, n := range res.NotChecked {
			if n.Reason != g.Reason {
				continue
			}
			where := n.Pos.String()
			if where == "" {
				where = n.Subject
			}
			fmt.Fprintf(&b, "  %s  %s  %s: %s\n", CleanText(where), CleanText(n.Rule), CleanText(n.Subject), CleanText(n.What))
		}
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeRuleCounts writes how many findings each rule gave, most first (then
// by id), with the highest severity among them, so the noisiest rules show
// at a glance.
func writeRuleCounts(w io.Writer, fs []Finding) error {
	type ruleCount struct {
		id  string
		n   int
		sev Severity
	}
	byID := map[string]*ruleCount{}
	var counts []*ruleCount
	for _, f := range fs {
		c := byID[f.Rule]
		if c == nil {
			c = &ruleCount{id: f.Rule}
			byID[f.Rule] = c
			counts = append(counts, c)
		}
		c.n++
		c.sev = max(c.sev, f.Severity)
	}
	sort.Slice(counts, func(i, j int) bool {
		if counts[i].n != counts[j].n {
			return counts[i].n > counts[j].n
		}
		return counts[i].id < counts[j].id
	})
	width := len(strconv.Itoa(counts[0].n))
	var b strings.Builder
	b.WriteString("Findings by rule:\n")
	for _, c := range counts {
		fmt.Fprintf(&b, "  %*d  %s (%s)\n", width, c.n, CleanText(c.id), c.sev)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// foldInfo folds the info-level findings of one rule with the same message
// on several subjects of one file into one line, at the first one's place,
// naming the subjects and, for the others, their own lines (a reader who
// opens the first line must not think the rest are there too). Findings whose
// messages differ (another image, another value) stay on lines of their own:
// "(also on x)" under one message would claim it for x. A warning or an error
// is always shown on its own, and so are containers' findings (they have no
// file). fs is sorted; the result keeps that order.
func foldInfo(fs []Finding) []Finding {
	type key struct{ file, rule, message string }
	groups := map[key][]int{}
	keyOf := func(f Finding) key { return key{f.Pos.File, f.Rule, f.Message} }
	for i, f := range fs {
		if f.Severity == SeverityInfo && f.Pos.File != "" {
			groups[keyOf(f)] = append(groups[keyOf(f)], i)
		}
	}
	out := make([]Finding, 0, len(fs))
	for i, f := range fs {
		g := groups[keyOf(f)]
		if f.Severity != SeverityInfo || f.Pos.File == "" || len(g) < 2 {
			out = append(out, f)
			continue
		}
		if g[0] != i {
			continue // folded into the group's first line
		}
		subjects := make([]string, 0, len(g))
		for _, j := range g {
			s := fs[j]
			if s.Pos.Line != f.Pos.Line {
				subjects = append(subjects, fmt.Sprintf("%s (line %d)", s.Subject, s.Pos.Line))
			} else {
				subjects = append(subjects, s.Subject)
			}
		}
		folded := f
		folded.Service = ""
		folded.Subject = strings.Join(subjects, ", ")
		out = append(out, folded)
	}
	return out
}

func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

type jsonFinding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Subject  string `json:"subject"`
	Service  string `json:"service,omitempty"`
	Message  string `json:"message"`
	URL      string `json:"url"`
}

// jsonNotChecked is a check not run, in JSON output.
type jsonNotChecked struct {
	Rule    string `json:"rule"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Subject string `json:"subject"`
	Reason  string `json:"reason"`
	What    string `json:"what"`
}

func renderJSON(w io.Writer, res *Result) error {
	doc := struct {
		Findings   []jsonFinding    `json:"findings"`
		NotChecked []jsonNotChecked `json:"notChecked,omitempty"`
		// NotCheckedSummary is the text output's not-checked lines.
		NotCheckedSummary []string `json:"notCheckedSummary,omitempty"`
		Summary           Summary  `json:"summary"`
	}{Findings: []jsonFinding{}, Summary: Summarise(res.Findings, len(res.Files))}
	for _, n := range res.NotChecked {
		doc.NotChecked = append(doc.NotChecked, jsonNotChecked{Rule: n.Rule, File: n.Pos.File, Line: n.Pos.Line, Subject: n.Subject, Reason: n.Reason.String(), What: n.What})
	}
	for _, g := range res.NotCheckedSummary() {
		doc.NotCheckedSummary = append(doc.NotCheckedSummary, g.Text)
	}
	for _, f := range res.Findings {
		doc.Findings = append(doc.Findings, jsonFinding{
			Rule: f.Rule, Severity: f.Severity.String(), File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Col,
			Subject: f.Subject, Service: f.Service, Message: f.Message, URL: f.URL,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "note"
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	HelpURI              string       `json:"helpUri"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties *sarifRuleProperties `json:"properties,omitempty"`
}

// sarifRuleProperties are what GitHub code scanning reads besides the level:
// security-severity (a CVSS-like score, as a string) ranks security alerts
// as critical, high, medium or low, and the security tag files them there.
type sarifRuleProperties struct {
	SecuritySeverity string   `json:"security-severity,omitempty"`
	Tags             []string `json:"tags,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *sarifRegion `json:"region,omitempty"`
	} `json:"physicalLocation"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

func renderSARIF(w io.Writer, res *Result, opts RenderOptions) error {
	rules := append([]Rule{}, opts.Rules...)
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	index := map[string]int{}
	var srules []sarifRule
	for i, r := range rules {
		sr := sarifRule{ID: r.ID, Name: r.ID, ShortDescription: sarifMessage{r.Summary}, HelpURI: DocsURL(r.ID)}
		sr.DefaultConfiguration.Level = sarifLevel(r.Severity)
		if r.SecuritySeverity > 0 {
			sr.Properties = &sarifRuleProperties{SecuritySeverity: strconv.FormatFloat(r.SecuritySeverity, 'f', 1, 64), Tags: []string{"security"}}
		}
		srules = append(srules, sr)
		index[r.ID] = i
	}
	results := []sarifResult{}
	for _, f := range res.Findings {
		idx, ok := index[f.Rule]
		if !ok {
			continue
		}
		r := sarifResult{RuleID: f.Rule, RuleIndex: idx, Level: sarifLevel(f.Severity), Message: sarifMessage{f.Subject + ": " + f.Message}}
		if f.Pos.File != "" {
			var loc sarifLocation
			loc.PhysicalLocation.ArtifactLocation.URI = filepath.ToSlash(f.Pos.File)
			// startLine is required by code scanning; a file-level finding points at line 1.
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: max(f.Pos.Line, 1), StartColumn: f.Pos.Col}
			r.Locations = []sarifLocation{loc}
		}
		results = append(results, r)
	}
	version := ToolVersion(opts.Version)
	run := map[string]any{
		"tool": map[string]any{"driver": map[string]any{
			"name":           "docker-heal",
			"informationUri": "https://github.com/docker-heal/docker-heal",
			"version":        version,
			"rules":          srules,
		}},
		"results": results,
	}
	if notes := sarifNotifications(res, index); len(notes) > 0 {
		// What was not checked is not a result: SARIF's place for it is the
		// invocation's tool execution notifications (GitHub shows them on the
		// tool's status page, never as alerts).
		run["invocations"] = []any{map[string]any{"executionSuccessful": true, "toolExecutionNotifications": notes}}
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs":    []any{run},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// sarifNotifications are the not-checked summary lines, then each check not
// run with its rule and place, as SARIF notifications of level note.
func sarifNotifications(res *Result, index map[string]int) []map[string]any {
	var out []map[string]any
	for _, g := range res.NotCheckedSummary() {
		out = append(out, map[string]any{"level": "note", "message": sarifMessage{"Not checked: " + g.Text}, "descriptor": map[string]any{"id": "not-checked/" + g.Reason.String()}})
	}
	for _, n := range res.NotChecked {
		note := map[string]any{
			"level":      "note",
			"message":    sarifMessage{n.Rule + " not checked on " + n.Subject + ": " + n.What + " (" + n.Reason.String() + ")"},
			"descriptor": map[string]any{"id": "not-checked/" + n.Reason.String()},
		}
		if idx, ok := index[n.Rule]; ok {
			note["associatedRule"] = map[string]any{"id": n.Rule, "index": idx}
		}
		if n.Pos.File != "" {
			var loc sarifLocation
			loc.PhysicalLocation.ArtifactLocation.URI = filepath.ToSlash(n.Pos.File)
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: max(n.Pos.Line, 1), StartColumn: n.Pos.Col}
			note["locations"] = []sarifLocation{loc}
		}
		out = append(out, note)
	}
	return out
}

// githubEscape escapes a workflow command's data and properties.
func githubEscape(s string, property bool) string {
	s = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
	if property {
		s = strings.NewReplacer(":", "%3A", ",", "%2C").Replace(s)
	}
	return s
}

func renderGitHub(w io.Writer, res *Result) error {
	for _, f := range res.Findings {
		level := map[Severity]string{SeverityError: "error", SeverityWarning: "warning"}[f.Severity]
		if level == "" {
			level = "notice"
		}
		var props []string
		if f.Pos.File != "" {
			props = append(props, "file="+githubEscape(CleanText(filepath.ToSlash(f.Pos.File)), true))
			if f.Pos.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Pos.Line))
			}
			if f.Pos.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", f.Pos.Col))
			}
		}
		props = append(props, "title="+githubEscape(f.Rule, true))
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", level, strings.Join(props, ","), githubEscape(CleanText(f.Subject+": "+f.Message)+" ("+f.URL+")", false)); err != nil {
			return err
		}
	}
	return nil
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

// renderJUnit writes one suite per file, one case per finding, and a passing
// case for a clean file, so CI dashboards show what was checked. A finding
// that reaches failOn is a failure; one below it is a skipped case that says
// so, since it does not fail the run either.
func renderJUnit(w io.Writer, res *Result, failOn Severity) error {
	byFile := map[string][]Finding{}
	for _, f := range res.Findings {
		byFile[f.Pos.File] = append(byFile[f.Pos.File], f)
	}
	files := append([]string{}, res.Files...)
	for f := range byFile {
		found := false
		for _, x := range files {
			if x == f {
				found = true
				break
			}
		}
		if !found {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	doc := struct {
		XMLName xml.Name     `xml:"testsuites"`
		Name    string       `xml:"name,attr"`
		Suites  []junitSuite `xml:"testsuite"`
	}{Name: "docker-heal"}
	for _, file := range files {
		name := file
		if name == "" {
			name = "containers"
		}
		s := junitSuite{Name: name}
		for _, f := range byFile[file] {
			where := name
			if f.Pos.Line > 0 {
				where = fmt.Sprintf("%s:%d:%d", name, f.Pos.Line, max(f.Pos.Col, 1))
			}
			c := junitCase{Name: f.Rule + " " + f.Subject, Classname: name}
			if failOn != SeverityNone && f.Severity >= failOn {
				c.Failure = &junitFailure{Message: f.Message, Type: f.Severity.String(), Text: where + ": " + f.Message + "\n" + f.URL}
				s.Failures++
			} else {
				c.Skipped = &junitSkipped{Message: f.Severity.String() + ", not failing the run (--fail-on " + failOn.String() + "): " + where + ": " + f.Message}
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		if len(s.Cases) == 0 {
			s.Cases = append(s.Cases, junitCase{Name: "docker-heal lint", Classname: name})
		}
		s.Tests = len(s.Cases)
		doc.Suites = append(doc.Suites, s)
	}
	return writeXML(w, doc)
}

// Failing reports whether any finding reaches the threshold.
func Failing(fs []Finding, threshold Severity) bool {
	if threshold == SeverityNone {
		return false
	}
	for _, f := range fs {
		if f.Severity >= threshold {
			return true
		}
	}
	return false
}

// ToolVersion is the version reports name: the one the build stamped
// (-X main.version=...), else the module version `go install` recorded in
// the binary's build info, else "dev".
func ToolVersion(stamped string) string {
	if stamped != "" && stamped != "dev" {
		return stamped
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// CleanText escapes what a terminal would act on (control characters: ESC
// sequences that set the title or clear the screen, BEL, carriage returns,
// and the C1 and bidi controls) in text that came from files, YAML values
// or containers, so that it prints as visible, harmless text. Tabs and line
// breaks are escaped too: one finding stays on one line.
func CleanText(s string) string { return safetext.Escape(s) }

// writeXML writes doc as an indented XML document with its header, as the
// junit and checkstyle formats both do.
func writeXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
