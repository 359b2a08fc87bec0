package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"

	"github.com/docker-heal/docker-heal/lint"
)

// The attributes are those of the JUnit XML that Jenkins' junit plugin
// (the surefire schema: tests, failures, errors, skipped, time on every
// suite) and GitLab's unit test reports (testcase name, classname, file,
// time; <failure>, <error> and <skipped> children) read. Times are 0: a
// lint has no per-case duration, and a fixed value keeps reports stable.
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
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

const junitTime = "0"

// junitRenderer writes one suite per file, one case per finding, and a
// passing case for a clean file, so CI dashboards show what was checked. A
// finding that reaches failOn is a failure (an error when the file could not
// be parsed, so it was not checked); one below it is a skipped case that says
// so, since it does not fail the run either.
type junitRenderer struct{ opts Options }

func (r junitRenderer) Render(w io.Writer, res *lint.Result) error {
	failOn := r.opts.FailOn
	byFile := map[string][]lint.Finding{}
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
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}{Name: "docker-heal", Time: junitTime}
	for _, file := range files {
		name := file
		if name == "" {
			name = "containers"
		}
		s := junitSuite{Name: name, Time: junitTime}
		for _, f := range byFile[file] {
			where := name
			if f.Pos.Line > 0 {
				where = fmt.Sprintf("%s:%d:%d", name, f.Pos.Line, max(f.Pos.Col, 1))
			}
			c := junitCase{Name: f.Rule + " " + f.Subject, Classname: name, File: file, Time: junitTime}
			switch {
			case failOn != lint.SeverityNone && f.Severity >= failOn && f.Rule == lint.InvalidFileRule:
				c.Error = &junitFailure{Message: f.Message, Type: f.Rule, Text: where + ": " + f.Message + "\n" + f.URL}
				s.Errors++
			case failOn != lint.SeverityNone && f.Severity >= failOn:
				c.Failure = &junitFailure{Message: f.Message, Type: f.Severity.String(), Text: where + ": " + f.Message + "\n" + f.URL}
				s.Failures++
			default:
				c.Skipped = &junitSkipped{Message: f.Severity.String() + ", not failing the run (--fail-on " + failOn.String() + "): " + where + ": " + f.Message}
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		if len(s.Cases) == 0 {
			s.Cases = append(s.Cases, junitCase{Name: "docker-heal lint", Classname: name, File: file, Time: junitTime})
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	return writeXML(w, doc)
}
