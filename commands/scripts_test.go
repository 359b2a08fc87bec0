package commands

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The cron line and the systemd unit must run a command line that parses.
func TestSchedulerFilesRunValidCommands(t *testing.T) {
	var cronLine string
	for _, line := range readLines(t, "docker-heal.cron") {
		if line != "" && !strings.HasPrefix(line, "#") && !strings.Contains(strings.SplitN(line, " ", 2)[0], "=") {
			cronLine = line
		}
	}
	fields := strings.Fields(cronLine)
	if len(fields) < 8 || fields[5] != "root" {
		t.Fatalf("cron line %q: want five time fields, a user, then the command", cronLine)
	}
	checkOnceArgs(t, "docker-heal.cron", fields[6:])

	var execStart string
	var sections []string
	for _, line := range readLines(t, "docker-heal.service") {
		if strings.HasPrefix(line, "[") {
			sections = append(sections, line)
		}
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			execStart = v
		}
	}
	if strings.Join(sections, "") != "[Unit][Service]" {
		t.Errorf("service sections %v", sections)
	}
	checkOnceArgs(t, "docker-heal.service", strings.Fields(execStart))

	timer := strings.Join(readLines(t, "docker-heal.timer"), "\n")
	for _, want := range []string{"[Timer]", "OnUnitActiveSec=1min", "WantedBy=timers.target"} {
		if !strings.Contains(timer, want) {
			t.Errorf("docker-heal.timer lacks %s", want)
		}
	}
}

func checkOnceArgs(t *testing.T, file string, argv []string) {
	t.Helper()
	if len(argv) < 2 || filepath.Base(argv[0]) != "docker-heal" || argv[1] != "once" {
		t.Fatalf("%s runs %v, want docker-heal once ...", file, argv)
	}
	cmd := newOnceCommand(nil)
	if err := cmd.ParseFlags(argv[2:]); err != nil {
		t.Errorf("%s: %v", file, err)
	}
	if q, _ := cmd.Flags().GetBool("quiet"); !q {
		t.Errorf("%s: without --quiet every run prints", file)
	}
}

func readLines(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "scripts", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	return lines
}
