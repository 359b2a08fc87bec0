//go:build integration

package dockerengine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// Issue 18: what the real engine answers (20.10, 28 or the newest, whichever
// DOCKER_HOST is) is read as raw JSON, at the API version the client
// negotiated, and checked against two things: every field this package reads
// is there, and every field the fake engine (internal/enginetest) sends is
// one the real engine sends too. The fake marshals the moby API types of
// go.mod (API 1.56), so on the newest engine this checks its newer shapes.

// rawEngine calls the engine at DOCKER_HOST (a unix socket) without the
// moby client's decoding.
type rawEngine struct {
	http    *http.Client
	base    string
	version string
}

func newRawEngine(t *testing.T) rawEngine {
	t.Helper()
	cli := enginetest.Client(t)
	host := os.Getenv("DOCKER_HOST")
	sock, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		t.Fatalf("DOCKER_HOST=%s: the shape check reads a unix socket", host)
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return rawEngine{http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, base: "http://docker", version: cli.ClientVersion()}
}

func (r rawEngine) get(t *testing.T, path string, q url.Values) *http.Response {
	t.Helper()
	u := r.base + "/v" + r.version + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := r.http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	return resp
}

func (r rawEngine) getJSON(t *testing.T, path string, q url.Values) any {
	t.Helper()
	resp := r.get(t, path, q)
	defer resp.Body.Close()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// paths lists the field paths of a JSON value: "State.Health.Log[].ExitCode".
// Map-valued fields whose keys are data (labels, attributes) stop at the map.
func paths(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			if dataMap[p] {
				continue
			}
			paths(val, p, out)
		}
	case []any:
		for _, el := range x {
			paths(el, prefix+"[]", out)
		}
	}
}

var dataMap = map[string]bool{
	"Config.Labels": true, "Labels": true, "Actor.Attributes": true, "Config.ExposedPorts": true,
	"Config.Volumes": true, "NetworkSettings.Networks": true, "NetworkSettings.Ports": true,
	"HostConfig.LogConfig.Config": true, "GraphDriver.Data": true, "HostConfig.Sysctls": true,
	"HostConfig.StorageOpt": true, "HostConfig.Tmpfs": true, "Config.OnBuild": true,
}

func pathSet(v any) map[string]bool {
	out := map[string]bool{}
	paths(v, "", out)
	return out
}

func missing(want []string, have map[string]bool) []string {
	var out []string
	for _, p := range want {
		if !have[p] {
			out = append(out, p)
		}
	}
	return out
}

