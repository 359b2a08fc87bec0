// Package heal is the recovery logic: what a container looks like to us,
// the policy, the state kept between runs, Decide (a pure function from a
// snapshot to a Plan), and the Runner that sequences one round through
// observe -> decide -> execute -> record. Every side effect goes through a
// small interface (Engine, StateStore, Notifier, MetricsSink, AuditLog,
// Clock): heal/store writes the files and posts the webhooks,
// internal/dockerengine talks to Docker; heal itself opens no file and no
// connection (imports_test.go checks).
package heal

import (
	"context"
	"errors"
	"time"
)

// Probe is one healthcheck result as the engine keeps it.
type Probe struct {
	Start    time.Time `json:"time"`
	End      time.Time `json:"-"`
	ExitCode int       `json:"exit_code"`
	Output   string    `json:"output"`
}

// Health values as the engine reports them; HealthNone when the container has
// no healthcheck.
const (
	HealthNone      = "none"
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// Container is what status and once need to know of one container. The
// dockerengine adapter fills it from the list and inspect APIs.
type Container struct {
	ID      string
	Name    string // without the leading slash
	Image   string
	Project string // com.docker.compose.project
	Service string // com.docker.compose.service
	Labels  map[string]string
	// State is the engine's: created, running, paused, restarting, removing, exited, dead.
	State         string
	Health        string // HealthNone, HealthStarting, HealthHealthy, HealthUnhealthy
	FailingStreak int
	// Probes are the last results the engine keeps (at most 5), oldest first.
	Probes    []Probe
	StartedAt time.Time
	// Healthcheck settings in force (the container's own or its image's).
	HasHealthcheck bool
	Interval       time.Duration
	Timeout        time.Duration
	StartPeriod    time.Duration
	Retries        int
	// StopTimeout is the container's own (compose stop_grace_period); nil = engine default (10s).
	StopTimeout *time.Duration
	// NetworkMode is HostConfig.NetworkMode, e.g. "container:<id>" for a shared namespace.
	NetworkMode   string
	RestartPolicy string
	// RestartCount is the engine's: how often its restart policy restarted
	// the container since it was last started by hand (docker start or
	// restart, or docker heal, reset it to 0; daemon/monitor.go counts it).
	RestartCount int
	// CreatedAt is when the container was created.
	CreatedAt time.Time
	// FinishedAt is when its process last exited (zero: never).
	FinishedAt time.Time
	// ExitCode is the last exit's code while it is exited or restarting;
	// the engine sets it to 0 when the container starts again.
	ExitCode int
	// OOMKilled is the engine's flag: the kernel's OOM killer ended a process
	// of the container. Engine 20.10 keeps it from the last exit until the
	// next one, across a restart; newer engines clear it at start and set it
	// as soon as the oom event comes.
	OOMKilled bool
	// DiedWith is the last exit's code when the engine no longer shows it
	// (it is running again): from the die event watch saw, or the exit
	// once or watch recorded. nil when unknown.
	DiedWith *int
	// Error is the engine's error for the last start (e.g. "exec: \"x\":
	// executable file not found in $PATH").
	Error string
	// Inspected is true once the fields only inspect gives (Probes, StartedAt,
	// Healthcheck, StopTimeout, NetworkMode, RestartCount, OOMKilled) are
	// filled. A listed container has State, Health, and ExitCode,
	// StartedAt and FinishedAt as the list's status text tells them
	// ("Exited (137) 5 minutes ago": to the minute).
	Inspected bool
}

// LastProbe returns the newest probe result, or nil.
func (c *Container) LastProbe() *Probe {
	if len(c.Probes) == 0 {
		return nil
	}
	return &c.Probes[len(c.Probes)-1]
}

// OOMHistory is what an Engine tells besides (status's engine too): the
// times of the engine's recent oom events by container id. The OOMKilled flag of inspect is racy
// on Engine 20.10; the event is not.
type OOMHistory interface {
	OOMKills(ctx context.Context, since time.Time) (map[string][]time.Time, error)
}

// MarkOOM sets c.OOMKilled when one of the oom event times is its: within
// oomSlack of its last exit (the kill ended it), or during its current run
// on an engine that keeps it running (a child process was killed).
func MarkOOM(c *Container, times []time.Time) {
	for _, at := range times {
		nearExit := !c.FinishedAt.IsZero() && at.Sub(c.FinishedAt).Abs() <= oomSlack
		inRun := c.State == "running" && !c.StartedAt.IsZero() && !at.Before(c.StartedAt) && c.FinishedAt.Before(c.StartedAt)
		if nearExit || inRun {
			c.OOMKilled = true
			return
		}
	}
}

// oomSlack is how far apart an oom event and the exit it caused may be.
const oomSlack = 5 * time.Second

// ListOptions selects containers to list.
type ListOptions struct {
	All bool // include stopped containers
	// Filters is docker's filter syntax: {"label": ["a=b"], "health": ["unhealthy"], "name": ["x"]}.
	Filters map[string][]string
}

// Engine is what heal needs from a Docker engine, in our own types. The
// dockerengine package implements it over the moby client; tests fake it.
type Engine interface {
	List(ctx context.Context, opts ListOptions) ([]Container, error)
	Inspect(ctx context.Context, idOrName string) (Container, error)
	// Restart stops (waiting up to timeout for the process to exit, then
	// killing it) and starts the container.
	Restart(ctx context.Context, id string, timeout time.Duration) error
	Stop(ctx context.Context, id string, timeout time.Duration) error
	// WatchStops counts the container's stop events from now until done is
	// called, so that a restart notices an operator's `docker stop` landing
	// while it is in flight (our own restart's stop counts as one). It is
	// part of Engine, not an optional interface, so that a wrapper that
	// embeds an Engine forwards it and cannot hide it (issue 18: watch's
	// stopwatch wrapper did, and undid operators' stops). An engine that
	// cannot follow events returns ErrStopsUnwatched.
	WatchStops(ctx context.Context, id string) (done func(restarted bool) (stops int), err error)
	// OOMHistory is part of Engine for the same reason: a wrapper cannot
	// hide it. An engine that keeps none returns nil, nil.
	OOMHistory
}

// ErrStopsUnwatched is what an Engine that cannot follow stop events
// returns from WatchStops: a restart then proceeds without the check.
var ErrStopsUnwatched = errors.New("this engine cannot follow stop events")
