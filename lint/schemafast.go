package lint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "unsafe" // go:linkname, below

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compose-go validates every file against the compose-spec JSON schema, and
// compiling that schema (90 kB, checked against its meta-schema first) costs
// a process most of its run: about 40 ms of a 50 ms lint of one file. Most
// files are valid, and for them a direct reading of the same schema (the
// small set of keywords it uses) answers in a fraction of a millisecond.
//
// So compose-go is handed, in place of its compiled schema, a one-keyword
// schema whose format check is that reading, given the very document
// compose-go would validate. When the reading is sure the document is valid,
// the load goes on; when it is not sure (or the document is invalid), it
// remembers that and the project is loaded again with compose-go's own
// compiled schema, so every error and every result is compose-go's.

//go:linkname composeCompiledSchema github.com/compose-spec/compose-go/v2/schema.compiledSchema
var composeCompiledSchema *jsonschema.Schema

//go:linkname composeCompiledSchemaOnce github.com/compose-spec/compose-go/v2/schema.compiledSchemaOnce
var composeCompiledSchemaOnce sync.Once

var (
	// schemaMu: quick loads share it (read), a load with compose-go's own
	// schema holds it alone (write), as the schema is one package variable.
	schemaMu sync.RWMutex
	// realLoads counts the loads that needed compose-go's own schema.
	realLoads atomic.Int64
	// schemaDoubts counts the documents the quick reading was not sure of.
	schemaDoubts atomic.Int64

	quickOnce   sync.Once
	quickSchema *jsonschema.Schema // the one-keyword schema handed to compose-go
	quickRegexp sync.Map           // pattern -> *regexp.Regexp

	realOnce   sync.Once
	realSchema *jsonschema.Schema
)

// loadQuick loads a project with the quick schema reading. sure is false
// when the reading was not sure of a document (this load's, or a concurrent
// one's: a needless second load, never a missed doubt); when sure, the result
// and the error are what compose-go's compiled schema would have given.
func loadQuick(ctx context.Context, po *cli.ProjectOptions) (p *types.Project, err error, sure bool) {
	quickOnce.Do(buildQuickSchema)
	if quickSchema == nil {
		return nil, nil, false
	}
	if withQuickSchema(func() { p, err = loadWithRecover(ctx, po) }) != nil {
		return nil, nil, false
	}
	return p, err, true
}

// withQuickSchema runs f with the quick schema reading, shared with other
// quick loads; errDoubt when the reading was not sure of a document meanwhile.
func withQuickSchema(f func()) error {
	if quickSchema == nil {
		return errDoubt
	}
	schemaMu.RLock()
	defer schemaMu.RUnlock()
	before := schemaDoubts.Load()
	f()
	if schemaDoubts.Load() != before {
		return errDoubt
	}
	return nil
}

var errDoubt = errors.New("the quick schema reading was not sure")

// withRealSchema runs f alone, with compose-go's compiled schema installed.
func withRealSchema(f func()) {
	schemaMu.Lock()
	defer schemaMu.Unlock()
	realLoads.Add(1)
	realOnce.Do(compileRealSchema)
	if realSchema != nil {
		composeCompiledSchemaOnce.Do(func() {})
		composeCompiledSchema = realSchema
		defer func() {
			if quickSchema != nil {
				composeCompiledSchema = quickSchema
			}
		}()
	}
	f()
}

// buildQuickSchema parses compose-spec.json and installs the quick schema.
func buildQuickSchema() {
	var defs map[string]any
	if err := json.Unmarshal([]byte(schema.Schema), &defs); err != nil {
		return
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "docker-heal-compose", Validate: func(v any) error {
		if sureValid(defs, defs, v) != valid {
			schemaDoubts.Add(1)
		}
		return nil
	}})
	if err := c.AddResource("quick.json", map[string]any{"format": "docker-heal-compose"}); err != nil {
		return
	}
	s, err := c.Compile("quick.json")
	if err != nil {
		return
	}
	schemaMu.Lock()
	defer schemaMu.Unlock()
	// compose-go compiles its schema once, behind this Once: mark it done so
	// that the variable is what it validates with.
	composeCompiledSchemaOnce.Do(func() {})
	quickSchema = s
	composeCompiledSchema = quickSchema
}

