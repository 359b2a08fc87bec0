package lint

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

// Formats every findings renderer understands, for lint and audit alike.
var Formats = []string{"text", "json", "sarif", "github", "junit", "codeclimate", "checkstyle"}

// Summary counts a result.
type Summary struct {
	Files   int `json:"files"`
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Info    int `json:"info"`
}

// Summarise counts findings by severity.
func Summarise(fs []Finding, files int) Summary {
	s := Summary{Files: files}
	for _, f := range fs {
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
		return renderJUnit(w, res)
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
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	group := "\x00"
	for _, f := range res.Findings {
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
			fmt.Fprintln(tw, paint(ansiBold, name))
		}
		loc := ""
		if f.Pos.Line > 0 {
			loc = fmt.Sprintf("%d:%d", f.Pos.Line, max(f.Pos.Col, 1))
		}
		subject := f.Subject
		if f.Service != "" && f.Service != f.Subject {
			subject += " (service " + f.Service + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s: %s\n", loc, paint(sevColor(f.Severity), f.Severity.String()), paint(ansiDim, f.Rule), subject, f.Message)
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
	}
	_, err := fmt.Fprintf(w, "%s: %s, %s, %d info\n", count(s.Files, strings.TrimSuffix(label, "s")), count(s.Error, "error"), count(s.Warning, "warning"), s.Info)
	return err
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

func renderJSON(w io.Writer, res *Result) error {
	doc := struct {
		Findings []jsonFinding `json:"findings"`
		Summary  Summary       `json:"summary"`
	}{Findings: []jsonFinding{}, Summary: Summarise(res.Findings, len(res.Files))}
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
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name":           "docker-heal",
				"informationUri": "https://github.com/docker-heal/docker-heal",
				"version":        version,
				"rules":          srules,
			}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
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
			props = append(props, "file="+githubEscape(filepath.ToSlash(f.Pos.File), true))
			if f.Pos.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Pos.Line))
			}
			if f.Pos.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", f.Pos.Col))
			}
		}
		props = append(props, "title="+githubEscape(f.Rule, true))
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", level, strings.Join(props, ","), githubEscape(f.Subject+": "+f.Message+" ("+f.URL+")", false)); err != nil {
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

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

// renderJUnit writes one suite per file, one failing case per finding, and a
// passing case for a clean file, so CI dashboards show what was checked.
func renderJUnit(w io.Writer, res *Result) error {
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
			s.Cases = append(s.Cases, junitCase{
				Name: f.Rule + " " + f.Subject, Classname: name,
				Failure: &junitFailure{Message: f.Message, Type: f.Severity.String(), Text: where + ": " + f.Message + "\n" + f.URL},
			})
			s.Failures++
		}
		if len(s.Cases) == 0 {
			s.Cases = append(s.Cases, junitCase{Name: "docker-heal lint", Classname: name})
		}
		s.Tests = len(s.Cases)
		doc.Suites = append(doc.Suites, s)
	}
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
