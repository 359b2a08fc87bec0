package lint

import (
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v4"
)

// rawIgnores reads the pragmas of a file no loader could load, so an
// invalid-file finding in it can be silenced like any other: a YAML file
// that parses gets its keys as spans, any other text its lines (a pragma
// then covers the next line that is not a comment).
func rawIgnores(path string, src []byte) *Ignores {
	pragmas := ScanPragmas(src)
	if pragmas == nil {
		return nil
	}
	var spans [][2]int
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
		var doc yaml.Node
		if yaml.Unmarshal(src, &doc) == nil && len(doc.Content) > 0 {
			if d, _ := nodeDepth(doc.Content[0], 0); d <= maxComposeDepth {
				budget := maxWalkNodes
				collectSpans(doc.Content[0], &spans, 0, &budget)
			}
		}
	}
	if spans == nil {
		for i, line := range strings.Split(string(src), "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				spans = append(spans, [2]int{i + 1, i + 1})
			}
		}
	}
	return BuildIgnores(pragmas, spans)
}
