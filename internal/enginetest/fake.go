package enginetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// FakeAPIVersion is what the fake daemon speaks: Docker Engine 20.10's.
const FakeAPIVersion = "1.41"

// FakeDaemon is an httptest Docker engine that answers like dockerd 20.10
// (API 1.41: the container list carries no health object, only the status
// text) for the calls status, audit and once make. It counts calls, can make
// containers vanish between list and inspect, and can fail or slow down.
type FakeDaemon struct {
	*httptest.Server

	mu         sync.Mutex
	containers []container.InspectResponse
	images     map[string]image.InspectResponse
	vanished   map[string]bool // listed, but inspect says 404
	// FailWith, when set, makes every /containers and /images call answer
	// this status code with an error message.
	FailWith int
	// Delay is added to every answer but /_ping.
	Delay time.Duration
	// RestartError, when its Code is set, is the answer to every restart:
	// e.g. 500 "Cannot restart container x: container is marked for removal
	// and cannot be started", what an engine says when `docker rm -f` lands
	// during the restart.
	RestartError struct {
		Code    int
		Message string
	}

	calls atomic.Int64
	byKey sync.Map // "GET /containers/{id}/json" -> *atomic.Int64
	// Restarted and Stopped record the ids of those calls, with their ?t=.
	Restarted, Stopped []string
}

