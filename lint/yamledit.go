package lint

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"

	"github.com/docker-heal/docker-heal/lint/source"
)

// Fixes to compose files are text edits computed from the positions of the
// YAML nodes the loader parsed (Line and Column, in characters) and the raw
// text: the file is never re-marshalled.

// ComposeEdit collects the edits of one fix to a compose service. Any step
// that cannot be done exactly (a flow mapping, a value reached through an
// anchor other services share, a scalar whose text is not where its node
// says) spoils the whole fix: Fix then returns nil.
type ComposeEdit struct {
	svc    *Service
	edits  []Edit
	failed bool
}

// Edit starts a fix of a compose service; for a running container (no
// compose file), every step fails.
func (s *Service) Edit() *ComposeEdit {
	return &ComposeEdit{svc: s, failed: s.Kind != KindCompose || s.sources == nil}
}

// Fix returns the fix made of the edits, or nil when a step failed.
func (e *ComposeEdit) Fix(description string, unsafe bool) *Fix {
	if e.failed || len(e.edits) == 0 {
		return nil
	}
	return &Fix{Unsafe: unsafe, Description: description, Edits: e.edits}
}

// Has reports whether the service sets the key path in any of its files.
func (e *ComposeEdit) Has(path string) bool {
	_, ok := e.svc.Keys[path]
	return ok
}

// AddKeys inserts lines as the first entries of the service's own mapping,
// in the file that defines the service. Each line is relative to the
// service's keys; a leading tab is one indent unit of the file ("logging:",
// "\tdriver: json-file").
func (e *ComposeEdit) AddKeys(lines ...string) {
	if e.failed {
		return
	}
	sf, key, val := e.serviceNode()
	if sf == nil {
		e.failed = true
		return
	}
	e.insertInto(sf, key, val, lines)
}

// AddKeysAt inserts lines as the first entries of the mapping at path (a
// key the service sets), in the file that sets it.
func (e *ComposeEdit) AddKeysAt(path string, lines ...string) {
	if e.failed {
		return
	}
	sf, key, val := e.keyNode(path)
	if sf == nil {
		e.failed = true
		return
	}
	e.insertInto(sf, key, val, lines)
}

// SetScalar replaces the value of the scalar at path with text, keeping its
// quoting: text is written inside the same quotes, or bare when it was.
func (e *ComposeEdit) SetScalar(path, text string) {
	if e.failed {
		return
	}
	sf, _, val := e.keyNode(path)
	// A value written as a variable (${X:-5s}) is the operator's to set in
	// .env: writing a literal over it would drop that setting.
	if sf == nil || val.Kind != yaml.ScalarNode || strings.Contains(val.Value, "$") {
		e.failed = true
		return
	}
	start, end, ok := sf.scalarSpan(val)
	if !ok {
		e.failed = true
		return
	}
	switch val.Style {
	case yaml.DoubleQuotedStyle:
		if strings.ContainsAny(text, "\"\\") {
			e.failed = true
			return
		}
		text = `"` + text + `"`
	case yaml.SingleQuotedStyle:
		text = "'" + strings.ReplaceAll(text, "'", "''") + "'"
	}
	e.edits = append(e.edits, Edit{File: sf.path, Start: start, End: end, Text: text})
}

// Scalar returns the node written at path, when it is one scalar on one line
// of its file with its text where the node says, and the byte offsets of its
// value (inside any quotes) in that file.
func (e *ComposeEdit) Scalar(path string) (n *yaml.Node, start int, ok bool) {
	if e.failed {
		return nil, 0, false
	}
	sf, _, val := e.keyNode(path)
	if sf == nil {
		return nil, 0, false
	}
	return sf.scalarIn(val)
}

// Node returns the value node written at path, unless it is shared through
// an anchor; file is the file that holds it.
func (e *ComposeEdit) Node(path string) (n *yaml.Node, file string) {
	if e.failed {
		return nil, ""
	}
	sf, _, val := e.keyNode(path)
	if sf == nil {
		return nil, ""
	}
	return val, sf.path
}

// ScalarAt is Scalar for a node found with Node (a list item).
func (e *ComposeEdit) ScalarAt(file string, n *yaml.Node) (start int, ok bool) {
	sf := e.svc.sources[file]
	if sf == nil {
		return 0, false
	}
	_, start, ok = sf.scalarIn(n)
	return start, ok
}

// LineStart returns the byte offset where node n's line begins, and the
// text from there to the node (a block list item's "  - ").
func (e *ComposeEdit) LineStart(file string, n *yaml.Node) (int, string, bool) {
	sf := e.svc.sources[file]
	if sf == nil {
		return 0, "", false
	}
	ls, ok := sf.lineStart(n.Line)
	if !ok {
		return 0, "", false
	}
	at, ok := sf.offset(n.Line, n.Column)
	if !ok {
		return 0, "", false
	}
	return ls, string(sf.src[ls:at]), true
}

