// Command docker-heal is the `docker heal` CLI plugin; it also runs standalone.
package main

import (
	"os"

	"github.com/docker-heal/docker-heal/commands"
)

// version is set at build time with -ldflags "-X main.version=..."; when it
// is not, commands.Main reads the module version and commit from the build
// info (go install ...@latest), and says "dev" only when there is none.
var version = ""

func main() {
	os.Exit(commands.Main(version))
}
