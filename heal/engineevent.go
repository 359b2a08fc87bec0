package heal

import "time"

// EngineEventKind is what happened: a container event watch follows, or a
// change of the event stream's connection.
type EngineEventKind string

// Container events watch follows, and the stream's own.
const (
	EventHealthStatus EngineEventKind = "health_status"
	EventStart        EngineEventKind = "start"
	EventDie          EngineEventKind = "die"
	// EventOOM: the kernel's OOM killer ended a process of the container
	// (a die with exit code 137 usually follows).
	EventOOM     EngineEventKind = "oom"
	EventDestroy EngineEventKind = "destroy"
	EventPause   EngineEventKind = "pause"
	EventUnpause EngineEventKind = "unpause"
	// StreamConnected: the subscription is (re)made; events may have been
	// missed before it, so the watcher resyncs.
	StreamConnected EngineEventKind = "connected"
	// StreamDisconnected: the stream broke (Err says why); reconnecting.
	StreamDisconnected EngineEventKind = "disconnected"
)

// EngineEvent is one event from the engine's stream, in our own terms. It
// only says which container to look at; decisions come from a fresh
// observation.
type EngineEvent struct {
	Kind EngineEventKind
	ID   string
	Name string
	// Health is set for EventHealthStatus: healthy, unhealthy or starting.
	Health string
	// ExitCode is set for EventDie: the exitCode attribute.
	ExitCode int
	// Time is when the engine says it happened.
	Time time.Time
	// Err is why the stream broke, for StreamDisconnected.
	Err error
}

// FollowOptions tunes an event source's Follow.
type FollowOptions struct {
	// Filters narrow the events as in `docker events --filter` (label=…);
	// type=container and the watched actions are always added.
	Filters map[string][]string
	// ReconnectMin and ReconnectMax bound the backoff between reconnects.
	ReconnectMin, ReconnectMax time.Duration
}
