package heal

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// heal decides and sequences; the writers (state file, lock, webhooks,
// metrics, audit log) are heal/store's, the Docker client is
// internal/dockerengine's. No shipped file of heal may reach for them.
func TestHealImportsNoWriter(t *testing.T) {
	forbidden := map[string]string{
		"net":       "networking is heal/store's",
		"net/http":  "webhooks are heal/store's",
		"os":        "files are heal/store's",
		"os/exec":   "heal runs no programs",
		"io/ioutil": "files are heal/store's",
		"syscall":   "locks are heal/store's",
		"github.com/docker-heal/docker-heal/heal/store": "heal/store depends on heal, not the other way",
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if why, bad := forbidden[path]; bad {
				t.Errorf("%s imports %s: %s", name, path, why)
			}
			if strings.HasPrefix(path, "github.com/moby/") || strings.HasPrefix(path, "github.com/docker/") {
				t.Errorf("%s imports %s: the Docker client is internal/dockerengine's", name, path)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked %d files: is the test running in heal/?", checked)
	}
}