// compileRealSchema compiles compose-spec.json as compose-go's
// schema.compileSchema does; on failure compose-go compiles (and reports) it.
func compileRealSchema() {
	c := jsonschema.NewCompiler()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema.Schema))
	if err != nil {
		return
	}
	if err := c.AddResource("compose-spec.json", doc); err != nil {
		return
	}
	c.RegisterFormat(&jsonschema.Format{Name: "duration", Validate: schemaDuration})
	realSchema, _ = c.Compile("compose-spec.json")
}

// schemaDuration is compose-go's duration format check.
func schemaDuration(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("expected string")
	}
	_, err := time.ParseDuration(s)
	return err
}

type verdict int

const (
	unsure verdict = iota
	valid
	invalid
)

// and folds x into v: invalid wins, then unsure, and valid only when both are.
func (v *verdict) and(x verdict) {
	switch {
	case x == invalid:
		*v = invalid
	case x == unsure && *v == valid:
		*v = unsure
	}
}

// sureValid reads schema s (a node of root) against value v and answers
// valid or invalid only when certain; unsure for any keyword it does not
// read. It follows JSON Schema 2020-12 for the keywords compose-spec.json uses.
func sureValid(root map[string]any, s any, v any) verdict {
	got, _ := check(root, s, v)
	return got
}

// check returns the verdict and, for an object value, the properties the
// schema evaluated (for unevaluatedProperties).
func check(root map[string]any, node any, v any) (verdict, map[string]bool) {
	switch n := node.(type) {
	case bool:
		if n {
			return valid, nil
		}
		return invalid, nil
	case map[string]any:
		return checkObject(root, n, v)
	}
	return unsure, nil
}

func checkObject(root, s map[string]any, v any) (verdict, map[string]bool) {
	result := valid
	and := result.and
	obj, isObj := v.(map[string]any)
	var evaluated map[string]bool
	if isObj {
		evaluated = map[string]bool{}
	}
	merge := func(e map[string]bool) {
		for k := range e {
			if evaluated != nil {
				evaluated[k] = true
			}
		}
	}
	for key, arg := range s {
		switch key {
		case "description", "title", "default", "deprecated", "$schema", "$id", "$comment", "examples", "$defs", "definitions":
			// annotations, or definitions read through $ref
		case "type":
			and(checkType(arg, v))
		case "$ref":
			ref, _ := arg.(string)
			target := resolveRef(root, ref)
			if target == nil {
				and(unsure)
				continue
			}
			r, e := check(root, target, v)
			and(r)
			if r == valid {
				merge(e)
			}
		case "enum":
			list, ok := arg.([]any)
			if !ok {
				and(unsure)
				continue
			}
			found := false
			for _, item := range list {
				if jsonEqual(item, v) {
					found = true
				}
			}
			if !found {
				and(invalid)
			}
		case "const":
			if !jsonEqual(arg, v) {
				and(invalid)
			}
		case "pattern":
			if str, ok := v.(string); ok {
				re := compiledPattern(arg)
				if re == nil {
					and(unsure)
				} else if !re.MatchString(str) {
					and(invalid)
				}
			}
		case "minimum", "maximum":
			num, ok := asNumber(v)
			bound, okB := asNumber(arg)
			if !okB {
				and(unsure)
			} else if ok && (key == "minimum" && num < bound || key == "maximum" && num > bound) {
				and(invalid)
			}
		case "required":
			list, ok := arg.([]any)
			if !ok {
				and(unsure)
				continue
			}
			if isObj {
				for _, r := range list {
					name, _ := r.(string)
					if _, has := obj[name]; !has {
						and(invalid)
					}
				}
			}
		case "uniqueItems":
			if b, _ := arg.(bool); b {
				if arr, ok := v.([]any); ok {
					for i := range arr {
						for j := i + 1; j < len(arr); j++ {
							if jsonEqual(arr[i], arr[j]) {
								and(invalid)
							}
						}
					}
				}
			}
		case "items":
			if arr, ok := v.([]any); ok {
				if _, isList := arg.([]any); isList {
					and(unsure) // tuple form: not in this draft's items
					continue
				}
				for _, item := range arr {
					r, _ := check(root, arg, item)
					and(r)
				}
			}
		case "properties", "patternProperties", "additionalProperties":
			if key != "properties" {
				continue // read together with properties, below
			}
		case "allOf", "anyOf", "oneOf":
			list, ok := arg.([]any)
			if !ok || len(list) == 0 {
				and(unsure)
				continue
			}
			var oks, unsures int
			var okEvaluated []map[string]bool
			for _, sub := range list {
				r, e := check(root, sub, v)
				switch r {
				case valid:
					oks++
					okEvaluated = append(okEvaluated, e)
				case unsure:
					unsures++
				}
			}
			switch key {
			case "allOf":
				switch {
				case oks == len(list):
					for _, e := range okEvaluated {
						merge(e)
					}
				case oks+unsures == len(list):
					and(unsure)
				default:
					and(invalid)
				}
			case "anyOf":
				switch {
				case unsures > 0:
					// Which branches pass decides the evaluated properties.
					and(unsure)
				case oks == 0:
					and(invalid)
				default:
					for _, e := range okEvaluated {
						merge(e)
					}
				}
			case "oneOf":
				switch {
				case unsures > 0:
					and(unsure)
				case oks != 1:
					and(invalid)
				default:
					merge(okEvaluated[0])
				}
			}
		case "unevaluatedProperties":
			// Read last, once every other keyword has evaluated.
		default:
			and(unsure)
		}
	}
	if isObj {
		and(checkProperties(root, s, obj, evaluated))
		if up, ok := s["unevaluatedProperties"]; ok {
			if result != valid {
				// Evaluation of failed or unsure branches is not known.
				and(unsure)
			} else {
				for k, item := range obj {
					if evaluated[k] {
						continue
					}
					r, _ := check(root, up, item)
					and(r)
					evaluated[k] = true
				}
			}
		}
	}
	return result, evaluated
}

