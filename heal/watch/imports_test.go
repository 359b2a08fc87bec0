package watch

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The scheduler decides when to look; files, locks, HTTP and the Docker
// client are its caller's (heal/store, internal/watchhttp,
// internal/dockerengine), handed in through Config.
func TestWatchImportsNoWriter(t *testing.T) {
	forbidden := []string{"net", "net/http", "os", "os/exec", "syscall",
		"github.com/docker-heal/docker-heal/heal/store", "github.com/docker-heal/docker-heal/internal/dockerengine"}
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
			for _, bad := range forbidden {
				if path == bad {
					t.Errorf("%s imports %s", name, path)
				}
			}
			if strings.HasPrefix(path, "github.com/moby/") || strings.HasPrefix(path, "github.com/docker/") {
				t.Errorf("%s imports %s: the Docker client is internal/dockerengine's", name, path)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("checked %d files: is the test running in heal/watch?", checked)
	}
}
