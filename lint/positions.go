package lint

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// compose-go returns the merged model without source positions, so each
// compose file is also parsed here into YAML nodes, and findings are mapped
// back to file:line:column through them.

// Walks are bounded so a hostile file (alias bombs, deep nesting) costs little.
const (
	maxWalkDepth = 200
	maxWalkNodes = 200000
)

type sourceFile struct {
	path    string
	src     []byte     // the text as read, for fixes
	root    *yaml.Node // the document's top mapping, or nil
	ignores *Ignores
}

type positionIndex struct {
	files map[string]*sourceFile
	order []string
	// opaque are include/extends targets not named .yaml/.yml, by path,
	// with the error to report at the line naming them should compose-go
	// reject them: its message could quote their text.
	opaque map[string]*ParseError
}

type serviceLocation struct {
	pos  Position
	keys map[string]Position
}

func newPositionIndex() *positionIndex {
	return &positionIndex{files: map[string]*sourceFile{}}
}

// addFile parses a compose file into nodes. YAML errors come back as a
// ParseError with the line the parser names.
func (ix *positionIndex) addFile(path string) error {
	if _, ok := ix.files[path]; ok {
		return nil
	}
	src, err := ReadSource(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		pe := &ParseError{Pos: Position{File: path}, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
		// The last "line N" is where the parser stopped.
		if ms := lineRe.FindAllStringSubmatch(err.Error(), -1); ms != nil {
			pe.Pos.Line, _ = strconv.Atoi(ms[len(ms)-1][1])
		}
		return pe
	}
	sf := &sourceFile{path: path, src: src}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		sf.root = doc.Content[0]
	}
	if len(strings.TrimSpace(string(src))) == 0 {
		return &ParseError{Pos: Position{File: path, Line: 1}, Msg: "empty compose file: it defines no services"}
	}
	if sf.root != nil && sf.root.Kind != yaml.MappingNode {
		return &ParseError{Pos: Position{File: path, Line: sf.root.Line, Col: sf.root.Column}, Msg: fmt.Sprintf("a compose file must be a mapping (services: ...), not a %s", kindName(sf.root.Kind))}
	}
	// compose-go's tree walks are slow on pathological nesting (a 5,000-deep
	// list takes it half a minute); no real compose file nests this deep.
	if d, line := nodeDepth(sf.root, 0); d > maxComposeDepth {
		return refused(path, line, "nested more than %d levels deep: not a compose file a person wrote", maxComposeDepth)
	}
	if err := checkInterpolation(path, src); err != nil {
		return err
	}
	var spans [][2]int
	budget := maxWalkNodes
	collectSpans(sf.root, &spans, 0, &budget)
	sf.ignores = BuildIgnores(ScanPragmas(src), spans)
	ix.files[path] = sf
	ix.order = append(ix.order, path)
	return nil
}

// maxComposeDepth bounds nesting; real files stay under 15.
const maxComposeDepth = 64

// nodeDepth returns how deep a node tree nests (without following aliases,
// stopping just past the limit) and the line where the limit is crossed.
func nodeDepth(n *yaml.Node, depth int) (int, int) {
	if n == nil {
		return depth, 0
	}
	if depth > maxComposeDepth {
		return depth, n.Line
	}
	deepest, line := depth, 0
	for _, c := range n.Content {
		if d, l := nodeDepth(c, depth+1); d > deepest {
			deepest, line = d, l
			if d > maxComposeDepth {
				break
			}
		}
	}
	return deepest, line
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// collectSpans records [key line, last line of its value] for every mapping
// key, in file order: the targets of `# docker-heal ignore=` pragmas.
func collectSpans(n *yaml.Node, spans *[][2]int, depth int, budget *int) int {
	if n == nil {
		return 0
	}
	*budget--
	end := n.Line
	if depth > maxWalkDepth || *budget < 0 || n.Kind == yaml.AliasNode {
		return end
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			at := len(*spans)
			*spans = append(*spans, [2]int{k.Line, k.Line})
			e := max(collectSpans(v, spans, depth+1, budget), k.Line)
			(*spans)[at][1] = e
			end = max(end, e)
		}
		return end
	}
	for _, c := range n.Content {
		if n.Kind == yaml.SequenceNode {
			// A list item is a target too: `- /var/run/docker.sock:/var/run/docker.sock`.
			at := len(*spans)
			*spans = append(*spans, [2]int{c.Line, c.Line})
			e := max(collectSpans(c, spans, depth+1, budget), c.Line)
			(*spans)[at][1] = e
			end = max(end, e)
			continue
		}
		end = max(end, collectSpans(c, spans, depth+1, budget))
	}
	return end
}

