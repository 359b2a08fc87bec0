package render

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/docker-heal/docker-heal/lint"
)

func TestCodeClimateFingerprintIgnoresLines(t *testing.T) {
	at := func(line, other int) lint.Finding {
		return lint.Finding{Rule: "duplicate-instruction", Severity: lint.SeverityWarning, Pos: lint.Position{File: "Dockerfile", Line: line, Col: 1},
			Subject: "stage 0", Message: "CMD is overridden by the CMD on line " + itoa(other) + ": only the last CMD of a stage counts; delete this one"}
	}
	fingerprints := func(fs ...lint.Finding) []string {
		var buf bytes.Buffer
		if err := (codeClimateRenderer{}).Render(&buf, &lint.Result{Findings: fs}); err != nil {
			t.Fatal(err)
		}
		var issues []struct{ Fingerprint string }
		if err := json.Unmarshal(buf.Bytes(), &issues); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, is := range issues {
			out = append(out, is.Fingerprint)
		}
		return out
	}
	before := fingerprints(at(3, 5), at(4, 5))
	after := fingerprints(at(4, 6), at(5, 6)) // a line inserted above both
	if before[0] == before[1] {
		t.Error("two findings alike but for their line share a fingerprint: GitLab would show one")
	}
	if before[0] != after[0] || before[1] != after[1] {
		t.Errorf("fingerprints moved with the lines: %v then %v", before, after)
	}
	other := fingerprints(lint.Finding{Rule: "privileged", Severity: lint.SeverityError, Subject: "web", Message: "m"})
	if other[0] == before[0] {
		t.Error("different findings share a fingerprint")
	}
}

func itoa(n int) string { return string(rune('0' + n)) }
