// Package dockerengine is the only package that talks to the Docker engine:
// it turns the moby client's API objects into our own types, heal.Container
// for status and once, lint.Service for audit. It works with Docker Engine
// 20.10 (API 1.41) and newer; the client negotiates the API version down.
package dockerengine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/bounded"
)

// DefaultCallTimeout bounds one engine call (list, inspect); restart and stop
// get their stop timeout on top.
const DefaultCallTimeout = 30 * time.Second

// DefaultConcurrency is how many inspects run at once when none is given.
const DefaultConcurrency = 16

// Engine implements heal.Engine over the moby client.
type Engine struct {
	api client.APIClient
	// CallTimeout bounds every call; zero means DefaultCallTimeout.
	CallTimeout time.Duration
}

var _ heal.Engine = (*Engine)(nil)

// New wraps the client dockerCli.Client() returns (or client.New's).
func New(api client.APIClient) *Engine { return &Engine{api: api} }

// Endpoint is the engine's address as the client uses it, e.g.
// unix:///var/run/docker.sock, with any password redacted; errors name it.
func (e *Engine) Endpoint() string { return Redact(e.api.DaemonHost()) }

func (e *Engine) callTimeout() time.Duration {
	if e.CallTimeout > 0 {
		return e.CallTimeout
	}
	return DefaultCallTimeout
}

// List returns the containers the list API gives, with the fields it carries.
// Before API 1.52 the list has no health object: Health then comes from the
// status text ("Up 3 minutes (unhealthy)"), FailingStreak stays 0, and callers
// that need probes, streaks or health settings Inspect the candidates.
func (e *Engine) List(ctx context.Context, opts heal.ListOptions) ([]heal.Container, error) {
	cctx, cancel := context.WithTimeout(ctx, e.callTimeout())
	defer cancel()
	filters := client.Filters{}
	for term, values := range opts.Filters {
		filters.Add(term, values...)
	}
	res, err := e.api.ContainerList(cctx, client.ContainerListOptions{All: opts.All, Filters: filters})
	if err != nil {
		return nil, e.wrap(ctx, err, "listing containers")
	}
	out := make([]heal.Container, 0, len(res.Items))
	for _, s := range res.Items {
		out = append(out, fromSummary(s))
	}
	return out, nil
}

func fromSummary(s container.Summary) heal.Container {
	c := heal.Container{
		ID:      s.ID,
		Image:   s.Image,
		Labels:  s.Labels,
		State:   string(s.State),
		Project: s.Labels[heal.LabelComposeProject],
		Service: s.Labels[heal.LabelComposeService],
	}
	if len(s.Names) > 0 {
		c.Name = strings.TrimPrefix(s.Names[0], "/")
	}
	if s.HostConfig.NetworkMode != "" {
		c.NetworkMode = s.HostConfig.NetworkMode
	}
	if s.Created > 0 {
		c.CreatedAt = time.Unix(s.Created, 0)
	}
	statusTimes(&c, s.Status, time.Now())
	if s.Health != nil {
		c.Health = string(s.Health.Status)
		c.FailingStreak = s.Health.FailingStreak
	} else {
		c.Health = healthFromStatus(s.Status)
	}
	if c.Health == "" {
		c.Health = heal.HealthNone
	}
	return c
}

// healthFromStatus reads the health the engine appends to a running
// container's status text (daemon container/state.go, since 1.12).
func healthFromStatus(status string) string {
	switch {
	case strings.HasSuffix(status, "(health: starting)"):
		return heal.HealthStarting
	case strings.HasSuffix(status, "(unhealthy)"):
		return heal.HealthUnhealthy
	case strings.HasSuffix(status, "(healthy)"):
		return heal.HealthHealthy
	}
	return heal.HealthNone
}

// statusTimes reads what the list's status text tells beyond the state (the
// list has no start or finish time, and no exit code): "Up 3 minutes",
// "Exited (137) 5 seconds ago", "Restarting (1) Less than a second ago"
// (daemon container/state.go, go-units HumanDuration). Times are as coarse
// as the text; observe only uses them to pick what to inspect.
func statusTimes(c *heal.Container, status string, now time.Time) {
	status = strings.TrimSpace(status)
	if rest, ok := strings.CutPrefix(status, "Up "); ok {
		if i := strings.Index(rest, " ("); i >= 0 {
			rest = rest[:i] // "(healthy)", "(Paused)"
		}
		if d, ok := parseHumanDuration(rest); ok {
			c.StartedAt = now.Add(-d)
		}
		return
	}
	for _, prefix := range []string{"Exited (", "Restarting ("} {
		rest, ok := strings.CutPrefix(status, prefix)
		if !ok {
			continue
		}
		code, rest, ok := strings.Cut(rest, ")")
		if !ok {
			return
		}
		if n, err := strconv.Atoi(code); err == nil {
			c.ExitCode = n
		}
		if d, ok := parseHumanDuration(strings.TrimSuffix(strings.TrimSpace(rest), " ago")); ok {
			c.FinishedAt = now.Add(-d)
		}
		return
	}
}

