//go:build integration

package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// audit reads capabilities and namespaces from the real engine (which stores
// cap_add upper case with the CAP_ prefix, whatever was asked): the new rules
// fire on what the engine reports. The container is created, not started, so
// nothing runs with the host's namespaces.
func TestRealAuditCapAddAndHostNamespaces(t *testing.T) {
	t.Parallel()
	labels, _ := caseLabel()
	risky := enginetest.RunContainer(t, enginetest.Options{
		Labels: labels, NoStart: true,
		CapAdd:  []string{"sys_admin", "NET_ADMIN", "CAP_SYS_PTRACE"},
		PidMode: "host", IpcMode: "host",
	})
	plain := enginetest.RunContainer(t, enginetest.Options{Labels: labels, NoStart: true, CapAdd: []string{"NET_ADMIN", "NET_RAW"}})
	var out, errOut bytes.Buffer
	opts := auditOptions{findingOptions: findingOptions{format: "json", failOn: "none", only: []string{"cap-add-dangerous", "host-namespace"}}, concurrency: 2, configDir: t.TempDir()}
	if err := runAudit(context.Background(), &out, &errOut, dockerengine.New(enginetest.Client(t)), opts, []string{risky.Name, plain.Name}); err != nil {
		t.Fatalf("audit: %v; stderr %s", err, errOut.String())
	}
	var doc struct {
		Findings []struct {
			Rule, Severity, Subject, Message string
		}
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	got := map[string]int{}
	for _, f := range doc.Findings {
		if f.Subject == plain.Name {
			t.Errorf("NET_ADMIN/NET_RAW only, yet: %s %s", f.Rule, f.Message)
			continue
		}
		got[f.Rule+" "+f.Severity]++
	}
	if got["cap-add-dangerous warning"] != 2 || got["host-namespace warning"] != 2 || len(got) != 2 {
		t.Errorf("findings %v, want 2 cap-add-dangerous (SYS_ADMIN, SYS_PTRACE) and 2 host-namespace (pid, ipc) warnings:\n%s", got, out.String())
	}
}
