// Package config is the one loader of .docker-heal.yaml: one schema (File),
// read once, giving lint its Config and heal its Policy, and the values
// commands merge under the flags the user set (Merge).
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/agext/levenshtein"
	"go.yaml.in/yaml/v4"

	"github.com/docker-heal/docker-heal/lint"
)

// FileName is what lint looks for from the project folder upwards.
const FileName = lint.ConfigFileName

// File is the whole .docker-heal.yaml. A `flag` tag names the command-line
// flag a key stands for: Merge sets that flag from the file when the user
// did not. The schema is this struct; Keys lists it.
//
//	fail-on: warning                 # lint and audit
//	format: json
//	rules: {init-missing: off, memory-limit-missing: error}
//	ignore: [{path: legacy/**, rules: [all]}, {service: migrate}]
//	heal: {all: true, max-restarts: 3, window: 1h, ...}   # once, status, reset
type File struct {
	FailOn string              `yaml:"fail-on" flag:"fail-on"`
	Format string              `yaml:"format" flag:"format"`
	Rules  map[string]string   `yaml:"rules"`
	Ignore []lint.ConfigIgnore `yaml:"ignore"`
	Heal   Heal                `yaml:"heal"`
	// ImageConfig is where lint reads pulled images' configs: engine, registry, off.
	ImageConfig string `yaml:"image-config"`

	// Path is where the file was read from ("" for no file).
	Path string `yaml:"-"`
	// lines maps a dotted key (heal.window, rules.init-missing) to its line.
	lines map[string]int
	// values are the scalars as written, by dotted key, for Merge.
	values map[string][]string
	// errs are the mistakes found while loading.
	errs Errors
}

// Load reads and checks a config file: unknown keys and values of the wrong
// shape are errors naming file:line. Every mistake is reported at once, in
// file order (an Errors).
func Load(path string) (*File, error) { return LoadFor(path, nil) }