// parseHumanDuration reads go-units' HumanDuration, to its precision.
func parseHumanDuration(s string) (time.Duration, bool) {
	switch s {
	case "Less than a second":
		return 0, true
	case "About a minute":
		return time.Minute, true
	case "About an hour":
		return time.Hour, true
	}
	n, unit, ok := strings.Cut(s, " ")
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(n)
	if err != nil {
		return 0, false
	}
	units := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour,
		"day": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 30 * 24 * time.Hour, "year": 365 * 24 * time.Hour}
	d, ok := units[strings.TrimSuffix(unit, "s")]
	if !ok {
		return 0, false
	}
	return time.Duration(v) * d, true
}

// Inspect returns a container with every field filled (Inspected is true).
func (e *Engine) Inspect(ctx context.Context, idOrName string) (heal.Container, error) {
	ins, err := e.inspectRaw(ctx, idOrName)
	if err != nil {
		return heal.Container{}, err
	}
	return FromInspect(ins), nil
}

func (e *Engine) inspectRaw(ctx context.Context, idOrName string) (container.InspectResponse, error) {
	cctx, cancel := context.WithTimeout(ctx, e.callTimeout())
	defer cancel()
	res, err := e.api.ContainerInspect(cctx, idOrName, client.ContainerInspectOptions{})
	if err != nil {
		return container.InspectResponse{}, e.wrap(ctx, err, "inspecting container "+idOrName)
	}
	return res.Container, nil
}

// InspectMany inspects ids, at most concurrency at a time (0 means
// DefaultConcurrency), and returns them in the order given. A container that
// vanished since it was listed is left out; any other error stops the lot.
func (e *Engine) InspectMany(ctx context.Context, ids []string, concurrency int) ([]heal.Container, error) {
	raw, err := e.inspectMany(ctx, ids, concurrency)
	if err != nil {
		return nil, err
	}
	out := make([]heal.Container, 0, len(raw))
	for _, r := range raw {
		if r != nil {
			out = append(out, FromInspect(*r))
		}
	}
	return out, nil
}

