package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
)

const token = "s3cr3t-T0KEN-abcdef"

// receiver is a local webhook that answers each POST with the next status.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	bodies   []string
	paths    []string
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, string(body))
	r.paths = append(r.paths, req.URL.RequestURI())
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	w.WriteHeader(status)
}

func genericURL(srv *httptest.Server) string {
	return "generic://" + strings.TrimPrefix(srv.URL, "http://") + "/hooks/" + token + "?disabletls=yes&template=json"
}

var sample = heal.Event{
	Event: heal.EventRestartFailed, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Host: "box",
	Container: "shop-web-1", ID: "abc", Project: "shop", Service: "web", Action: "restart", Result: "failure",
	Reason: "unhealthy for 2m", Error: "restarting shop-web-1: no answer within 40s", LastProbe: "curl: (7) connection refused",
	Text: "docker-heal on box: could not restart shop-web-1 (shop/web)",
}

func TestDeliveredOnlyWhenAccepted(t *testing.T) {
	rec := &receiver{statuses: []int{http.StatusInternalServerError, http.StatusOK}}
	srv := httptest.NewServer(http.HandlerFunc(rec.serve))
	defer srv.Close()
	n, err := New([]string{genericURL(srv)}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	target := n.Targets()[0]
	if strings.Contains(target, token) {
		t.Fatalf("target name %q shows the token", target)
	}
	err = n.Deliver(context.Background(), target, sample)
	if err == nil {
		t.Fatal("HTTP 500 counted as delivered")
	}
	msg := err.Error()
	if strings.Contains(msg, token) || !strings.Contains(msg, "notify #1 (generic)") {
		t.Errorf("error %q: must name the URL by position and service, never show its token", msg)
	}
	if err := n.Deliver(context.Background(), target, sample); err != nil {
		t.Fatalf("HTTP 200: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.bodies) != 2 || rec.paths[1] != "/hooks/"+token {
		t.Fatalf("receiver got %d posts at %v", len(rec.bodies), rec.paths)
	}
	for _, want := range []string{"shop-web-1", "shop/web", "restart", "failure", "curl: (7) connection refused", "no answer within 40s"} {
		if !strings.Contains(rec.bodies[1], want) {
			t.Errorf("message lacks %q:\n%s", want, rec.bodies[1])
		}
	}
}

func TestBadURLIsNamedWithoutItsToken(t *testing.T) {
	_, err := New([]string{"generic://ok.example/x", "nosuchservice://user:" + token + "@host/" + token}, 0)
	if err == nil {
		t.Fatal("no error for an unknown service")
	}
	if strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "notify #2 (nosuchservice)") {
		t.Errorf("error %q", err)
	}
}

func TestUnreachableReceiverIsMasked(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	raw := genericURL(srv)
	srv.Close() // nothing listens there any more
	n, err := New([]string{raw}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Deliver(context.Background(), n.Targets()[0], sample)
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("error %v: want one, without the token", err)
	}
}

func TestMask(t *testing.T) {
	raw := "slack://hook:T000/B000/XXXXsecretXXXX@channel?botname=heal"
	got := mask("Post https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX: 404; url "+raw, secretParts(raw))
	if strings.Contains(got, "XXXXsecretXXXX") || strings.Contains(got, raw) {
		t.Errorf("masked: %q", got)
	}
}
