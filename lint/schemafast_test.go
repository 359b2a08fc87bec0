package lint

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/schema"
	"go.yaml.in/yaml/v4"
)

// realVerdict validates doc with compose-go's own compiled schema.
func realVerdict(t *testing.T, doc map[string]any) bool {
	t.Helper()
	realOnce.Do(compileRealSchema)
	if realSchema == nil {
		t.Fatal("compose-spec.json does not compile")
	}
	// As compose-go does: through JSON, so the types are JSON's.
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return realSchema.Validate(v) == nil
}

func quickVerdict(t *testing.T, doc map[string]any) verdict {
	t.Helper()
	var defs map[string]any
	if err := json.Unmarshal([]byte(schema.Schema), &defs); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(doc)
	var v any
	_ = json.Unmarshal(raw, &v)
	return sureValid(defs, defs, v)
}

// TestQuickReadingAgreesWithSchema: whenever the quick reading is sure, it
// says what compose-go's compiled schema says; and it is sure of the usual
// valid file (else it would save nothing).
func TestQuickReadingAgreesWithSchema(t *testing.T) {
	cases := map[string]string{
		"valid":              "services:\n  web:\n    image: nginx:1.27\n    ports: [\"127.0.0.1:80:80\"]\n    environment: {A: b}\n    healthcheck: {test: [CMD, \"true\"], interval: 5s}\n    depends_on: {db: {condition: service_healthy}}\n  db:\n    image: postgres:16\nvolumes:\n  data: {}\n",
		"unknown key":        "services:\n  web:\n    image: nginx\n    restartt: always\n",
		"unknown top key":    "servicess:\n  web:\n    image: nginx\n",
		"wrong type":         "services:\n  web:\n    image: nginx\n    privileged: [true]\n",
		"empty name pattern": "services:\n  web:\n    image: nginx\n    container_name: ''\n",
		"extension":          "x-common: &c\n  image: nginx\nservices:\n  web:\n    <<: *c\n    x-docker-heal: {ignore: [all]}\n",
		"deploy":             "services:\n  web:\n    image: nginx\n    deploy:\n      resources: {limits: {memory: 512m, cpus: '0.5'}}\n      restart_policy: {condition: on-failure, max_attempts: 3}\n",
		"bad deploy key":     "services:\n  web:\n    image: nginx\n    deploy:\n      resourcess: {}\n",
		"ulimits":            "services:\n  web:\n    image: nginx\n    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535}\n",
		"bad ulimit":         "services:\n  web:\n    image: nginx\n    ulimits: {nofile: {soft: 1024}}\n",
		"build":              "services:\n  web:\n    build: {context: ., args: [A=1]}\n",
		"duplicate list":     "services:\n  web:\n    image: nginx\n    cap_add: [NET_ADMIN, NET_ADMIN]\n",
	}
	sure := 0
	for name, src := range cases {
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		q, r := quickVerdict(t, doc), realVerdict(t, doc)
		if q == valid && !r || q == invalid && r {
			t.Errorf("%s: the quick reading says %v, compose-go's schema valid=%v", name, q, r)
		}
		if q != unsure {
			sure++
		}
		if name == "valid" && q != valid {
			t.Errorf("the quick reading is not sure of a plain valid file")
		}
	}
	if sure < len(cases)/2 {
		t.Errorf("the quick reading is sure of only %d of %d cases", sure, len(cases))
	}
	// Every compose file of the tests: the same agreement.
	n := 0
	for _, root := range []string{"testdata", filepath.Join("rules", "testdata"), filepath.Join("..", "commands", "testdata")} {
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			var doc map[string]any
			if yaml.Unmarshal(src, &doc) != nil || doc == nil {
				return nil
			}
			if _, err := json.Marshal(doc); err != nil {
				return nil
			}
			n++
			q, r := quickVerdict(t, doc), realVerdict(t, doc)
			if q == valid && !r || q == invalid && r {
				t.Errorf("%s: the quick reading says %v, compose-go's schema valid=%v", path, q, r)
			}
			return nil
		})
	}
	if n < 50 {
		t.Errorf("only %d compose files found to compare", n)
	}
}

// TestQuickLoadAvoidsTheCompiledSchema: a valid project loads without
// compose-go's compiled schema; an invalid one is loaded with it, and its
// error is compose-go's.
func TestQuickLoadAvoidsTheCompiledSchema(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good", "compose.yaml")
	bad := filepath.Join(dir, "bad", "compose.yaml")
	badModel := filepath.Join(dir, "model", "compose.yaml")
	for path, src := range map[string]string{
		good:     "services:\n  web:\n    image: nginx:1.27\n",
		bad:      "services:\n  web:\n    image: nginx:1.27\n    restartt: always\n",
		badModel: "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - \":/media/\"\n",
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := realLoads.Load()
	if _, err := LoadProject(context.Background(), ProjectOptions{ConfigFiles: []string{good}}); err != nil {
		t.Fatal(err)
	}
	if got := realLoads.Load() - before; got != 0 {
		t.Errorf("a valid project needed compose-go's compiled schema (%d loads)", got)
	}
	// Valid for the schema, refused by the model: compose-go's error, with
	// no need of its compiled schema.
	_, err := LoadProject(context.Background(), ProjectOptions{ConfigFiles: []string{badModel}})
	if err == nil || !strings.Contains(err.Error(), "empty section between colons") {
		t.Errorf("the project compose-go's model refuses: error %v", err)
	}
	if got := realLoads.Load() - before; got != 0 {
		t.Errorf("a project valid for the schema needed compose-go's compiled schema (%d loads)", got)
	}
	_, err = LoadProject(context.Background(), ProjectOptions{ConfigFiles: []string{bad}})
	if err == nil || !strings.Contains(err.Error(), "restartt") {
		t.Errorf("the invalid project: error %v, want compose-go's about restartt", err)
	}
	if realLoads.Load()-before == 0 {
		t.Error("the invalid project was not loaded with compose-go's compiled schema")
	}
}
