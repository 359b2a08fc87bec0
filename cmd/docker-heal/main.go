// Command docker-heal is the `docker heal` CLI plugin; it also runs standalone.
package main

import (
	"os"

	"github.com/docker-heal/docker-heal/commands"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(commands.Main(version))
}
