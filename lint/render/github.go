package render

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/docker-heal/docker-heal/lint"
)

// githubEscape escapes a workflow command's data and properties.
func githubEscape(s string, property bool) string {
	s = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
	if property {
		s = strings.NewReplacer(":", "%3A", ",", "%2C").Replace(s)
	}
	return s
}

type githubRenderer struct{}

func (githubRenderer) Render(w io.Writer, res *lint.Result) error {
	for _, f := range res.Findings {
		level := map[lint.Severity]string{lint.SeverityError: "error", lint.SeverityWarning: "warning"}[f.Severity]
		if level == "" {
			level = "notice"
		}
		var props []string
		if f.Pos.File != "" {
			props = append(props, "file="+githubEscape(lint.CleanText(filepath.ToSlash(f.Pos.File)), true))
			if f.Pos.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Pos.Line))
			}
			if f.Pos.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", f.Pos.Col))
			}
		}
		props = append(props, "title="+githubEscape(f.Rule, true))
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", level, strings.Join(props, ","), githubEscape(lint.CleanText(f.Subject+": "+f.Message)+" ("+f.URL+")", false)); err != nil {
			return err
		}
	}
	return nil
}
