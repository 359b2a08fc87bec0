package heal

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker-heal/docker-heal/internal/labels"
)

// Action is what a policy tells us to do with an unhealthy container.
type Action string

// Actions a docker-heal.action label may ask for.
const (
	ActionRestart Action = "restart"
	ActionStop    Action = "stop"
	ActionNotify  Action = "notify"
)

// Policy is the recovery policy of one run: flags, config file and defaults.
// Labels refine it per container (see ContainerPolicy).
type Policy struct {
	// All acts on every container not labelled docker-heal.enable=false;
	// otherwise only on those labelled docker-heal.enable=true (or autoheal=true).
	All bool
	// MinUnhealthy: act only once a container has been seen unhealthy this long, across runs.
	MinUnhealthy time.Duration
	// MaxRestarts restarts per Window; beyond it the circuit opens.
	MaxRestarts int
	Window      time.Duration
	// Backoff is the wait after the first restart, doubled after each further
	// restart in the window, capped at BackoffMax.
	Backoff    time.Duration
	BackoffMax time.Duration
	// MaxPerRun caps restarts and stops in one run: a storm guard.
	MaxPerRun int
	// Concurrency is how many restarts run at once.
	Concurrency int
	// Grace, when longer than a container's healthcheck start period, is the
	// time after StartedAt during which it is left alone.
	Grace time.Duration
	// StopTimeout, when set, replaces the containers' own stop timeout (labels still win).
	StopTimeout time.Duration
	// MaxStopTimeout caps every stop timeout (label, --stop-timeout or the
	// container's own), so one container cannot hold a round for hours; 0
	// means no cap.
	MaxStopTimeout time.Duration
	// RestartMargin is how much longer than the stop timeout we wait for a restart call.
	RestartMargin time.Duration
	// Scope, when set, limits the round to the containers matching these
	// docker filters (label=, name=...); state entries are then never pruned,
	// since containers outside the scope are not seen.
	Scope map[string][]string
}

// DefaultRestartMargin is how much longer than a stop timeout a restart
// call is given, when the policy sets no RestartMargin.
const DefaultRestartMargin = 30 * time.Second

// DefaultMaxStopTimeout is --max-stop-timeout's default.
const DefaultMaxStopTimeout = 2 * time.Minute

// DefaultStopTimeout is the engine's own default when a container sets none.
const DefaultStopTimeout = 10 * time.Second

// DefaultPolicy returns the documented defaults.
func DefaultPolicy() Policy {
	return Policy{
		MaxRestarts:    3,
		Window:         time.Hour,
		Backoff:        time.Minute,
		BackoffMax:     30 * time.Minute,
		MaxPerRun:      10,
		Concurrency:    4,
		RestartMargin:  DefaultRestartMargin,
		MaxStopTimeout: DefaultMaxStopTimeout,
	}
}

// WithDefaults fills what a policy built from flags and a config file may
// leave unset: BackoffMax (never below Backoff) and RestartMargin. The one
// place those defaults are applied; the Runner and the Executor call it.
func (p Policy) WithDefaults() Policy {
	if p.BackoffMax == 0 {
		p.BackoffMax = DefaultPolicy().BackoffMax
	}
	if p.BackoffMax < p.Backoff {
		p.BackoffMax = p.Backoff
	}
	if p.RestartMargin == 0 {
		p.RestartMargin = DefaultRestartMargin
	}
	return p
}

// Validate reports the first setting that cannot work, naming it as a flag.
func (p Policy) Validate() error {
	switch {
	case p.MinUnhealthy < 0:
		return errors.New("--min-unhealthy must not be negative")
	case p.MaxRestarts < 1:
		return errors.New("--max-restarts must be at least 1")
	case p.Window <= 0:
		return errors.New("--window must be positive, e.g. 1h")
	case p.Backoff < 0:
		return errors.New("--backoff must not be negative")
	case p.BackoffMax < p.Backoff:
		return fmt.Errorf("backoff-max (%s) must not be shorter than --backoff (%s)", p.BackoffMax, p.Backoff)
	case p.MaxPerRun < 1:
		return errors.New("--max-per-run must be at least 1")
	case p.Concurrency < 1:
		return errors.New("--concurrency must be at least 1")
	case p.Grace < 0:
		return errors.New("--grace must not be negative")
	case p.StopTimeout < 0:
		return errors.New("--stop-timeout must not be negative")
	case p.MaxStopTimeout < 0:
		return errors.New("--max-stop-timeout must not be negative (0 means no cap)")
	case p.RestartMargin < 0:
		return errors.New("restart margin must not be negative")
	}
	return nil
}

// BackoffAfter is the wait before the next restart when n restarts already
// happened in the window: none for the first, then Backoff, 2×, 4×… capped.
func (p Policy) BackoffAfter(n int) time.Duration {
	if n <= 0 || p.Backoff <= 0 {
		return 0
	}
	d := p.Backoff
	for i := 1; i < n; i++ {
		d *= 2
		if d >= p.BackoffMax {
			return p.BackoffMax
		}
	}
	if d > p.BackoffMax {
		return p.BackoffMax
	}
	return d
}

