package dockerfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Issue 18: inputs that cost minutes and gigabytes are refused as invalid
// files naming file:line, on a count of the work asked, before any of it is
// done. The inputs are generated, never committed.

func TestSelfDoublingEnvIsRefused(t *testing.T) {
	// 441 bytes asking for 2^27 bytes, as found.
	src := "FROM scratch\nENV X=a\n" + strings.Repeat("ENV X=${X}${X}\n", 27) + "CMD [\"/app\"]\n"
	_, err := Parse("Dockerfile", []byte(src))
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
	if _, err := Parse("Dockerfile", []byte(many)); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "in all") {
		t.Errorf("total work: %v, want a refusal on the total", err)
	}
	// A Dockerfile that uses its variables as people do is fine.
	ok := "ARG BASE=alpine\nFROM ${BASE}:3.20\nARG V=1.2\nENV APP_VERSION=${V} PATH=/app/bin:$PATH\nWORKDIR /app/${APP_VERSION}\nRUN echo ${APP_VERSION:-none}\nUSER 10001\n"
	if _, err := Parse("Dockerfile", []byte(ok)); err != nil {
		t.Errorf("an ordinary Dockerfile: %v", err)
	}
}

func TestHugeDockerfileIsRefusedBeforeParsing(t *testing.T) {
	// 1.35 million RUN lines, as found (16 MB there; "RUN a" keeps it at 8).
	huge := "FROM scratch\n" + strings.Repeat("RUN a\n", 1350000)
	_, err := Parse("Dockerfile", []byte(huge))
	var pe *ParseError
	if !errors.As(err, &pe) || !pe.Refused || !strings.Contains(pe.Msg, "bytes") {
		t.Errorf("8 MB Dockerfile: %v, want a refusal on its size", err)
	}
	// Under the size cap, over the line cap: refused at the first line over.
	long := "FROM scratch\n" + strings.Repeat("RUN a\n", maxDockerfileLines)
	_, err = Parse("Dockerfile", []byte(long))
	if !errors.As(err, &pe) || !pe.Refused || pe.Pos.Line != maxDockerfileLines+1 {
		t.Errorf("%d-line Dockerfile: %v, want a refusal at line %d", maxDockerfileLines+1, err, maxDockerfileLines+1)
	}
}