// LoadFor is Load that also checks the rule ids the file names against
// knownRules (nil: not checked), so a misspelt id comes with the others.
func LoadFor(path string, knownRules map[string]bool) (*File, error) {
	src, err := lint.ReadSource(path)
	if err != nil {
		if strings.HasPrefix(err.Error(), path+" ") {
			return nil, fmt.Errorf("config %w", err) // "config PATH is a directory"
		}
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	f := &File{Path: path, lines: map[string]int{}, values: map[string][]string{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, syntaxError(path, err)
	}
	if len(doc.Content) == 0 {
		return f, nil // empty file
	}
	root := doc.Content[0]
	f.walk(root, reflect.TypeFor[File](), "")
	// Decode what it can: the values walk found of the wrong shape are
	// already reported; the others are still checked below.
	if err := root.Decode(f); err != nil && len(f.errs) == 0 {
		f.errs = append(f.errs, &Error{Path: path, Msg: err.Error()})
	}
	f.check()
	if knownRules != nil {
		f.checkRules(knownRules)
	}
	if err := f.errs.sorted(); err != nil {
		return nil, err
	}
	return f, nil
}

// Error is one mistake in a config file, at its line (0: unknown).
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config %s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("config %s: %s", e.Path, e.Msg)
}

// Errors are every mistake of a file, one a line, in file order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted returns the errors in line order (nil when there is none).
func (es Errors) sorted() error {
	if len(es) == 0 {
		return nil
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
	return es
}

// add records a mistake at a line.
func (f *File) add(line int, format string, args ...any) {
	f.errs = append(f.errs, &Error{Path: f.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// addAt records a mistake at a key's line, naming the key.
func (f *File) addAt(key, format string, args ...any) {
	f.add(f.lines[key], "%s: %s", key, fmt.Sprintf(format, args...))
}

// Empty is the config of a run without a file.
func Empty() *File { return &File{lines: map[string]int{}, values: map[string][]string{}} }

// at names the place of a key: file:line, or the file alone.
func (f *File) at(key string) string {
	if n := f.lines[key]; n > 0 {
		return fmt.Sprintf("%s:%d", f.Path, n)
	}
	return f.Path
}

// errorf is an error at a key's line, naming the key.
func (f *File) errorf(key, format string, args ...any) error {
	return &Error{Path: f.Path, Line: f.lines[key], Msg: key + ": " + fmt.Sprintf(format, args...)}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a single value"
}

// walk checks node against the schema type t, recording lines and scalar
// values, and every mistake (a node of the wrong shape is skipped).
func (f *File) walk(node *yaml.Node, t reflect.Type, key string) {
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if node.Kind == yaml.ScalarNode && node.Tag == "!!null" {
		return // "heal:" with nothing under it
	}
	name := key
	if name == "" {
		name = "the file"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			f.add(node.Line, "%s must be a mapping of keys, not %s", name, kindName(node))
			return
		}
		fields := schemaFields(t)
		known := slices.Sorted(mapKeys(fields))
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			child := join(key, k.Value)
			field, ok := fields[k.Value]
			if !ok {
				if guess := closest(k.Value, known); guess != "" {
					f.add(k.Line, "unknown key %q%s; did you mean %q?", k.Value, under(key), guess)
				} else {
					f.add(k.Line, "unknown key %q%s (known: %s)", k.Value, under(key), strings.Join(known, ", "))
				}
				continue
			}
			f.lines[child] = k.Line
			f.walk(v, field.Type, child)
		}
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			f.add(node.Line, "%s must be a mapping, not %s", name, kindName(node))
			return
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			child := join(key, k.Value)
			f.lines[child] = k.Line
			f.walk(v, t.Elem(), child)
		}
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			f.add(node.Line, "%s must be a list, not %s", name, kindName(node))
			return
		}
		for i, item := range node.Content {
			child := fmt.Sprintf("%s[%d]", key, i)
			f.lines[child] = item.Line
			f.walk(item, t.Elem(), child)
			if item.Kind == yaml.ScalarNode {
				f.values[key] = append(f.values[key], item.Value)
			}
		}
	default:
		if node.Kind != yaml.ScalarNode {
			f.add(node.Line, "%s must be a single value, not %s", name, kindName(node))
			return
		}
		switch {
		case t.Kind() == reflect.Int && node.ShortTag() != "!!int":
			f.add(node.Line, "%s: %q is not a whole number", name, node.Value)
			return
		case t.Kind() == reflect.Bool && node.ShortTag() != "!!bool":
			f.add(node.Line, "%s: %q is not true or false", name, node.Value)
			return
		}
		f.values[key] = []string{node.Value}
	}
}

// closest is the candidate a misspelt word most likely meant, or "" when
// none is close: at most 2 edits, and fewer than a third of the word.
func closest(word string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		d := levenshtein.Distance(word, c, nil)
		if best == "" || d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || bestDist == 0 || bestDist > 2 || bestDist*3 > len(word) {
		return ""
	}
	return best
}

func join(key, child string) string {
	if key == "" {
		return child
	}
	return key + "." + child
}

func under(key string) string {
	if key == "" {
		return ""
	}
	return " under " + key
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// schemaFields are a struct's keys by yaml name.
func schemaFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		field := t.Field(i)
		name, _, _ := strings.Cut(field.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !field.IsExported() {
			continue
		}
		out[name] = field
	}
	return out
}

// Keys lists every key the file accepts, dotted: "heal.window",
// "ignore[].path"; "rules.*" stands for any rule id. Sorted. A JSON schema
// of the file must accept exactly these.
func Keys() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			for name, field := range schemaFields(t) {
				key := join(prefix, name)
				out = append(out, key)
				walk(field.Type, key)
			}
		case reflect.Map:
			out = append(out, prefix+".*")
		case reflect.Slice:
			if t.Elem().Kind() == reflect.Struct {
				walk(t.Elem(), prefix+"[]")
			}
		}
	}
	walk(reflect.TypeFor[File](), "")
	sort.Strings(out)
	return out
}

// check validates the values the schema cannot: severities, durations,
// patterns. Rule ids are checked by checkRules, which needs the rules.
func (f *File) check() {
	if f.FailOn != "" {
		if _, err := lint.ParseSeverity(f.FailOn); err != nil {
			f.addAt("fail-on", "%v", err)
		}
	}
	for i, ig := range f.Ignore {
		key := fmt.Sprintf("ignore[%d]", i)
		if ig.Path == "" && ig.Service == "" {
			f.add(f.lines[key], "ignore entry %d needs a path or a service", i+1)
		}
		if ig.Path != "" && !lint.ValidGlob(ig.Path) {
			f.addAt(key+".path", "ignore entry %d: bad path pattern %q: check its brackets and braces", i+1, ig.Path)
		}
	}
	for _, id := range slices.Sorted(mapKeys(f.Rules)) {
		if _, _, err := lint.ParseRuleSetting(f.Rules[id]); err != nil {
			f.addAt("rules."+id, "%v (or off/on)", err)
		}
	}
	if _, err := f.Heal.policy(f, nil); err != nil {
		var es Errors
		if errors.As(err, &es) {
			f.errs = append(f.errs, es...)
		} else {
			f.errs = append(f.errs, &Error{Path: f.Path, Msg: err.Error()})
		}
	}
}

