package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"

	"github.com/docker-heal/docker-heal/lint"
)

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
			if failOn != lint.SeverityNone && f.Severity >= failOn {
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
