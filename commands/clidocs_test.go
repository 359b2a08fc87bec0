package commands

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// cliDocsDir is docs/cli of this module, resolved before tests change directory.
var cliDocsDir, _ = filepath.Abs(filepath.Join("..", "docs", "cli"))

// genCLIDocs writes the Markdown reference of every command, as the docker
// CLI runs them (docker heal lint), into dir.
func genCLIDocs(t *testing.T, dir string) {
	t.Helper()
	cli, err := command.NewDockerCli()
	if err != nil {
		t.Fatal(err)
	}
	docker := &cobra.Command{Use: "docker", DisableAutoGenTag: true}
	heal := NewRootCommand(cli, "dev")
	docker.AddCommand(heal)
	var hide func(c *cobra.Command)
	hide = func(c *cobra.Command) {
		c.DisableAutoGenTag = true // no generation date: the files must compare equal
		for _, sub := range c.Commands() {
			hide(sub)
		}
	}
	hide(docker)
	link := func(name string) string { return name }
	if err := doc.GenMarkdownTreeCustom(heal, dir, func(string) string { return "" }, link); err != nil {
		t.Fatal(err)
	}
}

func readDocs(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

// TestCLIDocsCurrent regenerates docs/cli from the commands and compares
// (go test ./commands -run CLIDocs -update rewrites it).
func TestCLIDocsCurrent(t *testing.T) {
	tmp := t.TempDir()
	genCLIDocs(t, tmp)
	got := readDocs(t, tmp)
	if *update {
		if err := os.MkdirAll(cliDocsDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name := range readDocs(t, cliDocsDir) {
			if _, ok := got[name]; !ok {
				os.Remove(filepath.Join(cliDocsDir, name))
			}
		}
		for name, text := range got {
			if err := os.WriteFile(filepath.Join(cliDocsDir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	want := readDocs(t, cliDocsDir)
	var names []string
	for name := range got {
		names = append(names, name)
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if got[name] != want[name] {
			t.Errorf("docs/cli/%s is out of date: run go test ./commands -run CLIDocs -update", name)
		}
	}
	if len(want) == 0 {
		t.Error("docs/cli is empty: run go test ./commands -run CLIDocs -update")
	}
}