// ContainerPolicy is the policy for one container once its labels are read.
type ContainerPolicy struct {
	Enabled     bool
	Action      Action
	MaxRestarts int
	// StopTimeout to pass to the engine: label, else --stop-timeout, else the
	// container's own, else the engine default.
	StopTimeout time.Duration
	// StopTimeoutAsked is the stop timeout asked for when MaxStopTimeout
	// capped it (reported), else 0.
	StopTimeoutAsked time.Duration
	// RestartWith lists the compose services (or container names) this one is
	// restarted after (docker-heal.restart-with, comma-separated).
	RestartWith []string
	// Problem explains a label we could not read; the container is then left alone.
	Problem string
}

// ParseBool reads a label boolean, case-insensitively: true/false, yes/no,
// on/off, 1/0. It is internal/labels' parser, the one lint reads labels with too.
func ParseBool(s string) (value, ok bool) { return labels.ParseBool(s) }

// parseSeconds reads a stop timeout label: a Go duration ("30s", "1m") or a
// plain number of seconds as autoheal and docker use.
func parseSeconds(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a number of seconds or a duration like 30s", s)
	}
	return d, nil
}

// PolicyFor reads c's labels over p.
func (p Policy) PolicyFor(c Container) ContainerPolicy {
	cp := ContainerPolicy{Enabled: p.All, Action: ActionRestart, MaxRestarts: p.MaxRestarts}
	problem := func(format string, args ...any) {
		if cp.Problem == "" {
			cp.Problem = fmt.Sprintf(format, args...)
		}
	}
	if enabled, set, valid := labels.OptIn(c.Labels); set {
		if !valid {
			problem("label %s=%q is not a boolean (true or false)", LabelEnable, c.Labels[LabelEnable])
		}
		cp.Enabled = enabled
	}
	if v, ok := c.Labels[LabelMaxRestarts]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			problem("label %s=%q must be a whole number of at least 1", LabelMaxRestarts, v)
		} else {
			cp.MaxRestarts = n
		}
	}
	if v, ok := c.Labels[LabelAction]; ok {
		switch a := Action(strings.ToLower(strings.TrimSpace(v))); a {
		case ActionRestart, ActionStop, ActionNotify:
			cp.Action = a
		default:
			problem("label %s=%q must be restart, stop or notify", LabelAction, v)
		}
	}
	cp.StopTimeout = DefaultStopTimeout
	if c.StopTimeout != nil {
		cp.StopTimeout = *c.StopTimeout
	}
	if p.StopTimeout > 0 {
		cp.StopTimeout = p.StopTimeout
	}
	for _, key := range []string{LabelAutohealStopTimeout, LabelStopTimeout} { // the second wins
		if v, ok := c.Labels[key]; ok {
			d, err := parseSeconds(v)
			if err != nil {
				problem("label %s: %v", key, err)
				continue
			}
			cp.StopTimeout = d
		}
	}
	if p.MaxStopTimeout > 0 && cp.StopTimeout > p.MaxStopTimeout {
		cp.StopTimeoutAsked, cp.StopTimeout = cp.StopTimeout, p.MaxStopTimeout
	}
	if v := c.Labels[LabelRestartWith]; v != "" {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				cp.RestartWith = append(cp.RestartWith, s)
			}
		}
	}
	return cp
}

// IsSwarmTask is true for containers Swarm manages: it replaces unhealthy tasks itself.
func IsSwarmTask(c Container) bool { return c.Labels[LabelSwarmTask] != "" }

// IsKubernetes is true for containers a kubelet manages.
func IsKubernetes(c Container) bool {
	for k := range c.Labels {
		if strings.HasPrefix(k, labelKubernetesPrefix) {
			return true
		}
	}
	return false
}

// exclusion says why a container must never be touched whatever its health,
// or "" when it may be.
func exclusion(c Container) string {
	switch {
	case IsSwarmTask(c):
		return "Swarm task (Swarm replaces unhealthy tasks itself)"
	case IsKubernetes(c):
		return "managed by Kubernetes"
	}
	switch c.State {
	case "running", "":
		return ""
	case "paused":
		return "paused"
	case "restarting":
		return "restarting"
	default:
		return c.State + " (docker heal never starts what was stopped)"
	}
}

// Selectable is the cheap check on list data (labels only): whether c could
// be a candidate at all, before inspecting it.
func (p Policy) Selectable(c Container) bool {
	if IsSwarmTask(c) || IsKubernetes(c) {
		return false
	}
	cp := p.PolicyFor(c)
	return cp.Enabled || cp.Problem != ""
}

// graceUntil is when the container's grace ends: the longer of its
// healthcheck start period and --grace, from StartedAt.
func (p Policy) graceUntil(c Container) time.Time {
	g := c.StartPeriod
	if p.Grace > g {
		g = p.Grace
	}
	if c.StartedAt.IsZero() || g <= 0 {
		return time.Time{}
	}
	return c.StartedAt.Add(g)
}

// dependsOn parses compose's depends_on label into service -> restart flag.
func dependsOn(label string) map[string]bool {
	deps := map[string]bool{}
	for _, item := range strings.Split(label, ",") {
		parts := strings.Split(strings.TrimSpace(item), ":")
		if parts[0] == "" {
			continue
		}
		restart := false
		if len(parts) > 2 {
			restart, _ = strconv.ParseBool(parts[2])
		}
		deps[parts[0]] = restart
	}
	return deps
}
