package render

import (
	"encoding/xml"
	"io"
	"path/filepath"

	"github.com/docker-heal/docker-heal/lint"
)

// Checkstyle XML as Jenkins' warnings-ng (and most CI dashboards) read it:
// <checkstyle><file name><error line column severity message source/></file></checkstyle>.
type checkstyleError struct {
	Line     int    `xml:"line,attr"`
	Column   int    `xml:"column,attr,omitempty"`
	Severity string `xml:"severity,attr"`
	Message  string `xml:"message,attr"`
	Source   string `xml:"source,attr"`
}

type checkstyleFile struct {
	Name   string            `xml:"name,attr"`
	Errors []checkstyleError `xml:"error"`
}

// checkstyleSeverity uses checkstyle's own levels: error, warning, info.
func checkstyleSeverity(s lint.Severity) string {
	switch s {
	case lint.SeverityError:
		return "error"
	case lint.SeverityWarning:
		return "warning"
	}
	return "info"
}

// renderCheckstyle writes one <file> per file (or container) in the order the
// findings are sorted, one <error> per finding, and an empty <file> for each
// clean file so the report shows what was checked.
type checkstyleRenderer struct{}

func (checkstyleRenderer) Render(w io.Writer, res *lint.Result) error {
	doc := struct {
		XMLName xml.Name         `xml:"checkstyle"`
		Version string           `xml:"version,attr"`
		Files   []checkstyleFile `xml:"file"`
	}{Version: "4.3"}
	index := map[string]int{}
	file := func(name string) *checkstyleFile {
		i, ok := index[name]
		if !ok {
			i = len(doc.Files)
			index[name] = i
			doc.Files = append(doc.Files, checkstyleFile{Name: name})
		}
		return &doc.Files[i]
	}
	for _, f := range res.Findings {
		name := filepath.ToSlash(f.Pos.File)
		if name == "" {
			name = f.Subject
		}
		file(name).Errors = append(file(name).Errors, checkstyleError{
			Line:     max(f.Pos.Line, 1),
			Column:   f.Pos.Col,
			Severity: checkstyleSeverity(f.Severity),
			Message:  f.Subject + ": " + f.Message + " (" + f.URL + ")",
			Source:   "docker-heal." + f.Rule,
		})
	}
	for _, name := range res.Files {
		file(filepath.ToSlash(name))
	}
	return writeXML(w, doc)
}