// inspectMany returns one entry per id, nil for a container that vanished.
func (e *Engine) inspectMany(ctx context.Context, ids []string, concurrency int) ([]*container.InspectResponse, error) {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	out := make([]*container.InspectResponse, len(ids))
	err := bounded.Each(ctx, concurrency, len(ids), func(ctx context.Context, i int) error {
		ins, err := e.inspectRaw(ctx, ids[i])
		switch {
		case err == nil:
			out[i] = &ins
		case IsNotFound(err):
			// Removed between list and inspect: not ours to report.
		default:
			return err // the first failure cancels the others
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, e.wrap(ctx, ctx.Err(), "inspecting containers")
		}
		return nil, err
	}
	return out, nil
}

// Restart stops the container (SIGTERM, then SIGKILL after timeout) and
// starts it again. The call may take timeout plus the usual call bound.
func (e *Engine) Restart(ctx context.Context, id string, timeout time.Duration) error {
	cctx, cancel := context.WithTimeout(ctx, timeout+e.callTimeout())
	defer cancel()
	secs := stopSeconds(timeout)
	if _, err := e.api.ContainerRestart(cctx, id, client.ContainerRestartOptions{Timeout: &secs}); err != nil {
		return e.wrap(ctx, err, "restarting container "+id)
	}
	return nil
}

// Stop stops the container (SIGTERM, then SIGKILL after timeout).
func (e *Engine) Stop(ctx context.Context, id string, timeout time.Duration) error {
	cctx, cancel := context.WithTimeout(ctx, timeout+e.callTimeout())
	defer cancel()
	secs := stopSeconds(timeout)
	if _, err := e.api.ContainerStop(cctx, id, client.ContainerStopOptions{Timeout: &secs}); err != nil {
		return e.wrap(ctx, err, "stopping container "+id)
	}
	return nil
}

// stopSeconds rounds up: the API takes whole seconds, and 1.5s must not become 1s.
func stopSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// FromInspect turns an inspect response into a heal.Container, Inspected.
func FromInspect(ins container.InspectResponse) heal.Container {
	c := heal.Container{
		ID:        ins.ID,
		Name:      strings.TrimPrefix(ins.Name, "/"),
		Health:    heal.HealthNone,
		Inspected: true,
	}
	if cfg := ins.Config; cfg != nil {
		c.Image = cfg.Image
		c.Labels = cfg.Labels
		c.Project = cfg.Labels[heal.LabelComposeProject]
		c.Service = cfg.Labels[heal.LabelComposeService]
		if cfg.StopTimeout != nil {
			d := time.Duration(*cfg.StopTimeout) * time.Second
			c.StopTimeout = &d
		}
		// The engine merges the image's healthcheck into the container's
		// config at create time, so this is the one in force.
		if hc := cfg.Healthcheck; hc != nil && len(hc.Test) > 0 && !strings.EqualFold(hc.Test[0], "NONE") {
			c.HasHealthcheck = true
			c.Interval = orDefault(hc.Interval, 30*time.Second)
			c.Timeout = orDefault(hc.Timeout, 30*time.Second)
			c.StartPeriod = hc.StartPeriod
			c.Retries = hc.Retries
			if c.Retries == 0 {
				c.Retries = 3
			}
		}
	}
	if hc := ins.HostConfig; hc != nil {
		c.NetworkMode = string(hc.NetworkMode)
		c.RestartPolicy = string(hc.RestartPolicy.Name)
		if c.RestartPolicy == "" {
			c.RestartPolicy = "no"
		}
	}
	c.RestartCount = ins.RestartCount
	c.CreatedAt = parseTime(ins.Created)
	if st := ins.State; st != nil {
		c.State = string(st.Status)
		c.StartedAt = parseTime(st.StartedAt)
		c.FinishedAt = parseTime(st.FinishedAt)
		c.ExitCode = st.ExitCode
		c.OOMKilled = st.OOMKilled
		c.Error = st.Error
		if h := st.Health; h != nil {
			c.Health = string(h.Status)
			c.FailingStreak = h.FailingStreak
			for _, p := range h.Log {
				if p == nil {
					continue
				}
				c.Probes = append(c.Probes, heal.Probe{Start: p.Start, End: p.End, ExitCode: p.ExitCode, Output: p.Output})
			}
		}
	}
	if c.Health == "" {
		c.Health = heal.HealthNone
	}
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// parseTime reads the engine's RFC 3339 times; "0001-01-01T00:00:00Z" (never) is zero.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// IsNotFound reports whether err says the container (or image) does not exist.
func IsNotFound(err error) bool { return errors.Is(err, heal.ErrNotFound) || cerrdefs.IsNotFound(err) }

// notFoundError is a 404 from the engine; it is heal.ErrNotFound too, so
// heal's executor can tell a vanished container without importing us.
type notFoundError struct {
	what string
	err  error
}

func (e *notFoundError) Error() string   { return e.what + ": " + e.err.Error() }
func (e *notFoundError) Unwrap() []error { return []error{heal.ErrNotFound, e.err} }

// removingError is the engine refusing because the container is being
// removed; it is heal.ErrRemoving too.
type removingError struct {
	what, endpoint string
	err            error
}

func (e *removingError) Error() string {
	return e.what + " on " + e.endpoint + ": " + e.err.Error()
}
func (e *removingError) Unwrap() []error { return []error{heal.ErrRemoving, e.err} }

// isRemoving reads the engine's words for a container being removed. They
// come as a 409 Conflict (start, delete) or, from restart, as a 500 whose
// text wraps the start's (daemon/restart.go formats it with %v, so the
// Conflict type is lost): the text is all there is, on 20.10 to 29.
func isRemoving(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "marked for removal") ||
		(strings.Contains(msg, "removal of container") && strings.Contains(msg, "already in progress"))
}

// UnreachableError is the engine not answering at all: nothing listens on the
// endpoint, the socket refuses us, or the engine does not answer in time.
type UnreachableError struct {
	Endpoint string
	// Reason is short: "permission denied", "not running?", "no answer within 30s".
	Reason string
	Hint   string
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the Docker engine at %s: %s (%s)", e.Endpoint, e.Reason, e.Hint)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// IsUnreachable reports whether err is an UnreachableError.
func IsUnreachable(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u)
}

// wrap turns client errors into one-line errors that say what failed, where,
// and what to do; NotFound stays detectable with IsNotFound.
// ctx is the caller's, not the call's own timed one.
func (e *Engine) wrap(ctx context.Context, err error, what string) error {
	endpoint := e.Endpoint()
	msg := err.Error()
	switch {
	case client.IsErrConnectionFailed(err) && strings.Contains(msg, "permission denied"):
		return &UnreachableError{Endpoint: endpoint, Reason: "permission denied on the socket", Err: err,
			Hint: "run as a member of the docker group, use sudo, or point DOCKER_HOST at an engine you may use"}
	case client.IsErrConnectionFailed(err):
		return &UnreachableError{Endpoint: endpoint, Reason: "is the engine running?", Err: err,
			Hint: "start it, or set DOCKER_HOST, --host or the docker context to the right engine"}
	case ctx.Err() != nil:
		// The caller gave up (interrupt, --wait deadline): not the engine's fault.
		return fmt.Errorf("%s: %w", what, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		return &UnreachableError{Endpoint: endpoint, Reason: what + ": no answer in time", Err: err,
			Hint: "the engine may be overloaded or hung; check `docker info`"}
	case IsNotFound(err):
		return &notFoundError{what: what, err: err}
	case isRemoving(err):
		return RedactError(&removingError{what: what, endpoint: endpoint, err: err})
	}
	return RedactError(fmt.Errorf("%s on %s: %w", what, endpoint, err))
}

// CheckClientOptions reports whether a client can be made with opts (as the
// docker CLI's context endpoint gives them): a host the client cannot parse
// is caught here, before any call.
func CheckClientOptions(opts ...client.Opt) error {
	c, err := client.New(opts...)
	if err != nil {
		return err
	}
	return c.Close()
}