// checkProperties reads properties, patternProperties and
// additionalProperties of one schema over an object.
func checkProperties(root, s map[string]any, obj map[string]any, evaluated map[string]bool) verdict {
	props, _ := s["properties"].(map[string]any)
	patterns, _ := s["patternProperties"].(map[string]any)
	additional, hasAdditional := s["additionalProperties"]
	if props == nil && patterns == nil && !hasAdditional {
		return valid
	}
	result := valid
	and := result.and
	for k, item := range obj {
		matched := false
		if sub, ok := props[k]; ok {
			matched = true
			r, _ := check(root, sub, item)
			and(r)
		}
		for p, sub := range patterns {
			re := compiledPattern(p)
			if re == nil {
				and(unsure)
				continue
			}
			if re.MatchString(k) {
				matched = true
				r, _ := check(root, sub, item)
				and(r)
			}
		}
		if matched {
			evaluated[k] = true
			continue
		}
		if hasAdditional {
			r, _ := check(root, additional, item)
			and(r)
			evaluated[k] = true
		}
	}
	return result
}

func checkType(arg, v any) verdict {
	var names []string
	switch t := arg.(type) {
	case string:
		names = []string{t}
	case []any:
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return unsure
			}
			names = append(names, s)
		}
	default:
		return unsure
	}
	for _, name := range names {
		switch name {
		case "object":
			if _, ok := v.(map[string]any); ok {
				return valid
			}
		case "array":
			if _, ok := v.([]any); ok {
				return valid
			}
		case "string":
			if _, ok := v.(string); ok {
				return valid
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return valid
			}
		case "null":
			if v == nil {
				return valid
			}
		case "number":
			if _, ok := asNumber(v); ok {
				return valid
			}
		case "integer":
			if n, ok := asNumber(v); ok && n == math.Trunc(n) && !math.IsInf(n, 0) {
				return valid
			}
		default:
			return unsure
		}
	}
	if _, ok := asNumber(v); !ok {
		switch v.(type) {
		case map[string]any, []any, string, bool, nil:
		default:
			return unsure // a Go type JSON does not produce
		}
	}
	return invalid
}

func asNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// jsonEqual compares two JSON values; numbers by value.
func jsonEqual(a, b any) bool {
	if x, ok := asNumber(a); ok {
		y, ok := asNumber(b)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}

func resolveRef(root map[string]any, ref string) any {
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var node any = root
	for _, tok := range strings.Split(ptr, "/") {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		node, ok = m[tok]
		if !ok {
			return nil
		}
	}
	return node
}

// compiledPattern compiles a schema regexp with Go's engine, as the
// jsonschema library does by default; nil when it does not compile.
func compiledPattern(p any) *regexp.Regexp {
	s, ok := p.(string)
	if !ok {
		return nil
	}
	if re, ok := quickRegexp.Load(s); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil
	}
	quickRegexp.Store(s, re)
	return re
}