func minus(a, b map[string]bool) []string {
	var out []string
	for p := range a {
		if !b[p] {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// What FromInspect, fromSummary and fromMessage read. Config.StopTimeout is
// read when set (RunContainer sets it below).
var (
	inspectReads = []string{"Id", "Name", "Config.Image", "Config.Labels", "Config.StopTimeout",
		"Config.Healthcheck.Test", "Config.Healthcheck.Interval", "Config.Healthcheck.Timeout", "Config.Healthcheck.Retries",
		"HostConfig.NetworkMode", "HostConfig.RestartPolicy.Name", "State.Status", "State.StartedAt",
		"State.Health.Status", "State.Health.FailingStreak", "State.Health.Log[].Start", "State.Health.Log[].End",
		"State.Health.Log[].ExitCode", "State.Health.Log[].Output"}
	listReads  = []string{"Id", "Names", "Image", "Labels", "State", "Status", "HostConfig.NetworkMode"}
	eventReads = []string{"Type", "Action", "Actor.ID", "Actor.Attributes", "time", "timeNano"}
)

func TestRealShapesMatchWhatWeReadAndTheFake(t *testing.T) {
	raw := newRawEngine(t)
	stop := 5
	c := enginetest.RunContainer(t, enginetest.Options{StopTimeout: &stop})
	since := time.Now().Add(-time.Second)
	enginetest.WaitHealth(t, c.ID, "healthy", 30*time.Second)
	enginetest.MustExec(t, c.ID, "/app", "sicken")
	enginetest.WaitHealth(t, c.ID, "unhealthy", 30*time.Second)
	until := time.Now().Add(time.Second)
	ver := raw.version
	t.Logf("engine API %s (negotiated by the client)", ver)

	inspect := pathSet(raw.getJSON(t, "/containers/"+c.ID+"/json", nil))
	if m := missing(inspectReads, inspect); len(m) > 0 {
		t.Errorf("API %s inspect lacks fields we read: %v", ver, m)
	}
	filters, _ := json.Marshal(map[string][]string{"id": {c.ID}})
	listRaw := raw.getJSON(t, "/containers/json", url.Values{"all": {"1"}, "filters": {string(filters)}})
	items, _ := listRaw.([]any)
	if len(items) != 1 {
		t.Fatalf("list: %d items, want 1", len(items))
	}
	list := pathSet(items[0])
	wantList := listReads
	// API 1.52 added the health object to the list; we read it when there.
	if versions.GreaterThanOrEqualTo(ver, "1.52") {
		wantList = append(wantList, "Health.Status", "Health.FailingStreak")
	} else if list["Health"] {
		t.Errorf("API %s list has a Health object: fromSummary's comment (1.52) is wrong", ver)
	}
	if m := missing(wantList, list); len(m) > 0 {
		t.Errorf("API %s list lacks fields we read: %v", ver, m)
	}

	// The health_status event, from the history (since/until end the stream).
	evFilters, _ := json.Marshal(map[string][]string{"container": {c.ID}, "type": {"container"}})
	resp := raw.get(t, "/events", url.Values{"since": {unix(since)}, "until": {unix(until)}, "filters": {string(evFilters)}})
	var health map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var actions []string
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("event %q: %v", sc.Text(), err)
		}
		a, _ := m["Action"].(string)
		actions = append(actions, a)
		if a == "health_status: unhealthy" && health == nil {
			health = m
		}
	}
	resp.Body.Close()
	if health == nil {
		t.Fatalf("no health_status: unhealthy event among %v", actions)
	}
	event := pathSet(health)
	if m := missing(eventReads, event); len(m) > 0 {
		t.Errorf("API %s event lacks fields we read: %v", ver, m)
	}
	if attrs, _ := health["Actor"].(map[string]any)["Attributes"].(map[string]any); attrs["name"] != c.Name {
		t.Errorf("event Actor.Attributes.name = %v, want %s", attrs["name"], c.Name)
	}
	t.Logf("API %s event fields: %v", ver, minus(event, nil))

	// The fake's inspect answer, as the moby API types of go.mod marshal it.
	fake := enginetest.NewFakeDaemon()
	defer fake.Close()
	fake.Add(enginetest.FakeContainer("f1", "fake-one", "unhealthy", time.Minute, time.Now(), map[string]string{"a": "b"}))
	fresp, err := fake.Server.Client().Get(fake.URL + "/v" + enginetest.FakeAPIVersion + "/containers/f1/json")
	if err != nil {
		t.Fatal(err)
	}
	var fakeRaw any
	err = json.NewDecoder(fresp.Body).Decode(&fakeRaw)
	fresp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	fakeInspect := pathSet(fakeRaw)
	if only := minus(fakeInspect, inspect); len(only) > 0 {
		t.Logf("API %s: fields the fake sends and this engine does not: %v", ver, only)
		if versions.GreaterThanOrEqualTo(ver, "1.52") {
			// The fake marshals this API's own types: it must not send
			// what the newest engine does not.
			t.Errorf("the fake's inspect has fields the API %s engine does not send: %v", ver, only)
		}
	}
	t.Logf("API %s: fields this engine sends and the fake does not: %v", ver, minus(inspect, fakeInspect))
}

func unix(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + "." + fmt.Sprintf("%09d", t.Nanosecond())
}