// EOL is the file's line ending: "\r\n" when it uses them.
func (e *ComposeEdit) EOL(file string) string {
	if sf := e.svc.sources[file]; sf != nil {
		return sf.eol()
	}
	return "\n"
}

// Insert adds an edit inserting text at offset of file.
func (e *ComposeEdit) Insert(file string, offset int, text string) {
	e.edits = append(e.edits, Edit{File: file, Start: offset, End: offset, Text: text})
}

// NodeAt returns the list item written at pos (a ports: entry), unless it
// is shared through an anchor, and its file.
func (e *ComposeEdit) NodeAt(pos Position) (*yaml.Node, string) {
	if e.failed {
		return nil, ""
	}
	sf := e.svc.sources[pos.File]
	if sf == nil || pos.Line == 0 {
		return nil, ""
	}
	return findItem(sf.root, pos.Line, pos.Col, 0), sf.path
}

// findItem walks to the list item written at line:col, never through an
// alias, an anchored node or a merge key.
func findItem(n *yaml.Node, line, col, depth int) *yaml.Node {
	if n == nil || depth > maxWalkDepth || n.Kind == yaml.AliasNode || (depth > 0 && n.Anchor != "") {
		return nil
	}
	for i, c := range n.Content {
		if n.Kind == yaml.SequenceNode && c.Line == line && c.Column == col {
			if c.Anchor != "" || c.Kind == yaml.AliasNode {
				return nil
			}
			return c
		}
		if n.Kind == yaml.MappingNode && i%2 == 1 && n.Content[i-1].Value == "<<" {
			continue
		}
		if f := findItem(c, line, col, depth+1); f != nil {
			return f
		}
	}
	return nil
}

// Offset returns the byte offset of a node of file.
func (e *ComposeEdit) Offset(file string, n *yaml.Node) (int, bool) {
	sf := e.svc.sources[file]
	if sf == nil {
		return 0, false
	}
	return sf.offset(n.Line, n.Column)
}

// AliasAnchor looks in the file that defines the service for a top-level
// extension (x-...) whose anchor holds what want accepts, defined before
// the service so an alias can name it: the anchor's name and value.
func (e *ComposeEdit) AliasAnchor(want func(*yaml.Node) bool) (string, *yaml.Node) {
	sf, key, _ := e.serviceNode()
	if sf == nil || sf.root == nil {
		return "", nil
	}
	for i := 0; i+1 < len(sf.root.Content); i += 2 {
		k, v := sf.root.Content[i], sf.root.Content[i+1]
		if !strings.HasPrefix(k.Value, "x-") || k.Line >= key.Line {
			continue
		}
		if v.Anchor != "" && want(v) {
			return v.Anchor, v
		}
		// x-defaults: {logging: &logging {...}}: an anchor one level down.
		if v.Kind == yaml.MappingNode {
			for j := 1; j < len(v.Content); j += 2 {
				if c := v.Content[j]; c.Anchor != "" && want(c) {
					return c.Anchor, c
				}
			}
		}
	}
	return "", nil
}

// serviceNode finds the service's key and mapping in the file defining it.
// A service whose mapping carries an anchor is shared with services that
// merge it: it is not edited.
func (e *ComposeEdit) serviceNode() (*sourceFile, *yaml.Node, *yaml.Node) {
	pos := e.svc.Pos
	sf := e.svc.sources[pos.File]
	if sf == nil || pos.Line == 0 {
		return nil, nil, nil
	}
	_, svcs := mapping(sf.root, "services")
	if svcs == nil || svcs.Kind != yaml.MappingNode {
		return nil, nil, nil
	}
	for i := 0; i+1 < len(svcs.Content); i += 2 {
		k, v := svcs.Content[i], svcs.Content[i+1]
		if k.Line == pos.Line && k.Column == pos.Col {
			if v.Kind != yaml.MappingNode || v.Anchor != "" {
				return nil, nil, nil
			}
			return sf, k, v
		}
	}
	return nil, nil, nil
}

// keyNode finds the key written at the position Keys records for path, and
// its value, unless an anchored node (shared) lies on the way from the
// file's root to it.
func (e *ComposeEdit) keyNode(path string) (*sourceFile, *yaml.Node, *yaml.Node) {
	pos, ok := e.svc.Keys[path]
	if !ok {
		return nil, nil, nil
	}
	sf := e.svc.sources[pos.File]
	if sf == nil {
		return nil, nil, nil
	}
	k, v := findKey(sf.root, pos.Line, pos.Col, 0)
	if k == nil {
		return nil, nil, nil
	}
	return sf, k, v
}

