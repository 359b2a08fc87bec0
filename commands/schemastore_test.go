package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/docker-heal/docker-heal/internal/config"
)

// docs/schemastore-catalog.json is the entry to add to SchemaStore's
// src/api/json/catalog.json: it must point at the schema's $id and match the
// file names the loaders read.
func TestSchemaStoreCatalogEntry(t *testing.T) {
	var entry struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		FileMatch   []string `json:"fileMatch"`
		URL         string   `json:"url"`
	}
	b, err := os.ReadFile(filepath.Join("..", "docs", "schemastore-catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &entry); err != nil {
		t.Fatal(err)
	}
	var schema struct {
		ID string `json:"$id"`
	}
	s, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(s, &schema); err != nil {
		t.Fatal(err)
	}
	if entry.Name == "" || entry.Description == "" {
		t.Error("the catalog entry needs a name and a description")
	}
	if entry.URL != schema.ID {
		t.Errorf("catalog url %s, want the schema's $id %s", entry.URL, schema.ID)
	}
	if !slices.Contains(entry.FileMatch, config.FileName) || !slices.Contains(entry.FileMatch, "**/docker-heal/"+filepath.Base(config.SystemConfig)) {
		t.Errorf("fileMatch %v lacks %s or the host config", entry.FileMatch, config.FileName)
	}
}
