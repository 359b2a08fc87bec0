package commands

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/docker/cli/cli/command"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v4"

	"github.com/docker-heal/docker-heal/internal/config"
	"github.com/docker-heal/docker-heal/lint"
	"github.com/docker-heal/docker-heal/lint/render"
	"github.com/docker-heal/docker-heal/lint/rules"
)

// schemaPath is docs/config.schema.json, resolved before tests change directory.
var schemaPath, _ = filepath.Abs(filepath.Join("..", "docs", "config.schema.json"))

type configKey struct{ name, flag string }

// yamlKeys lists the keys a config struct reads, from its yaml tags, with
// the flag each stands for (its flag tag).
func yamlKeys(v any) []configKey {
	var keys []configKey
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && name != "" && name != "-" {
			keys = append(keys, configKey{name, f.Tag.Get("flag")})
		}
	}
	return keys
}

// Go's time.ParseDuration syntax, as every duration in the file is read.
const durationPattern = `^-?([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$|^0$`

// severityWords are what the loader reads as a severity.
var severityWords = []string{"error", "warning", "warn", "info", "none", "off"}

// ruleSettings are what the loader reads under rules: (case-insensitive).
var ruleSettings = []string{"off", "on", "error", "warning", "warn", "info", "none", "false", "true", "disable", "disabled", "enable", "enabled"}

// anyCase is a pattern matching one of words in any case, as the loader
// reads them (JSON schema patterns have no case-insensitive flag).
func anyCase(words []string) string {
	var alts []string
	for _, w := range words {
		var b strings.Builder
		for _, r := range w {
			if lower, upper := strings.ToLower(string(r)), strings.ToUpper(string(r)); lower != upper {
				b.WriteString("[" + lower + upper + "]")
			} else {
				b.WriteRune(r)
			}
		}
		alts = append(alts, b.String())
	}
	return "^(" + strings.Join(alts, "|") + ")$"
}

// flagSchema types a config key by the flag it mirrors, with the flag's help
// as its description.
func flagSchema(f interface {
	Type() string
}, usage string) map[string]any {
	s := map[string]any{"description": usage}
	switch f.Type() {
	case "bool":
		s["type"] = "boolean"
	case "int":
		s["type"], s["minimum"] = "integer", 0
	case "duration":
		s["type"], s["pattern"] = "string", durationPattern
	case "stringArray", "stringSlice":
		s["type"], s["items"] = "array", map[string]any{"type": "string"}
	default:
		s["type"] = "string"
	}
	return s
}

// healFileOnly describes the heal: keys that have no flag.
var healFileOnly = map[string]map[string]any{
	"backoff-max": {"description": "Cap of the backoff, which doubles after each restart (default 30m)", "type": "string", "pattern": durationPattern},
}