// NewFakeDaemon starts a fake engine; Close it when done (or use t.Cleanup).
func NewFakeDaemon() *FakeDaemon {
	f := &FakeDaemon{images: map[string]image.InspectResponse{}, vanished: map[string]bool{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// Client returns a moby client for the fake that negotiates the API version
// as dockerCli's does.
func (f *FakeDaemon) Client() *client.Client {
	c, err := client.New(client.WithHost("tcp://"+f.Listener.Addr().String()), client.WithHTTPClient(f.Server.Client()))
	if err != nil {
		panic(err) // only a malformed host can fail here, and ours is not
	}
	return c
}

// Add stores containers (as inspect returns them).
func (f *FakeDaemon) Add(cs ...container.InspectResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers = append(f.containers, cs...)
}

// Update changes a stored container in place (health turning, a restart).
func (f *FakeDaemon) Update(id string, change func(c *container.InspectResponse)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.containers {
		if f.containers[i].ID == id {
			change(&f.containers[i])
		}
	}
}

// AddImage stores an image under its ID and its tags.
func (f *FakeDaemon) AddImage(img image.InspectResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.images[img.ID] = img
	for _, tag := range img.RepoTags {
		f.images[tag] = img
	}
}

// Vanish makes a container still listed but gone for inspect (404), as when
// it is removed between the two calls.
func (f *FakeDaemon) Vanish(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vanished[id] = true
}

// Calls is the number of API calls served (pings included).
func (f *FakeDaemon) Calls() int64 { return f.calls.Load() }

// CallsTo counts one kind of call, e.g. "GET /containers/json" or
// "GET /containers/{id}/json".
func (f *FakeDaemon) CallsTo(key string) int64 {
	if v, ok := f.byKey.Load(key); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// ResetCalls zeroes the counters.
func (f *FakeDaemon) ResetCalls() {
	f.calls.Store(0)
	f.byKey.Range(func(k, _ any) bool { f.byKey.Delete(k); return true })
}

func (f *FakeDaemon) count(key string) {
	f.calls.Add(1)
	v, _ := f.byKey.LoadOrStore(key, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

var versioned = regexp.MustCompile(`^/v([0-9.]+)(/.*)$`)

func (f *FakeDaemon) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Api-Version", FakeAPIVersion)
	w.Header().Set("Server", "Docker/20.10.24 (linux) fake")
	p := r.URL.Path
	if m := versioned.FindStringSubmatch(p); m != nil {
		if m[1] != FakeAPIVersion {
			// dockerd 20.10 refuses newer clients that did not negotiate.
			f.count(r.Method + " (bad version)")
			apiError(w, http.StatusBadRequest, fmt.Sprintf("client version %s is too new. Maximum supported API version is %s", m[1], FakeAPIVersion))
			return
		}
		p = m[2]
	}
	if p == "/_ping" {
		f.count(r.Method + " /_ping")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("OK"))
		return
	}
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case r.Method == http.MethodGet && p == "/containers/json":
		f.count("GET /containers/json")
		if f.fail(w) {
			return
		}
		f.list(w, r.URL.Query())
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "containers" && parts[2] == "json":
		f.count("GET /containers/{id}/json")
		if f.fail(w) {
			return
		}
		c, ok := f.find(parts[1])
		if !ok {
			apiError(w, http.StatusNotFound, "No such container: "+parts[1])
			return
		}
		writeJSON(w, c)
	case r.Method == http.MethodGet && len(parts) >= 3 && parts[0] == "images" && parts[len(parts)-1] == "json":
		f.count("GET /images/{id}/json")
		if f.fail(w) {
			return
		}
		name, _ := url.PathUnescape(strings.Join(parts[1:len(parts)-1], "/"))
		f.mu.Lock()
		img, ok := f.images[name]
		f.mu.Unlock()
		if !ok {
			apiError(w, http.StatusNotFound, "No such image: "+name)
			return
		}
		writeJSON(w, img)
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "containers" && (parts[2] == "restart" || parts[2] == "stop"):
		f.count("POST /containers/{id}/" + parts[2])
		if f.fail(w) {
			return
		}
		c, ok := f.find(parts[1])
		if !ok {
			apiError(w, http.StatusNotFound, "No such container: "+parts[1])
			return
		}
		f.mu.Lock()
		restartErr := f.RestartError
		f.mu.Unlock()
		if parts[2] == "restart" && restartErr.Code != 0 {
			apiError(w, restartErr.Code, restartErr.Message)
			return
		}
		f.mu.Lock()
		rec := c.ID + " t=" + r.URL.Query().Get("t")
		if parts[2] == "restart" {
			f.Restarted = append(f.Restarted, rec)
		} else {
			f.Stopped = append(f.Stopped, rec)
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		f.count(r.Method + " (unknown)")
		apiError(w, http.StatusNotFound, "page not found")
	}
}

func (f *FakeDaemon) fail(w http.ResponseWriter) bool {
	if f.FailWith == 0 {
		return false
	}
	apiError(w, f.FailWith, "fake daemon told to fail")
	return true
}

// find resolves an id, an id prefix or a name, as the engine does.
func (f *FakeDaemon) find(ref string) (container.InspectResponse, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		if f.vanished[c.ID] {
			continue
		}
		if c.ID == ref || strings.TrimPrefix(c.Name, "/") == ref || (len(ref) >= 4 && strings.HasPrefix(c.ID, ref)) {
			return c, true
		}
	}
	return container.InspectResponse{}, false
}

// list answers /containers/json in the 1.41 shape, with the filters status,
// once and the tests use: label, name, id, health, status.
func (f *FakeDaemon) list(w http.ResponseWriter, q url.Values) {
	var filters map[string]map[string]bool
	if raw := q.Get("filters"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &filters); err != nil {
			apiError(w, http.StatusBadRequest, "invalid filter: "+err.Error())
			return
		}
	}
	all := q.Get("all") == "1" || q.Get("all") == "true"
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []summary141{}
	for _, c := range f.containers {
		// Without all, the engine lists what runs: restarting and paused too.
		if c.State == nil || (!all && c.State.Status != container.StateRunning && c.State.Status != container.StateRestarting && c.State.Status != container.StatePaused) {
			continue
		}
		if !matchFilters(c, filters) {
			continue
		}
		out = append(out, summarize(c))
	}
	writeJSON(w, out)
}

func matchFilters(c container.InspectResponse, filters map[string]map[string]bool) bool {
	for term, values := range filters {
		ok := false
		for v := range values {
			switch term {
			case "label":
				k, val, hasVal := strings.Cut(v, "=")
				got, set := c.Config.Labels[k]
				ok = set && (!hasVal || got == val)
			case "name":
				ok = strings.Contains(c.Name, v)
			case "id":
				ok = strings.HasPrefix(c.ID, v)
			case "status":
				ok = string(c.State.Status) == v
			case "health":
				h := string(container.NoHealthcheck)
				if c.State.Health != nil {
					h = string(c.State.Health.Status)
				}
				ok = h == v
			default:
				ok = true // not modelled: let it through
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// summary141 is a /containers/json item as API 1.41 sends it (no Health).
type summary141 struct {
	ID         string `json:"Id"`
	Names      []string
	Image      string
	ImageID    string
	Command    string
	Created    int64
	Ports      []any
	Labels     map[string]string
	State      string
	Status     string
	HostConfig struct{ NetworkMode string }
	Mounts     []container.MountPoint
}

func summarize(c container.InspectResponse) summary141 {
	s := summary141{ID: c.ID, Names: []string{c.Name}, Image: c.Config.Image, ImageID: c.Image, Labels: c.Config.Labels, State: string(c.State.Status), Ports: []any{}, Mounts: c.Mounts}
	if s.Mounts == nil {
		s.Mounts = []container.MountPoint{}
	}
	if c.HostConfig != nil {
		s.HostConfig.NetworkMode = string(c.HostConfig.NetworkMode)
	}
	if created, err := time.Parse(time.RFC3339Nano, c.Created); err == nil {
		s.Created = created.Unix()
	}
	s.Command = strings.TrimSpace(c.Path + " " + strings.Join(c.Args, " "))
	switch c.State.Status {
	case container.StateRunning:
		s.Status = "Up 5 minutes"
		if h := c.State.Health; h != nil {
			switch h.Status {
			case container.Starting:
				s.Status += " (health: starting)"
			default:
				s.Status += " (" + string(h.Status) + ")"
			}
		}
	case container.StateExited:
		s.Status = fmt.Sprintf("Exited (%d) 2 minutes ago", c.State.ExitCode)
	case container.StateRestarting:
		s.Status = fmt.Sprintf("Restarting (%d) 2 seconds ago", c.State.ExitCode)
	default:
		s.Status = string(c.State.Status)
	}
	return s
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// FakeContainer builds an inspect response the way dockerd 20.10 fills one
// for the test app: running, started `up` ago, with the image's healthcheck
// merged in unless health is "none". health is none, starting, healthy or
// unhealthy; streak and probe output shape State.Health.
func FakeContainer(id, name, health string, up time.Duration, now time.Time, labels map[string]string) container.InspectResponse {
	started := now.Add(-up)
	c := container.InspectResponse{
		ID:      id,
		Name:    "/" + name,
		Created: started.Add(-time.Second).UTC().Format(time.RFC3339Nano),
		Path:    "/app",
		Args:    []string{},
		Image:   "sha256:" + strings.Repeat("a", 64),
		State: &container.State{
			Status:     container.StateRunning,
			Running:    true,
			Pid:        4242,
			StartedAt:  started.UTC().Format(time.RFC3339Nano),
			FinishedAt: "0001-01-01T00:00:00Z",
		},
		HostConfig: &container.HostConfig{
			NetworkMode:   "none",
			RestartPolicy: container.RestartPolicy{Name: "no"},
			LogConfig:     container.LogConfig{Type: "json-file", Config: map[string]string{}},
		},
		Config: &container.Config{
			Image:      Image,
			Labels:     labels,
			Entrypoint: []string{"/app"},
			Healthcheck: &container.HealthConfig{
				Test: []string{"CMD", "/app", "probe"}, Interval: time.Second, Timeout: 3 * time.Second, Retries: 2,
			},
		},
	}
	if c.Config.Labels == nil {
		c.Config.Labels = map[string]string{}
	}
	switch health {
	case "none":
		c.Config.Healthcheck.Test = []string{"NONE"}
	case "starting":
		c.State.Health = &container.Health{Status: container.Starting}
	case "healthy":
		c.State.Health = &container.Health{Status: container.Healthy, Log: []*container.HealthcheckResult{
			{Start: now.Add(-2 * time.Second), End: now.Add(-2*time.Second + 3*time.Millisecond), ExitCode: 0, Output: "ok: up 300s\n"},
		}}
	case "unhealthy":
		c.State.Health = &container.Health{Status: container.Unhealthy, FailingStreak: 7, Log: []*container.HealthcheckResult{
			{Start: now.Add(-3 * time.Second), End: now.Add(-3*time.Second + 3*time.Millisecond), ExitCode: 1, Output: "sick: made sick by `app sicken`\n"},
			{Start: now.Add(-2 * time.Second), End: now.Add(-2*time.Second + 3*time.Millisecond), ExitCode: 1, Output: "sick: made sick by `app sicken`\nsecond line\n"},
		}}
	}
	return c
}
