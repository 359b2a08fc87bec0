package dockerengine

import (
	"os/exec"
	"strings"
	"testing"
)

// The house rule: this package is the only one that talks to the Docker
// client (internal/enginetest drives the engine for tests), and no shipped
// code depends on the test harness.
func TestOnlyThisPackageImportsTheClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "github.com/docker-heal/docker-heal/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"github.com/docker-heal/docker-heal/internal/dockerengine": true,
		"github.com/docker-heal/docker-heal/internal/enginetest":   true,
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		for _, imp := range strings.Fields(imports) {
			if strings.HasPrefix(imp, "github.com/moby/moby/client") && !allowed[pkg] {
				t.Errorf("%s imports %s: go through internal/dockerengine", pkg, imp)
			}
			if imp == "github.com/docker-heal/docker-heal/internal/enginetest" {
				t.Errorf("%s imports the test harness outside its tests", pkg)
			}
		}
	}
}