// genSchema builds the JSON schema of .docker-heal.yaml from the loaders'
// keys, the rule registry and the flags each key mirrors, so it cannot
// drift from what the tool reads.
func genSchema(t *testing.T) []byte {
	t.Helper()
	cli, err := command.NewDockerCli()
	if err != nil {
		t.Fatal(err)
	}
	root := NewRootCommand(cli, "dev")
	sub := func(name string) *cobra.Command {
		c, _, err := root.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	lintCmd, onceCmd, watchCmd := sub("lint"), sub("once"), sub("watch")
	var ids []string
	for _, r := range rules.All() {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)

	top := map[string]any{}
	for _, k := range yamlKeys(config.File{}) {
		switch key := k.name; key {
		case "fail-on":
			top[key] = map[string]any{"description": lintCmd.Flags().Lookup("fail-on").Usage, "type": "string", "pattern": anyCase(severityWords)}
		case "format":
			top[key] = map[string]any{"description": "Output format of lint and audit (the --format flag wins)", "type": "string", "enum": render.Formats}
		case "rules":
			top[key] = map[string]any{
				"description":   "Per rule: off turns it off; error, warning or info changes its severity; on keeps it as it is",
				"type":          "object",
				"propertyNames": map[string]any{"enum": ids},
				// YAML reads true/false as booleans; the loader takes them, and
				// every word in any case.
				"additionalProperties": map[string]any{"anyOf": []any{
					map[string]any{"type": "boolean"},
					map[string]any{"type": "string", "pattern": anyCase(ruleSettings)},
				}},
			}
		case "ignore":
			top[key] = map[string]any{
				"description": "Silence rules for files matching a path or for a service (or container) name",
				"type":        "array",
				"items": map[string]any{
					"type":                 "object",
					"additionalProperties": false,
					"anyOf":                []any{map[string]any{"required": []string{"path"}}, map[string]any{"required": []string{"service"}}},
					"properties": map[string]any{
						"path":    map[string]any{"description": "Glob on the file path, relative to this file (legacy/**)", "type": "string"},
						"service": map[string]any{"description": "Compose service or container name", "type": "string"},
						"rules":   map[string]any{"description": "Rule ids to silence, or all", "type": "array", "items": map[string]any{"enum": append([]string{"all"}, ids...)}},
					},
				},
			}
		case "image-config":
			top[key] = map[string]any{"description": lintCmd.Flags().Lookup("image-config").Usage, "type": "string", "enum": []string{"engine", "registry", "off"}}
		case "heal":
			healProps := map[string]any{}
			for _, hk := range yamlKeys(config.Heal{}) {
				f := onceCmd.Flags().Lookup(hk.flag)
				if f == nil {
					f = watchCmd.Flags().Lookup(hk.flag) // watch-only keys (resync)
				}
				if hk.flag != "" && f != nil {
					healProps[hk.name] = flagSchema(f.Value, f.Usage)
					continue
				}
				extra, ok := healFileOnly[hk.name]
				if !ok {
					t.Fatalf("heal key %q has no flag of docker heal once or watch to describe it: add it to healFileOnly", hk.name)
				}
				healProps[hk.name] = extra
			}
			top[key] = map[string]any{
				"description":          "The recovery policy of docker heal once, status, reset (and watch); their flags win",
				"type":                 "object",
				"additionalProperties": false,
				"properties":           healProps,
			}
		default:
			t.Fatalf("config.File has key %q that the schema generator does not describe: add it to genSchema", key)
		}
	}
	schema := map[string]any{
		"$schema":              "http://json-schema.org/draft-07/schema#",
		"$id":                  "https://raw.githubusercontent.com/docker-heal/docker-heal/main/docs/config.schema.json",
		"title":                ".docker-heal.yaml",
		"description":          "Configuration of docker heal (.docker-heal.yaml, or the host's /etc/docker-heal/config.yaml): lint and audit rules, and the recovery policy. Generated by go test ./commands -run Schema -update.",
		"type":                 "object",
		"additionalProperties": false,
		"properties":           top,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(schema); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestConfigSchemaCurrent(t *testing.T) {
	got := genSchema(t)
	if *update {
		if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(schemaPath)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("docs/config.schema.json is out of date (%v): run go test ./commands -run Schema -update", err)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	s, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatalf("docs/config.schema.json does not compile: %v", err)
	}
	return s
}

// validateYAML checks a YAML document against the schema.
func validateYAML(t *testing.T, s *jsonschema.Schema, src string) error {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, src)
	}
	// Through JSON: the validator takes JSON's types (float64, map[string]any).
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// loadBoth runs the one loader on a config file, and both its sides: lint's
// (with the rule ids) and heal's policy.
func loadBoth(t *testing.T, src string) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), lint.ConfigFileName)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		return err
	}
	if _, err := f.Lint(lint.KnownIDs(rules.All())); err != nil {
		return err
	}
	_, err = f.Policy()
	return err
}

// schemaKeys lists the dotted keys a schema accepts, as config.Keys does:
// "heal.window", "ignore[].path", "rules.*".
func schemaKeys(prefix string, node map[string]any) []string {
	var out []string
	props, _ := node["properties"].(map[string]any)
	for name, v := range props {
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		out = append(out, key)
		child := v.(map[string]any)
		if _, ok := child["propertyNames"]; ok {
			out = append(out, key+".*")
		}
		if items, ok := child["items"].(map[string]any); ok {
			out = append(out, schemaKeys(key+"[]", items)...)
		}
		out = append(out, schemaKeys(key, child)...)
	}
	return out
}

func TestConfigSchemaKeysAreTheLoaders(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(genSchema(t), &schema); err != nil {
		t.Fatal(err)
	}
	got := schemaKeys("", schema)
	slices.Sort(got)
	if want := config.Keys(); !slices.Equal(got, want) {
		t.Errorf("the schema's keys differ from what the loader accepts:\n got %v\nwant %v", got, want)
	}
}

