package lint

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestCodeClimateFingerprintIgnoresLines(t *testing.T) {
	at := func(line, other int) Finding {
		return Finding{Rule: "duplicate-instruction", Severity: SeverityWarning, Pos: Position{File: "Dockerfile", Line: line, Col: 1},
			Subject: "stage 0", Message: "CMD is overridden by the CMD on line " + itoa(other) + ": only the last CMD of a stage counts; delete this one"}
	}
	fingerprints := func(fs ...Finding) []string {
		var buf bytes.Buffer
		if err := renderCodeClimate(&buf, &Result{Findings: fs}); err != nil {
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
	other := fingerprints(Finding{Rule: "privileged", Severity: SeverityError, Subject: "web", Message: "m"})
	if other[0] == before[0] {
		t.Error("different findings share a fingerprint")
	}
}

func itoa(n int) string { return string(rune('0' + n)) }
