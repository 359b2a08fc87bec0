package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docker-heal/docker-heal/internal/sarifcheck"
	"github.com/docker-heal/docker-heal/lint"
)

func TestSARIFValidatesWithAwkwardPathsAndContainers(t *testing.T) {
	schema, err := sarifcheck.Schema()
	if err != nil {
		t.Fatal(err)
	}
	rules := []lint.Rule{
		{ID: "privileged", Severity: lint.SeverityWarning, Summary: "privileged", SecuritySeverity: 9},
		{ID: "image-unpinned", Severity: lint.SeverityInfo, Summary: "unpinned"},
	}
	res := &lint.Result{
		Files: []string{"my app,v2/svc/compose.yaml", "100%/a:b/Dockerfile", "/elsewhere/x y/compose.yaml", "web-1"},
		Findings: []lint.Finding{
			{Rule: "image-unpinned", Severity: lint.SeverityInfo, Pos: lint.Position{File: "my app,v2/svc/compose.yaml", Line: 3, Col: 5}, Subject: "web", Message: "m"},
			{Rule: "image-unpinned", Severity: lint.SeverityInfo, Pos: lint.Position{File: "100%/a:b/Dockerfile", Line: 1, Col: 1}, Subject: "stage 0", Message: "m"},
			{Rule: "image-unpinned", Severity: lint.SeverityInfo, Pos: lint.Position{File: "/elsewhere/x y/compose.yaml", Line: 2}, Subject: "db", Message: "m"},
			// audit: a container with no file, and one compose created.
			{Rule: "privileged", Severity: lint.SeverityWarning, Subject: "web-1", Message: "m"},
			{Rule: "privileged", Severity: lint.SeverityWarning, Pos: lint.Position{File: "my app,v2/svc/compose.yaml", Line: 2, Col: 3}, Subject: "svc-api-1", Service: "api", Message: "m"},
		},
	}
	var b bytes.Buffer
	if err := Render(&b, res, "sarif", Options{Rules: rules, Version: "v1", Root: "/work/my repo"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if err := sarifcheck.Validate(schema, []byte(out)); err != nil {
		t.Fatalf("SARIF does not validate against the 2.1.0 schema: %v\n%s", err, out)
	}
	var doc struct {
		Runs []struct {
			OriginalURIBaseIDs map[string]struct{ URI string } `json:"originalUriBaseIds"`
			Results            []struct {
				Locations []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
					LogicalLocations []struct{ Name, Kind string } `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	if got := run.OriginalURIBaseIDs["%SRCROOT%"].URI; got != "file:///work/my%20repo/" {
		t.Errorf("%%SRCROOT%% is %q, want file:///work/my%%20repo/", got)
	}
	want := []struct{ uri, base, logical string }{
		{"my%20app%2Cv2/svc/compose.yaml", "%SRCROOT%", ""},
		{"100%25/a%3Ab/Dockerfile", "%SRCROOT%", ""},
		{"file:///elsewhere/x%20y/compose.yaml", "", ""},
		{"", "", "web-1"},
		{"my%20app%2Cv2/svc/compose.yaml", "%SRCROOT%", "svc-api-1"},
	}
	// Results are in the findings' order.
	for i, w := range want {
		locs := run.Results[i].Locations
		if len(locs) != 1 {
			t.Fatalf("result %d: %d locations, want 1", i, len(locs))
		}
		l := locs[0]
		if w.uri != "" && (l.PhysicalLocation == nil || l.PhysicalLocation.ArtifactLocation.URI != w.uri || l.PhysicalLocation.ArtifactLocation.URIBaseID != w.base) {
			t.Errorf("result %d: physical location %+v, want uri %q base %q", i, l.PhysicalLocation, w.uri, w.base)
		}
		if w.uri == "" && l.PhysicalLocation != nil {
			t.Errorf("result %d: a container with no file has a physical location %+v", i, l.PhysicalLocation)
		}
		if w.logical != "" && (len(l.LogicalLocations) != 1 || l.LogicalLocations[0].Name != w.logical || l.LogicalLocations[0].Kind != "resource") {
			t.Errorf("result %d: logical locations %+v, want the container %s", i, l.LogicalLocations, w.logical)
		}
	}

	// The check can fail: the URI as it was written before encoding.
	bad := strings.Replace(out, "my%20app%2Cv2/svc/compose.yaml", "my app,v2/svc/compose.yaml", 1)
	if err := sarifcheck.Validate(schema, []byte(bad)); err == nil {
		t.Error("a URI with a space validates: the schema's formats are not asserted")
	}
}
