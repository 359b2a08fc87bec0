package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/docker-heal/docker-heal/heal"
)

// Notifier posts events to webhooks as a heal.Notifier. Each URL may carry
// a secret, so it never appears in an error, a log line or the state file:
// hooks are named by position in errors and by a hash in the outbox.
type Notifier struct {
	URLs []string
	// Client nil: http.DefaultClient's transport; the round bounds the time.
	// Either way a redirect to another host (or scheme) is never followed.
	Client *http.Client
}

// errCrossHostRedirect is a hook answering with a redirect to another host:
// following it would POST the event (and the hook's path) to a host nobody
// configured.
var errCrossHostRedirect = errors.New("refused to follow a redirect to another host (configure the final URL)")

// sameHostRedirects follows at most 10 redirects, all to the scheme and host
// of the first request.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return errCrossHostRedirect
	}
	return nil
}

func postEvent(ctx context.Context, client *http.Client, target string, ev heal.Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return errors.New("invalid URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "docker-heal")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}

// scrub turns an HTTP error into words that do not contain the URL, its
// path or query (where Slack and friends keep the secret).
func scrub(err error, target string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "timed out"
	}
	msg = strings.ReplaceAll(msg, target, "<webhook>")
	if u, perr := url.Parse(target); perr == nil {
		for _, secret := range []string{u.String(), u.RawQuery, u.EscapedPath(), u.User.String()} {
			if len(secret) > 1 {
				msg = strings.ReplaceAll(msg, secret, "<redacted>")
			}
		}
	}
	return msg
}

// Targets names each URL by a hash of it: stable across runs (the outbox in
// the state file refers to it) and free of the secret the URL may carry.
func (n *Notifier) Targets() []string {
	if n == nil {
		return nil
	}
	out := make([]string, len(n.URLs))
	for i, u := range n.URLs {
		out[i] = targetName(u)
	}
	return out
}

func targetName(u string) string {
	sum := sha256.Sum256([]byte(u))
	return "webhook-" + hex.EncodeToString(sum[:6])
}

// Deliver posts one event to the URL named target. A 2xx answer is a
// delivery; anything else is an error naming the hook by position.
func (n *Notifier) Deliver(ctx context.Context, target string, ev heal.Event) error {
	for i, u := range n.URLs {
		if targetName(u) != target {
			continue
		}
		if err := postEvent(ctx, n.client(), u, ev); err != nil {
			return fmt.Errorf("webhook %d: %s", i+1, scrub(err, u))
		}
		return nil
	}
	return fmt.Errorf("%s is not configured", target)
}

func (n *Notifier) client() *http.Client {
	c := http.Client{}
	if n.Client != nil {
		c = *n.Client
	}
	c.CheckRedirect = sameHostRedirects
	return &c
}