// findKey walks mappings and lists (never aliases, never into an anchored
// node) to the key written at line:col.
func findKey(n *yaml.Node, line, col, depth int) (*yaml.Node, *yaml.Node) {
	if n == nil || depth > maxWalkDepth || n.Kind == yaml.AliasNode || (depth > 0 && n.Anchor != "") {
		return nil, nil
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Line == line && k.Column == col {
				if v.Anchor != "" || v.Kind == yaml.AliasNode {
					return nil, nil
				}
				return k, v
			}
			if k.Value == "<<" {
				continue // merged from an anchor: shared
			}
			if fk, fv := findKey(v, line, col, depth+1); fk != nil {
				return fk, fv
			}
		}
		return nil, nil
	}
	for _, c := range n.Content {
		if fk, fv := findKey(c, line, col, depth+1); fk != nil {
			return fk, fv
		}
	}
	return nil, nil
}

// insertInto puts lines at the top of the block mapping val (the value of
// key): on the line after the key's, indented as val's first key.
func (e *ComposeEdit) insertInto(sf *sourceFile, key, val *yaml.Node, lines []string) {
	if val.Kind != yaml.MappingNode || val.Style&yaml.FlowStyle != 0 || len(val.Content) == 0 || val.Content[0].Line <= key.Line {
		e.failed = true
		return
	}
	first := val.Content[0]
	indent := first.Column - 1
	unit := first.Column - key.Column
	// The line of the first key must start with exactly that indentation.
	ls, ok := sf.lineStart(first.Line)
	if !ok || !bytes.Equal(sf.src[ls:ls+indent], bytes.Repeat([]byte(" "), indent)) || unit <= 0 {
		e.failed = true
		return
	}
	at, ok := sf.lineStart(key.Line + 1)
	if !ok {
		e.failed = true
		return
	}
	eol := sf.eol()
	var b strings.Builder
	for _, l := range lines {
		depth := len(l) - len(strings.TrimLeft(l, "\t"))
		b.WriteString(strings.Repeat(" ", indent+depth*unit))
		b.WriteString(l[depth:])
		b.WriteString(eol)
	}
	e.edits = append(e.edits, Edit{File: sf.path, Start: at, End: at, Text: b.String()})
}

func (sf *sourceFile) eol() string {
	if bytes.Contains(sf.src, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}

// lineStart returns the byte offset of 1-based line.
func (sf *sourceFile) lineStart(line int) (int, bool) { return source.LineStart(sf.src, line) }

// offset turns a node's line and column (in characters) into a byte offset.
func (sf *sourceFile) offset(line, col int) (int, bool) {
	at, ok := sf.lineStart(line)
	if !ok || col < 1 {
		return 0, false
	}
	for c := 1; c < col; c++ {
		if at >= len(sf.src) || sf.src[at] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRune(sf.src[at:])
		at += size
	}
	return at, true
}

// scalarIn returns a one-line scalar's value start (inside quotes) when
// the raw text there is exactly its value: no escapes, no folding.
func (sf *sourceFile) scalarIn(n *yaml.Node) (*yaml.Node, int, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" && n.Value == "" {
		return nil, 0, false
	}
	start, end, ok := sf.scalarSpan(n)
	if !ok {
		return nil, 0, false
	}
	if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
		start++
		end--
	}
	if end-start != len(n.Value) {
		return nil, 0, false
	}
	return n, start, true
}

// scalarSpan returns the bytes a one-line scalar's text takes, quotes
// included, when the text is its value as written.
func (sf *sourceFile) scalarSpan(n *yaml.Node) (int, int, bool) {
	at, ok := sf.offset(n.Line, n.Column)
	if !ok {
		return 0, 0, false
	}
	v := n.Value
	if strings.ContainsAny(v, "\r\n") {
		return 0, 0, false
	}
	rest := sf.src[at:]
	switch n.Style {
	case 0, yaml.TaggedStyle:
		if !bytes.HasPrefix(rest, []byte(v)) {
			return 0, 0, false
		}
		return at, at + len(v), true
	case yaml.DoubleQuotedStyle:
		if strings.ContainsAny(v, "\"\\") || !bytes.HasPrefix(rest, []byte(`"`+v+`"`)) {
			return 0, 0, false
		}
		return at, at + len(v) + 2, true
	case yaml.SingleQuotedStyle:
		if strings.Contains(v, "'") || !bytes.HasPrefix(rest, []byte("'"+v+"'")) {
			return 0, 0, false
		}
		return at, at + len(v) + 2, true
	}
	return 0, 0, false
}
