package lint

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Issue 18: inputs that cost minutes and gigabytes are refused as invalid
// files naming file:line, on a count of the work asked, before any of it is
// done. The inputs are generated, never committed.

func nested(depth int) string {
	v := "x"
	for i := depth - 1; i >= 0; i-- {
		v = fmt.Sprintf("${V%d:-%s}", i, v)
	}
	return v
}

func TestDeepInterpolationIsRefused(t *testing.T) {
	rules := []Rule{{ID: InvalidFileRule, Severity: SeverityError}}
	for name, setup := range map[string]func(dir string) (file string, line int){
		"compose file, 10,000 deep": func(dir string) (string, int) {
			writeFile(t, dir, "compose.yaml", "services:\n  app:\n    image: \""+nested(10000)+"\"\n")
			return "compose.yaml", 3
		},
		".env, 10,000 deep": func(dir string) (string, int) {
			writeFile(t, dir, ".env", "A=1\nIMG="+nested(10000)+"\n")
			writeFile(t, dir, "compose.yaml", "services:\n  app:\n    image: \"${IMG}\"\n")
			return ".env", 2
		},
		"env_file:, 3,000 deep": func(dir string) (string, int) {
			writeFile(t, dir, "app.env", "IMG="+nested(3000)+"\n")
			writeFile(t, dir, "compose.yaml", "services:\n  app:\n    image: x\n    env_file: [app.env]\n")
			return "compose.yaml", 4
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			file, line := setup(dir)
			res, err := Run(context.Background(), &Checker{Rules: rules}, RunOptions{Paths: []string{filepath.Join(dir, "compose.yaml")}})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(res.Findings) != 1 {
				t.Fatalf("findings %+v, want one invalid-file", res.Findings)
			}
			f := res.Findings[0]
			if f.Rule != InvalidFileRule || f.Pos.File != filepath.Join(dir, file) || f.Pos.Line != line {
				t.Errorf("%s at %v, want invalid-file at %s:%d", f.Rule, f.Pos, file, line)
			}
			if !strings.Contains(f.Message, "nested") || !strings.Contains(f.Message, fmt.Sprint(maxInterpolationDepth)) {
				t.Errorf("message %q does not say what is nested too deep", f.Message)
			}
		})
	}
	// The bound leaves what people write alone.
	if d, _ := interpolationDepth([]byte("a: ${A:-${B:-${C}}} $${LITERAL} {x: y}\n")); d != 3 {
		t.Errorf("depth %d, want 3", d)
	}
}

func TestSelfDoublingEnvIsRefused(t *testing.T) {
	// 441 bytes asking for 2^27 bytes, as found.
	src := "FROM scratch\nENV X=a\n" + strings.Repeat("ENV X=${X}${X}\n", 27) + "CMD [\"/app\"]\n"
	_, err := ParseDockerfile("Dockerfile", []byte(src))
	var pe *ParseError
	if !errors.As(err, &pe) || !pe.Refused {
		t.Fatalf("ParseDockerfile: %v, want a refusal", err)
	}
	// X doubles on lines 3, 4, ...: line 3+k makes 2^(k+1) bytes; the first
	// over maxExpandedWord (2^20) is k = 20, line 23.
	if pe.Pos.Line != 23 || !strings.Contains(pe.Msg, "ENV X=${X}${X}") {
		t.Errorf("refused at %v: %s; want line 23", pe.Pos, pe.Msg)
	}
	// The check counts sizes, it builds nothing: the work it counted is
	// bounded by the limit plus one word.
	res, perr := parser.Parse(strings.NewReader(src))
	if perr != nil {
		t.Fatal(perr)
	}
	stages, meta, perr := instructions.Parse(res.AST, nil)
	if perr != nil {
		t.Fatal(perr)
	}
	work, err := expansionBudget("Dockerfile", meta, stages)
	if err == nil || work > maxExpansionWork+2*maxExpandedWord {
		t.Errorf("work %d, err %v", work, err)
	}
	// Many small expansions add up: refused on the total.
	many := "FROM scratch\nENV X=" + strings.Repeat("a", 60000) + "\n" + strings.Repeat("ENV Y=${X}${X}${X}${X}\n", 200)
	if _, err := ParseDockerfile("Dockerfile", []byte(many)); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "in all") {
		t.Errorf("total work: %v, want a refusal on the total", err)
	}
	// A Dockerfile that uses its variables as people do is fine.
	ok := "ARG BASE=alpine\nFROM ${BASE}:3.20\nARG V=1.2\nENV APP_VERSION=${V} PATH=/app/bin:$PATH\nWORKDIR /app/${APP_VERSION}\nRUN echo ${APP_VERSION:-none}\nUSER 10001\n"
	if _, err := ParseDockerfile("Dockerfile", []byte(ok)); err != nil {
		t.Errorf("an ordinary Dockerfile: %v", err)
	}
}

func TestHugeDockerfileIsRefusedBeforeParsing(t *testing.T) {
	// 1.35 million RUN lines, as found (16 MB there; "RUN a" keeps it at 8).
	huge := "FROM scratch\n" + strings.Repeat("RUN a\n", 1350000)
	_, err := ParseDockerfile("Dockerfile", []byte(huge))
	var pe *ParseError
	if !errors.As(err, &pe) || !pe.Refused || !strings.Contains(pe.Msg, "bytes") {
		t.Errorf("8 MB Dockerfile: %v, want a refusal on its size", err)
	}
	// Under the size cap, over the line cap: refused at the first line over.
	long := "FROM scratch\n" + strings.Repeat("RUN a\n", maxDockerfileLines)
	_, err = ParseDockerfile("Dockerfile", []byte(long))
	if !errors.As(err, &pe) || !pe.Refused || pe.Pos.Line != maxDockerfileLines+1 {
		t.Errorf("%d-line Dockerfile: %v, want a refusal at line %d", maxDockerfileLines+1, err, maxDockerfileLines+1)
	}
}