// mapping returns the value node of key in a mapping node.
func mapping(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// addReferenced parses the files that include: and extends: name, so their
// services and pragmas are known too. Errors here are compose-go's to report.
func (ix *positionIndex) addReferenced(mainFiles []string) {
	queue := append([]string{}, mainFiles...)
	for seen := 0; len(queue) > 0 && seen < 256; seen++ {
		f := queue[0]
		queue = queue[1:]
		sf := ix.files[f]
		if sf == nil {
			if ix.addFile(f) != nil {
				continue
			}
			sf = ix.files[f]
		}
		dir := filepath.Dir(f)
		for _, ref := range referencedFiles(sf.root) {
			if !filepath.IsAbs(ref) {
				ref = filepath.Join(dir, ref)
			}
			if _, ok := ix.files[ref]; !ok {
				queue = append(queue, ref)
			}
		}
	}
}

func referencedFiles(root *yaml.Node) []string {
	var out []string
	if _, inc := mapping(root, "include"); inc != nil && inc.Kind == yaml.SequenceNode {
		for _, item := range inc.Content {
			switch item.Kind {
			case yaml.ScalarNode:
				out = append(out, item.Value)
			case yaml.MappingNode:
				if _, p := mapping(item, "path"); p != nil {
					if p.Kind == yaml.ScalarNode {
						out = append(out, p.Value)
					}
					for _, c := range p.Content {
						if c.Kind == yaml.ScalarNode {
							out = append(out, c.Value)
						}
					}
				}
			}
		}
	}
	if _, svcs := mapping(root, "services"); svcs != nil && svcs.Kind == yaml.MappingNode {
		for i := 1; i < len(svcs.Content); i += 2 {
			if _, ext := mapping(svcs.Content[i], "extends"); ext != nil {
				if _, file := mapping(ext, "file"); file != nil && file.Kind == yaml.ScalarNode && !strings.Contains(file.Value, "$") {
					out = append(out, file.Value)
				}
			}
		}
	}
	return out
}

// locate finds where service name is written: its key in the first main file
// defining it (or an included file), and every key path set for it, later
// files (overrides) winning, extended services underneath.
func (ix *positionIndex) locate(mainFiles []string, name string) serviceLocation {
	loc := serviceLocation{keys: map[string]Position{}}
	found := false
	for _, f := range mainFiles {
		if ix.addService(&loc, f, name, 0) {
			found = true
		}
	}
	if !found {
		for _, f := range ix.order {
			if ix.addService(&loc, f, name, 0) {
				break
			}
		}
	}
	if loc.pos.File == "" && len(mainFiles) > 0 {
		loc.pos = Position{File: mainFiles[0]}
	}
	return loc
}

func (ix *positionIndex) addService(loc *serviceLocation, file, name string, depth int) bool {
	sf := ix.files[file]
	if sf == nil || depth > 8 {
		return false
	}
	_, svcs := mapping(sf.root, "services")
	key, node := mapping(svcs, name)
	if key == nil {
		return false
	}
	// What the service extends lies underneath what it sets itself.
	if _, ext := mapping(node, "extends"); ext != nil {
		base, extFile := "", file
		if ext.Kind == yaml.ScalarNode {
			base = ext.Value
		} else {
			if _, s := mapping(ext, "service"); s != nil {
				base = s.Value
			}
			if _, f := mapping(ext, "file"); f != nil && f.Kind == yaml.ScalarNode {
				extFile = f.Value
				if !filepath.IsAbs(extFile) {
					extFile = filepath.Join(filepath.Dir(file), extFile)
				}
			}
		}
		if base != "" && (base != name || extFile != file) {
			ix.addService(loc, extFile, base, depth+1)
		}
	}
	if depth == 0 && (loc.pos.File == "" || loc.pos.Line == 0) {
		loc.pos = Position{File: file, Line: key.Line, Col: key.Column}
	}
	budget := maxWalkNodes
	walkKeys(file, "", node, loc.keys, 0, &budget)
	return true
}

// walkKeys records the position of every key path under a service:
// "deploy.resources.limits.memory", and list items as "depends_on.db".
func walkKeys(file, prefix string, n *yaml.Node, keys map[string]Position, depth int, budget *int) {
	*budget--
	if n == nil || depth > maxWalkDepth || *budget < 0 {
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		walkKeys(file, prefix, n.Alias, keys, depth+1, budget)
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // merge key: the anchor's keys count as set here
				walkKeys(file, prefix, v, keys, depth+1, budget)
				continue
			}
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			keys[path] = Position{File: file, Line: k.Line, Col: k.Column}
			walkKeys(file, path, v, keys, depth+1, budget)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if item.Kind == yaml.ScalarNode && prefix != "" {
				// "depends_on.db"; "volumes./var/run/docker.sock:/var/run/docker.sock"
				keys[prefix+"."+item.Value] = Position{File: file, Line: item.Line, Col: item.Column}
			} else if item.Kind == yaml.AliasNode && item.Alias != nil && item.Alias.Kind == yaml.SequenceNode {
				walkKeys(file, prefix, item.Alias, keys, depth+1, budget)
			}
		}
	}
}

