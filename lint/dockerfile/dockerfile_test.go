package dockerfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDockerfileStagesAndImage(t *testing.T) {
	src := `ARG BASE=alpine:3.20
FROM ${BASE} AS base
RUN apk add --no-cache curl tini
HEALTHCHECK CMD curl -f http://localhost/ || exit 1

FROM base AS final
# docker-heal ignore=shell-form-cmd legacy
CMD /usr/bin/app --serve
CMD ["/usr/bin/app"]
`
	df, err := Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(df.Stages) != 2 || df.Stages[0].From != "alpine:3.20" || df.Stages[1].Parent != df.Stages[0] {
		t.Fatalf("stages: %+v", df.Stages)
	}
	img := df.Image("")
	if img.Base != BaseAlpine || !img.Installed["curl"] || !img.Installed["tini"] {
		t.Errorf("image: base %q installed %v", img.Base, img.Installed)
	}
	if img.CmdShell || strings.Join(img.Cmd, " ") != "/usr/bin/app" || img.CmdPos.Line != 9 {
		t.Errorf("last CMD wins: %v shell=%v at %v", img.Cmd, img.CmdShell, img.CmdPos)
	}
	if img.Healthcheck == nil || !img.Healthcheck.Shell() || img.Healthcheck.Pos.Line != 4 {
		t.Errorf("HEALTHCHECK inherited from the parent stage: %+v", img.Healthcheck)
	}
	if !df.Ignores.Silenced("shell-form-cmd", 8) || df.Ignores.Silenced("shell-form-cmd", 9) {
		t.Error("the pragma must cover exactly the next instruction")
	}
	if df.Final().Subject() != "final" || df.Stages[0].Subject() != "base" {
		t.Errorf("subjects: %q %q", df.Final().Subject(), df.Stages[0].Subject())
	}
}

func TestDockerfileErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"comments only", "# nothing\n# here\n", "no instructions"},
		{"empty", "", "no instructions"},
		{"no from", "RUN true\n", "from"},
		{"unknown instruction", "FROM alpine\nFROBNICATE x\n", "unknown instruction"},
		{"bad healthcheck", "FROM alpine\nHEALTHCHECK --interval=abc CMD true\n", "invalid duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("Dockerfile", []byte(c.src))
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(strings.ToLower(pe.Msg), c.want) {
				t.Fatalf("err = %v, want a ParseError mentioning %q", err, c.want)
			}
		})
	}
	// Binary content and unreadable files are reported, not parsed.
	dir := t.TempDir()
	bin := filepath.Join(dir, "Dockerfile")
	os.WriteFile(bin, []byte("FROM a\x00b"), 0o644)
	if _, err := Load(bin); err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("binary: %v", err)
	}
	if _, err := Load(dir); err == nil {
		t.Error("a directory must not load as a Dockerfile")
	}
}