// checkRules checks the rule ids under rules: and ignore[].rules.
func (f *File) checkRules(known map[string]bool) {
	ids := slices.Sorted(mapKeys(known))
	unknown := func(id string) string {
		if guess := closest(id, ids); guess != "" {
			return fmt.Sprintf("unknown rule %q; did you mean %q?", id, guess)
		}
		return fmt.Sprintf("unknown rule %q (see docker heal rules)", id)
	}
	for _, id := range slices.Sorted(mapKeys(f.Rules)) {
		if !known[id] {
			f.addAt("rules."+id, "%s", unknown(id))
		}
	}
	for i, ig := range f.Ignore {
		for _, id := range ig.Rules {
			if id != "all" && !known[id] {
				f.add(f.lines[fmt.Sprintf("ignore[%d].rules", i)], "ignore entry %d: %s", i+1, unknown(id))
			}
		}
	}
}

// Lint is the lint side of the file; known rule ids check its rule names.
func (f *File) Lint(known map[string]bool) (*lint.Config, error) {
	if f == nil || f.Path == "" {
		return nil, nil
	}
	f.errs = nil
	if known != nil {
		f.checkRules(known)
	}
	if err := f.errs.sorted(); err != nil {
		return nil, err
	}
	cfg, err := lint.NewConfig(f.Path, f.FailOn, f.Format, f.Rules, f.Ignore)
	if cfg != nil {
		cfg.ImageConfig = f.ImageConfig
	}
	return cfg, err
}

// Nearest returns the nearest .docker-heal.yaml from dir upwards, or "":
// lint's discovery, a project's config living with the project. Anything
// by that name that exists is returned, a directory or an unreadable file
// too (or a dangling symlink), so that loading it says what is wrong
// instead of ignoring it.
func Nearest(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(abs, FileName)
		if _, err := os.Lstat(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return p // a dangling symlink too
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return ""
		}
		abs = parent
	}
}

// SystemConfig is root's host config.
const SystemConfig = "/etc/docker-heal/config.yaml"

// HostPath is the config of the host commands (once, status, reset, watch):
// explicit when given (it must exist), else /etc/docker-heal/config.yaml for
// root, else $XDG_CONFIG_HOME/docker-heal/config.yaml (~/.config when
// unset); "" when that file does not exist.
func HostPath(explicit string) (string, error) {
	return hostPath(explicit, os.Geteuid() == 0, SystemConfig)
}

func hostPath(explicit string, root bool, system string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("--config %s: %w", explicit, errors.Unwrap(err))
		}
		return explicit, nil
	}
	p := system
	if !root {
		dir := os.Getenv("XDG_CONFIG_HOME")
		if dir == "" || !filepath.IsAbs(dir) {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", nil
			}
			dir = filepath.Join(home, ".config")
		}
		p = filepath.Join(dir, "docker-heal", "config.yaml")
	}
	// A directory (or a file that cannot be looked at) by that name is
	// returned: loading it says what is wrong instead of ignoring it.
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return p, nil
}

// LoadHost loads the host config (see HostPath); no file is an Empty config.
func LoadHost(explicit string) (*File, error) {
	path, err := HostPath(explicit)
	if err != nil || path == "" {
		return Empty(), err
	}
	return Load(path)
}

// yamlLine finds the line yaml names in a syntax error ("yaml: line 7,
// column 3: ..." or "... at line 7: ...").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+)(?:, column \d+)?: | at line (\d+)`)

// syntaxError turns a YAML syntax error into an Error at its file:line, as
// the file's other mistakes are reported.
func syntaxError(path string, err error) error {
	msg := err.Error()
	loc := yamlLine.FindStringSubmatchIndex(msg)
	if loc == nil {
		return &Error{Path: path, Msg: msg}
	}
	m := yamlLine.FindStringSubmatch(msg)
	n, _ := strconv.Atoi(m[1] + m[2])
	rest := msg[:loc[0]] + msg[loc[1]:]
	if m[1] != "" {
		rest = "yaml: " + rest
	}
	return &Error{Path: path, Line: n, Msg: rest}
}