// TestConfigSchemaMatchesLoader: a file the schema accepts, setting every
// key, loads; files the loader refuses (unknown keys, bad values) the schema
// refuses too.
func TestConfigSchemaMatchesLoader(t *testing.T) {
	s := compileSchema(t)
	full := `fail-on: warning
format: sarif
image-config: registry
rules:
  init-missing: off
  memory-limit-missing: error
  privileged: on
ignore:
  - path: legacy/**
    rules: [all]
  - service: migrate
    rules: [restart-policy-missing]
heal:
  all: true
  min-unhealthy: 1m
  max-restarts: 3
  window: 1h
  backoff: 1m
  backoff-max: 30m
  max-per-run: 10
  concurrency: 4
  grace: 0s
  stop-timeout: 10s
  max-stop-timeout: 2m
  round-timeout: 3m
  state-file: /var/lib/docker-heal/state.json
  lock-timeout: 1m30s
  audit-log: /var/log/docker-heal.jsonl
  metrics-file: /var/lib/node_exporter/textfile/docker_heal.prom
  webhooks: [https://hooks.example.com/heal]
  webhook-timeout: 5s
  notify: [generic://127.0.0.1:8080/heal]
  resync: 1m
  listen: 127.0.0.1:9464
`
	if err := validateYAML(t, s, full); err != nil {
		t.Errorf("the schema refuses a full config: %v", err)
	}
	if err := loadBoth(t, full); err != nil {
		t.Errorf("the loaders refuse the full config the schema accepts: %v", err)
	}
	// Every key the schema knows appears in the full config above, so the
	// loaders have read each one.
	var doc map[string]any
	yaml.Unmarshal([]byte(full), &doc)
	var schema struct {
		Properties map[string]struct {
			Properties map[string]any
		}
	}
	b, _ := os.ReadFile(schemaPath)
	json.Unmarshal(b, &schema)
	for key, prop := range schema.Properties {
		if _, ok := doc[key]; !ok {
			t.Errorf("schema key %s is not in the full config test: add it", key)
		}
		if key == "heal" {
			for hk := range prop.Properties {
				if _, ok := doc["heal"].(map[string]any)[hk]; !ok {
					t.Errorf("schema key heal.%s is not in the full config test: add it", hk)
				}
			}
		}
	}
	// What the loader accepts beyond the full config, the schema accepts.
	for _, good := range []string{
		"rules:\n  init-missing: false\n  privileged: true\n",
		"rules:\n  init-missing: Off\n  privileged: ERROR\n",
		"fail-on: Warning\n",
	} {
		if err := loadBoth(t, good); err != nil {
			t.Errorf("the loader refuses %q: %v", good, err)
		}
		if err := validateYAML(t, s, good); err != nil {
			t.Errorf("the schema refuses %q, which the loader accepts: %v", good, err)
		}
	}
	for _, bad := range []string{
		"fail_on: error\n",
		"format: xml\n",
		"fail-on: sometimes\n",
		"rules:\n  no-such-rule: off\n",
		"rules:\n  privileged: loud\n",
		"ignore:\n  - rules: [all]\n",
		"heal:\n  max_restarts: 3\n",
		"heal:\n  window: an hour\n",
		"heal:\n  max-restarts: many\n",
	} {
		if validateYAML(t, s, bad) == nil {
			t.Errorf("the schema accepts %q", bad)
		}
		if loadBoth(t, bad) != nil {
			continue
		}
		// The format is checked where it is used: lint refuses it there.
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, lint.ConfigFileName), []byte(bad), 0o644)
		os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    image: example/web:1\n"), 0o644)
		if _, _, code := runCLI(t, dir, "lint"); code != ExitError {
			t.Errorf("lint accepts a config with %q (exit %d), which the schema refuses", bad, code)
		}
	}
}

// readmeConfig is the README's example .docker-heal.yaml.
var readmeConfig = regexp.MustCompile("(?s)```yaml\n(# \\.docker-heal\\.yaml\n.*?)```")

func TestREADMEConfigExampleValidates(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples := readmeConfig.FindAllStringSubmatch(string(readme), -1)
	if len(examples) == 0 {
		t.Fatal("README.md has no ```yaml block starting with # .docker-heal.yaml")
	}
	s := compileSchema(t)
	for _, m := range examples {
		if err := validateYAML(t, s, m[1]); err != nil {
			t.Errorf("README's config example does not validate against docs/config.schema.json: %v\n%s", err, m[1])
		}
		if err := loadBoth(t, m[1]); err != nil {
			t.Errorf("README's config example does not load: %v", err)
		}
	}
}
