// Package notify delivers heal events through shoutrrr service URLs
// (slack://, discord://, teams://, telegram://, ntfy://, gotify://,
// pushover://, generic://…). A URL carries its token, so it is never printed:
// errors name a URL by its position and service only, and any part of it an
// error from a service might echo is masked.
package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nicholas-fedor/shoutrrr"
	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"

	"github.com/docker-heal/docker-heal/heal"
)

// DefaultTimeout bounds one delivery to one URL.
const DefaultTimeout = 10 * time.Second

// Shoutrrr is a heal.Notifier over shoutrrr URLs.
type Shoutrrr struct {
	targets []target
	timeout time.Duration
}

type target struct {
	name    string // "notify-<hash>": the outbox's name for it
	label   string // "notify #2 (slack)": what errors and logs may show
	sender  *router.ServiceRouter
	secrets []string
}

// New checks and prepares the URLs; an error names the bad one by position
// and service, never by its text. timeout 0 means DefaultTimeout.
func New(urls []string, timeout time.Duration) (*Shoutrrr, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	s := &Shoutrrr{timeout: timeout}
	for i, raw := range urls {
		label := Label(i, raw)
		secrets := secretParts(raw)
		sender, err := shoutrrr.CreateSender(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %s (see https://shoutrrr.nickfedor.com for the URL format of each service)", label, mask(rootCause(err).Error(), secrets))
		}
		sender.Timeout = timeout
		sum := sha256.Sum256([]byte(raw))
		s.targets = append(s.targets, target{name: "notify-" + hex.EncodeToString(sum[:6]), label: label, sender: sender, secrets: secrets})
	}
	return s, nil
}

// Label is how a URL is named in logs and errors: its position (1-based) and
// scheme, e.g. `notify #1 (slack)`.
func Label(i int, raw string) string {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/@?# ") {
		scheme = "unknown service"
	}
	return fmt.Sprintf("notify #%d (%s)", i+1, scheme)
}

// Targets names each URL by a hash of it: stable across runs (the state's
// outbox refers to it) and free of the token the URL carries.
func (s *Shoutrrr) Targets() []string {
	if s == nil {
		return nil
	}
	out := make([]string, len(s.targets))
	for i, t := range s.targets {
		out[i] = t.name
	}
	return out
}

// Deliver sends one event to the URL named target; nil means the service
// accepted it. The error names the URL by position and service only.
func (s *Shoutrrr) Deliver(ctx context.Context, name string, ev heal.Event) error {
	for _, t := range s.targets {
		if t.name == name {
			if err := t.send(ctx, Message(ev)); err != nil {
				return fmt.Errorf("%s: %w", t.label, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%s is not configured", name)
}

func (t target) send(ctx context.Context, msg string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan []error, 1)
	go func() { done <- t.sender.Send(msg, &types.Params{"title": "docker-heal"}) }()
	select {
	case errs := <-done:
		for _, err := range errs {
			if err != nil {
				return errors.New(mask(err.Error(), t.secrets))
			}
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Message is the text sent for ev: the event's one-line summary, then the
// fields people triage with, one per line.
func Message(ev heal.Event) string {
	var b strings.Builder
	b.WriteString(ev.Text)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "\n%s: %s", k, v)
		}
	}
	line("container", ev.Container)
	if ev.Project != "" || ev.Service != "" {
		line("project/service", ev.Project+"/"+ev.Service)
	}
	line("action", ev.Action)
	line("result", ev.Result)
	line("reason", ev.Reason)
	line("last probe", ev.LastProbe)
	line("error", ev.Error)
	return b.String()
}

func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// secretParts lists what of a URL must never be shown: the whole URL, its
// user and password, path segments, query values and fragment; their
// escaped forms too. Host names and schemes are kept.
func secretParts(raw string) []string {
	parts := []string{raw}
	add := func(s string) {
		// Short words ("yes" in disabletls=yes) are not secrets; tokens are long.
		if len(s) >= 4 {
			parts = append(parts, s, url.PathEscape(s), url.QueryEscape(s))
		}
	}
	// Service URLs are not always valid URLs (slack://hook:T0/B0/XX@channel),
	// so every word between delimiters counts, whatever the parser says.
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		for _, word := range strings.FieldsFunc(rest, func(r rune) bool { return strings.ContainsRune(":/@?&=#", r) }) {
			add(word)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return parts
	}
	if u.User != nil {
		// Credentials are secret at any length.
		for _, s := range []string{u.User.Username(), u.User.String()} {
			if s != "" {
				parts = append(parts, s, url.QueryEscape(s))
			}
		}
		if p, ok := u.User.Password(); ok && p != "" {
			parts = append(parts, p, url.QueryEscape(p))
		}
	}
	for _, seg := range strings.Split(u.Path, "/") {
		add(seg)
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			add(v)
		}
	}
	add(u.Fragment)
	add(u.Opaque)
	return parts
}

// mask replaces every secret part in s with "***", longest first.
func mask(s string, secrets []string) string {
	sorted := append([]string(nil), secrets...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			if len(sorted[j]) > len(sorted[i]) {
				sorted[i], sorted[j] = sorted[j], sorted[i]
			}
		}
	}
	for _, p := range sorted {
		if p != "" {
			s = strings.ReplaceAll(s, p, "***")
		}
	}
	return s
}
