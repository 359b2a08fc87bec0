package lint

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// Some rules need to know how a value is written, not only what it is after
// interpolation: a password typed into the file is a fact, one that comes
// from ${VAR} depends on the deploy host. These read the YAML nodes of the
// files that define a service.

// serviceNodes returns the mapping nodes that define service name in the main
// files, in merge order (later files override earlier ones); when no main
// file defines it, the first included file that does.
func (ix *positionIndex) serviceNodes(mainFiles []string, name string) []fileNode {
	var out []fileNode
	find := func(f string) bool {
		sf := ix.files[f]
		if sf == nil {
			return false
		}
		_, svcs := mapping(sf.root, "services")
		if _, node := mapping(svcs, name); node != nil && node.Kind == yaml.MappingNode {
			out = append(out, fileNode{file: f, node: node})
			return true
		}
		return false
	}
	for _, f := range mainFiles {
		find(f)
	}
	if len(out) == 0 {
		for _, f := range ix.order {
			if find(f) {
				break
			}
		}
	}
	return out
}

type fileNode struct {
	file string
	node *yaml.Node
}

// mappingEntries returns a mapping's key/value pairs, with the pairs of
// merge keys (<<: *anchor) first so that the mapping's own keys win.
func mappingEntries(n *yaml.Node) [][2]*yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var merged, own [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag != "!!str" {
			if v.Kind == yaml.SequenceNode {
				for _, item := range v.Content {
					merged = append(merged, mappingEntries(item)...)
				}
			} else {
				merged = append(merged, mappingEntries(v)...)
			}
			continue
		}
		own = append(own, [2]*yaml.Node{k, v})
	}
	return append(merged, own...)
}

// rawEnvironment reads the environment: entries of a service as its files
// write them, and keeps those whose value is also what compose-go loaded
// (an env_file or a later file did not replace it).
func (ix *positionIndex) rawEnvironment(mainFiles []string, name string, loaded types.MappingWithEquals) []EnvVar {
	byName := map[string]EnvVar{}
	var order []string
	set := func(v EnvVar) {
		if _, ok := byName[v.Name]; !ok {
			order = append(order, v.Name)
		}
		byName[v.Name] = v
	}
	for _, fn := range ix.serviceNodes(mainFiles, name) {
		var env *yaml.Node
		for _, kv := range mappingEntries(fn.node) {
			if kv[0].Value == "environment" {
				env = kv[1]
			}
		}
		if env != nil && env.Kind == yaml.AliasNode {
			env = env.Alias
		}
		if env == nil {
			continue
		}
		switch env.Kind {
		case yaml.MappingNode:
			for _, kv := range mappingEntries(env) {
				k, v := kv[0], kv[1]
				if v.Kind == yaml.AliasNode {
					v = v.Alias
				}
				if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
					continue
				}
				set(EnvVar{Name: k.Value, Value: v.Value, Literal: !strings.Contains(v.Value, "$"),
					Pos: Position{File: fn.file, Line: v.Line, Col: v.Column}})
			}
		case yaml.SequenceNode:
			for _, item := range env.Content {
				if item.Kind == yaml.AliasNode {
					item = item.Alias
				}
				if item == nil || item.Kind != yaml.ScalarNode {
					continue
				}
				key, value, ok := strings.Cut(item.Value, "=")
				if !ok {
					continue
				}
				pos := Position{File: fn.file, Line: item.Line, Col: item.Column}
				if item.Style == 0 || item.Style == yaml.TaggedStyle {
					// A plain scalar: the value starts after "NAME=".
					pos.Col += len(key) + 1
				}
				set(EnvVar{Name: key, Value: value, Literal: !strings.Contains(value, "$"), Pos: pos})
			}
		}
	}
	var out []EnvVar
	for _, n := range order {
		v := byName[n]
		got, ok := loaded[n]
		if !ok || got == nil || *got != v.Value && v.Literal {
			// Not what the container gets: replaced by a later file,
			// an extends, or a value compose-go changed.
			continue
		}
		v.Value = *got
		out = append(out, v)
	}
	return out
}

var variableRe = regexp.MustCompile(`\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*`)

// portPositions finds where each published port is written: the short-syntax
// entry ("127.0.0.1:5432:5432") or the long-syntax mapping whose target is
// the port's; the ports: key when neither is found. It also says whether an
// entry's host IP is a variable that had no value here.
func (ix *positionIndex) portPositions(mainFiles []string, name string, svc *Service) {
	type entry struct {
		pos       Position
		target    string
		ipUnknown bool
	}
	var entries []entry
	for _, fn := range ix.serviceNodes(mainFiles, name) {
		var ports *yaml.Node
		for _, kv := range mappingEntries(fn.node) {
			if kv[0].Value == "ports" {
				ports = kv[1]
			}
		}
		if ports != nil && ports.Kind == yaml.AliasNode {
			ports = ports.Alias
		}
		if ports == nil || ports.Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range ports.Content {
			if item.Kind == yaml.AliasNode {
				item = item.Alias
			}
			if item == nil {
				continue
			}
			pos := Position{File: fn.file, Line: item.Line, Col: item.Column}
			switch item.Kind {
			case yaml.ScalarNode:
				// ${VAR:-x} holds colons of its own: mask variables first.
				masked := variableRe.ReplaceAllString(item.Value, "V")
				spec, _, _ := strings.Cut(masked, "/")
				parts := strings.Split(spec, ":")
				target := parts[len(parts)-1]
				ipUnknown := len(parts) >= 3 && strings.Contains(parts[0], "V") && strings.Contains(item.Value, "$")
				entries = append(entries, entry{pos: pos, target: target, ipUnknown: ipUnknown})
			case yaml.MappingNode:
				e := entry{pos: pos}
				for _, kv := range mappingEntries(item) {
					switch kv[0].Value {
					case "target":
						e.target = kv[1].Value
					case "host_ip":
						e.ipUnknown = strings.Contains(kv[1].Value, "$")
					}
				}
				entries = append(entries, e)
			}
		}
	}
	used := make([]bool, len(entries))
	for i := range svc.Ports {
		p := &svc.Ports[i]
		p.Pos = svc.At("ports")
		want := strconv.FormatUint(uint64(p.Target), 10)
		// Entries and ports are in the same order: each entry names one port
		// (a range names several, and is left at the ports: key).
		for j, e := range entries {
			if e.target == want && !used[j] {
				used[j] = true
				p.Pos = e.pos
				p.HostIPUnknown = e.ipUnknown && p.HostIP == ""
				break
			}
		}
	}
}
