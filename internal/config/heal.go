package config

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

// Heal is the heal: section: the policy and the writers of docker heal
// once (and status, reset, watch). Every key but backoff-max stands for the
// flag its tag names; flags win.
type Heal struct {
	All            *bool    `yaml:"all" flag:"all"`
	MinUnhealthy   *string  `yaml:"min-unhealthy" flag:"min-unhealthy"`
	MaxRestarts    *int     `yaml:"max-restarts" flag:"max-restarts"`
	Window         *string  `yaml:"window" flag:"window"`
	Backoff        *string  `yaml:"backoff" flag:"backoff"`
	BackoffMax     *string  `yaml:"backoff-max"`
	MaxPerRun      *int     `yaml:"max-per-run" flag:"max-per-run"`
	Concurrency    *int     `yaml:"concurrency" flag:"concurrency"`
	Grace          *string  `yaml:"grace" flag:"grace"`
	StopTimeout    *string  `yaml:"stop-timeout" flag:"stop-timeout"`
	MaxStopTimeout *string  `yaml:"max-stop-timeout" flag:"max-stop-timeout"`
	RoundTimeout   *string  `yaml:"round-timeout" flag:"round-timeout"`
	StateFile      string   `yaml:"state-file" flag:"state-file"`
	LockTimeout    *string  `yaml:"lock-timeout" flag:"lock-timeout"`
	AuditLog       string   `yaml:"audit-log" flag:"audit-log"`
	MetricsFile    string   `yaml:"metrics-file" flag:"metrics-file"`
	Webhooks       []string `yaml:"webhooks" flag:"webhook"`
	WebhookTimeout *string  `yaml:"webhook-timeout" flag:"webhook-timeout"`
	// Notify are shoutrrr URLs (slack://…, ntfy://…, generic://…).
	Notify []string `yaml:"notify" flag:"notify"`
	// Resync and Listen are watch's alone.
	Resync *string `yaml:"resync" flag:"resync"`
	Listen string  `yaml:"listen" flag:"listen"`
}

// Policy is the heal policy the file gives over the defaults. Every host
// command computes it the same way, so status shows what once would do.
func (f *File) Policy() (heal.Policy, error) {
	p := heal.DefaultPolicy()
	return f.Heal.policy(f, &p)
}

// policy applies the section over p (nil: only check it).
func (h Heal) policy(f *File, p *heal.Policy) (heal.Policy, error) {
	if p == nil {
		p = &heal.Policy{}
	}
	if h.All != nil {
		p.All = *h.All
	}
	if h.MaxRestarts != nil {
		p.MaxRestarts = *h.MaxRestarts
	}
	if h.MaxPerRun != nil {
		p.MaxPerRun = *h.MaxPerRun
	}
	if h.Concurrency != nil {
		p.Concurrency = *h.Concurrency
	}
	var ignored time.Duration
	var errs Errors
	for _, d := range []struct {
		key  string
		v    *string
		into *time.Duration
	}{
		{"min-unhealthy", h.MinUnhealthy, &p.MinUnhealthy},
		{"window", h.Window, &p.Window},
		{"backoff", h.Backoff, &p.Backoff},
		{"backoff-max", h.BackoffMax, &p.BackoffMax},
		{"grace", h.Grace, &p.Grace},
		{"stop-timeout", h.StopTimeout, &p.StopTimeout},
		{"max-stop-timeout", h.MaxStopTimeout, &p.MaxStopTimeout},
		{"round-timeout", h.RoundTimeout, &ignored},
		{"lock-timeout", h.LockTimeout, &ignored},
		{"webhook-timeout", h.WebhookTimeout, &ignored},
		{"resync", h.Resync, &ignored},
	} {
		if d.v == nil {
			continue
		}
		v, err := time.ParseDuration(*d.v)
		if err != nil || v < 0 {
			errs = append(errs, f.errorf("heal."+d.key, "%q is not a duration like 30s, 5m or 1h", *d.v).(*Error))
			continue
		}
		*d.into = v
	}
	return *p, errs.sorted()
}

// FlagValue is a key of the file that stands for a flag.
type FlagValue struct {
	Flag   string   // the flag's name
	Key    string   // dotted key in the file
	Values []string // as written; several for a list
	At     string   // file:line
}

// FlagValues lists the keys of a section ("" for the top level, "heal")
// that the file sets and that stand for a flag.
func (f *File) FlagValues(section string) []FlagValue {
	t := reflect.TypeFor[File]()
	if section != "" {
		field, ok := schemaFields(t)[section]
		if !ok {
			return nil
		}
		t = field.Type
	}
	var out []FlagValue
	for name, field := range schemaFields(t) {
		flag := field.Tag.Get("flag")
		key := join(section, name)
		vals, set := f.values[key]
		if flag == "" || !set {
			continue
		}
		out = append(out, FlagValue{Flag: flag, Key: key, Values: vals, At: f.at(key)})
	}
	slices.SortFunc(out, func(a, b FlagValue) int { return strings.Compare(a.Key, b.Key) })
	return out
}