// ComposeLocator finds where a compose service is written, so findings on a
// container created by compose point at its service's line. Each set of
// files is parsed once; files that are not on this host are left alone.
type ComposeLocator struct {
	indexes map[string]*positionIndex
}

// Locate returns the position of service in the first of files defining it.
func (l *ComposeLocator) Locate(files []string, service string) (Position, bool) {
	if len(files) == 0 || service == "" {
		return Position{}, false
	}
	key := strings.Join(files, "\x00")
	if l.indexes == nil {
		l.indexes = map[string]*positionIndex{}
	}
	ix, ok := l.indexes[key]
	if !ok {
		ix = newPositionIndex()
		for _, f := range files {
			_ = ix.addFile(f) // a file gone or changed since `up`: no line, not an error
		}
		ix.addReferenced(files)
		l.indexes[key] = ix
	}
	loc := ix.locate(files, service)
	return loc.pos, loc.pos.Line > 0
}

// plainVarRe finds ${NAME} and $NAME references with no default or error
// modifier; $$ is an escaped dollar.
var plainVarRe = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// UnsetVariable is a variable a compose file interpolates with no value and
// no default: docker compose substitutes an empty string for it.
type UnsetVariable struct {
	Name string
	Pos  Position
	// Service is the compose service it is written in, if any, and
	// ServiceIgnores that service's x-docker-heal ignore list.
	Service        string
	ServiceIgnores []string
}

// Message is the unset-variable finding's text.
func (u UnsetVariable) Message() string {
	return fmt.Sprintf("${%s} is not set and has no default: docker compose substitutes an empty string; set it (environment or .env) or write ${%s:-default}", u.Name, u.Name)
}

// unsetVariables lists, at their lines, the variables each file
// interpolates with no default that env does not set, once per file.
// compose-go only logs the name, not where.
func (ix *positionIndex) unsetVariables(env map[string]string) []UnsetVariable {
	var out []UnsetVariable
	for _, f := range ix.order {
		sf := ix.files[f]
		seen := map[string]bool{}
		budget := maxWalkNodes
		var walk func(n *yaml.Node, depth int, service string, ignores []string)
		walk = func(n *yaml.Node, depth int, service string, ignores []string) {
			budget--
			if n == nil || depth > maxWalkDepth || budget < 0 || n.Kind == yaml.AliasNode {
				return
			}
			if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") {
				for _, m := range plainVarRe.FindAllStringSubmatch(n.Value, -1) {
					name := m[1] + m[2]
					if name == "" || seen[name] {
						continue
					}
					if _, ok := env[name]; !ok {
						seen[name] = true
						out = append(out, UnsetVariable{Name: name, Pos: Position{File: f, Line: n.Line, Col: n.Column}, Service: service, ServiceIgnores: ignores})
					}
				}
			}
			if n.Kind == yaml.MappingNode {
				// Keys are not interpolated; values are.
				for i := 0; i+1 < len(n.Content); i += 2 {
					walk(n.Content[i+1], depth+1, service, ignores)
				}
				return
			}
			for _, c := range n.Content {
				walk(c, depth+1, service, ignores)
			}
		}
		root := sf.root
		if root == nil || root.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			if (k.Value == "services" || k.Value == "jobs") && v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					walk(v.Content[j+1], 2, v.Content[j].Value, extensionIgnoresNode(v.Content[j+1]))
				}
				continue
			}
			walk(v, 1, "", nil)
		}
	}
	return out
}
