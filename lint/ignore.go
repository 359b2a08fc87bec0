package lint

import (
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v4"
)

// Ignores are the rules silenced inside one file by pragmas:
//
//	# docker-heal ignore=ID[,ID] [reason]         the next instruction or compose key
//	# docker-heal global ignore=ID[,ID] [reason]  the whole file
type Ignores struct {
	Global map[string]bool
	Ranges []IgnoreRange
}

// IgnoreRange silences Rules on lines From..To (inclusive).
type IgnoreRange struct {
	From, To int
	Rules    map[string]bool
}

// Silenced reports whether rule is ignored at line of this file.
func (ig *Ignores) Silenced(rule string, line int) bool {
	if ig == nil {
		return false
	}
	if ig.Global[rule] || ig.Global["all"] {
		return true
	}
	for _, r := range ig.Ranges {
		if line >= r.From && line <= r.To && (r.Rules[rule] || r.Rules["all"]) {
			return true
		}
	}
	return false
}

var pragmaRe = regexp.MustCompile(`^\s*#\s*docker-heal\s+(global\s+)?ignore=([A-Za-z0-9_,\-]+)`)

// Pragma is one ignore comment found at Line.
type Pragma struct {
	Line   int
	Global bool
	Rules  map[string]bool
}

// ScanPragmas finds the ignore comments of a file's text, 1-based lines.
func ScanPragmas(src []byte) []Pragma {
	if !strings.Contains(string(src), "docker-heal") {
		return nil
	}
	var out []Pragma
	for i, line := range strings.Split(string(src), "\n") {
		m := pragmaRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rules := map[string]bool{}
		for _, id := range strings.Split(m[2], ",") {
			if id = strings.TrimSpace(id); id != "" {
				rules[id] = true
			}
		}
		out = append(out, Pragma{Line: i + 1, Global: m[1] != "", Rules: rules})
	}
	return out
}

// BuildIgnores turns pragmas into ranges: a local pragma covers the first
// span (instruction or key) that starts after it. spans are [start,end] line
// pairs in file order.
func BuildIgnores(pragmas []Pragma, spans [][2]int) *Ignores {
	ig := &Ignores{Global: map[string]bool{}}
	for _, p := range pragmas {
		if p.Global {
			for id := range p.Rules {
				ig.Global[id] = true
			}
			continue
		}
		for _, s := range spans {
			if s[0] > p.Line {
				ig.Ranges = append(ig.Ranges, IgnoreRange{From: s[0], To: s[1], Rules: p.Rules})
				break
			}
		}
	}
	return ig
}

// Rules lists every rule id named by the pragmas, so unknown ids can be reported.
func (ig *Ignores) Rules() []string {
	if ig == nil {
		return nil
	}
	var ids []string
	for id := range ig.Global {
		ids = append(ids, id)
	}
	for _, r := range ig.Ranges {
		for id := range r.Rules {
			ids = append(ids, id)
		}
	}
	return ids
}

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
