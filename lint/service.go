package lint

import (
	"time"

	"github.com/docker-heal/docker-heal/lint/dockerfile"
)

// Kind says where a Service description came from.
type Kind int

const (
	KindCompose   Kind = iota // a compose service, with its local Dockerfile's image config
	KindContainer             // a running container, as the engine inspects it
)

// RestartPolicy is `restart:` or `deploy.restart_policy`, or the container's HostConfig.RestartPolicy.
type RestartPolicy struct {
	Name       string // no, always, unless-stopped, on-failure ("" when unset)
	MaxRetries int    // 0 = unbounded for on-failure
	FromDeploy bool   // set through deploy.restart_policy (Swarm-style condition)
}

// Ulimit is one ulimit; Soft and Hard are -1 for unlimited.
type Ulimit struct {
	Soft, Hard int64
}

// Mount is a bind, volume or tmpfs mount.
type Mount struct {
	Type   string // bind, volume, tmpfs, npipe
	Source string
	Target string
}

// Dependency is one depends_on entry of a compose service.
type Dependency struct {
	Service   string
	Condition string // service_started, service_healthy, service_completed_successfully
	Restart   bool
	Pos       Position
	// Target is the service depended on, when it is in the project.
	Target *Service
}

// Service is the normalised description one rule reads for a compose service
// and for a running container alike.
type Service struct {
	Kind    Kind
	Name    string // compose service name, or container name
	Project string
	// Pos is where the service is defined (its key in the compose file); for a
	// container created by compose, its compose file and service line when known.
	Pos   Position
	Image string
	// ImageConfig is the image's config: a local Dockerfile's final (or target)
	// stage for compose (Built), the looked-up image for a compose service
	// that runs one, the inspected image for a container; nil when unknown.
	ImageConfig *ImageConfig
	// Built is set for a compose service that builds a local Dockerfile.
	Built bool
	// HasBuild is set for a compose service with a build: section, whether
	// or not its Dockerfile could be read: its image: names the build's
	// output, not an image to pull.
	HasBuild bool
	// BuildUnread names what a build: section builds from when its
	// Dockerfile could not be read (not in this checkout, a remote context,
	// a file that does not parse): the Dockerfile's path relative to the
	// compose file's folder, or the remote context; "" otherwise.
	BuildUnread string
	build       *serviceBuild
	// Entrypoint and Command as the service sets them; nil means "inherit the image's".
	// For a container they are its Path and Args, split as the image set them.
	Entrypoint []string
	Command    []string
	// Init is nil when unset.
	Init *bool
	// Healthcheck is the service's own (compose) or the container's effective
	// healthcheck; nil when none is set at this level.
	Healthcheck *Healthcheck
	Restart     RestartPolicy
	MemLimit    int64 // bytes; 0 = none
	MemSwap     int64 // bytes; 0 = unset, -1 = unlimited
	MemReserve  int64
	CPUs        float64 // 0 = none
	CPUReserve  float64
	PidsLimit   int64 // 0 = none; -1 = unlimited
	LogDriver   string
	LogOptions  map[string]string
	Ulimits     map[string]Ulimit
	Privileged  bool
	// CapAdd are the capabilities added (cap_add, HostConfig.CapAdd), as written.
	CapAdd      []string
	Mounts      []Mount
	User        string
	Labels      map[string]string
	NetworkMode string
	// PidMode, IpcMode and UsernsMode are the pid:, ipc: and userns_mode:
	// namespaces ("host", "container:x", ...); "" when unset.
	PidMode    string
	IpcMode    string
	UsernsMode string
	DependsOn  []Dependency
	// OneShot marks a job (another service waits for it to complete,
	// restart: "no" is set explicitly, or it is a test runner: `sut`, or
	// nothing depends on it in a test compose file or test profile): health
	// and restart rules leave it alone.
	OneShot bool
	// Swarm is true for a Swarm task container; SwarmMode for a compose
	// service meant for `docker stack deploy`.
	Swarm bool
	// IgnoreRules are the rule ids `x-docker-heal: {ignore: [...]}` silences
	// (or a container's docker-heal.ignore label).
	IgnoreRules []string
	// Keys maps dotted compose key paths ("healthcheck.test",
	// "deploy.resources.limits.memory") to where they are written.
	Keys map[string]Position
	// sources are the compose files read, parsed, by path: fixes edit them.
	sources map[string]*sourceFile
	// StopGracePeriod is stop_grace_period, the time the engine waits after
	// the stop signal before SIGKILL; nil when unset (the engine's 10 s).
	StopGracePeriod *time.Duration
	// Ports are the container ports published on the host.
	Ports []Port
	// Env are the environment variables the compose file writes for the
	// service, read from the YAML itself; nil for a container.
	Env []EnvVar
}

// DefaultStopGracePeriod is the engine's wait between the stop signal and
// SIGKILL when a container sets none (moby's container.DefaultStopTimeout).
const DefaultStopGracePeriod = 10 * time.Second

// Port is one published port, as compose-go normalises ports: entries.
type Port struct {
	Target    uint32 // the container port
	Published string // the host port or range; "" for a random one
	HostIP    string // "" binds every interface of the host
	Protocol  string
	// HostIPUnknown is set when the entry's host IP is written as a
	// variable that had no value here: the deploy host may set it.
	HostIPUnknown bool
	// Pos is the entry in the ports: list, or the ports: key.
	Pos Position
}

// EnvVar is one environment entry as the compose file writes it.
type EnvVar struct {
	Name string
	// Value is the value after interpolation, as the container gets it.
	Value string
	// Literal is set when the value is written in the file as it is, with no
	// ${VAR} or $VAR interpolation in it (and no later file or env_file
	// changes it).
	Literal bool
	// Pos is where the value is written.
	Pos Position
}

// At returns the position of the first of the key paths that is written in
// the file, or the service's own position.
func (s *Service) At(paths ...string) Position {
	for _, p := range paths {
		if pos, ok := s.Keys[p]; ok {
			return pos
		}
	}
	return s.Pos
}

// EffectiveHealthcheck merges the service's healthcheck over its image's the
// way the engine does: a service that sets only timings keeps the image's test.
func (s *Service) EffectiveHealthcheck() *Healthcheck {
	var img *Healthcheck
	if s.ImageConfig != nil {
		img = s.ImageConfig.Healthcheck
	}
	own := s.Healthcheck
	switch {
	case own == nil:
		return img
	case own.Disabled || img == nil:
		return own
	}
	merged := *own
	if len(merged.Test) == 0 {
		merged.Test = img.Test
		merged.Disabled = img.Disabled
	}
	if merged.Interval == 0 {
		merged.Interval = img.Interval
	}
	if merged.Timeout == 0 {
		merged.Timeout = img.Timeout
	}
	if merged.StartPeriod == 0 {
		merged.StartPeriod = img.StartPeriod
	}
	if !merged.RetriesSet && img.RetriesSet {
		merged.Retries, merged.RetriesSet = img.Retries, true
	}
	return &merged
}

// Process returns the argv PID 1 runs (entrypoint + command, each falling back
// to the image's) and whether that came from a shell-form instruction.
func (s *Service) Process() (argv []string, shellForm bool) {
	ep, cmd := s.Entrypoint, s.Command
	var img ImageConfig
	if s.ImageConfig != nil {
		img = *s.ImageConfig
	}
	if ep == nil {
		ep = img.Entrypoint
		shellForm = img.EntrypointShell
		if cmd == nil {
			cmd = img.Cmd
			if len(ep) == 0 {
				shellForm = img.CmdShell
			}
		}
	}
	// Setting an entrypoint in compose resets the image's CMD, as the engine does.
	argv = append(append([]string{}, ep...), cmd...)
	return argv, shellForm
}

// Label returns a label's value, and whether it is set.
func (s *Service) Label(key string) (string, bool) {
	v, ok := s.Labels[key]
	return v, ok
}

// Follow is ImageConfig.Follow for what a compose service or container
// runs: files it bind-mounts from the host (./conf/start.sh:/start.sh)
// count over the image's.
func (s *Service) Follow(argv []string) (*ScriptFacts, ScriptStatus) {
	var binds []dockerfile.Bind
	for _, m := range s.Mounts {
		if m.Type == "bind" {
			binds = append(binds, dockerfile.Bind{Source: m.Source, Target: m.Target})
		}
	}
	return s.ImageConfig.FollowWithBinds(argv, binds)
}
