package store

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serveOn starts an HTTP server on addr (host:0).
func serveOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v (Linux routes all of 127.0.0.0/8 to lo)", addr, err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// A hook that answers 307 to another host must not get the event POSTed
// there, and the delivery is a failure that says why.
func TestWebhookRefusesARedirectToAnotherHost(t *testing.T) {
	var elsewhere, here atomic.Int32
	other := serveOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	}))
	first := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hook":
			http.Redirect(w, r, other.URL+"/stolen?token=hunter2", http.StatusTemporaryRedirect)
		case "/same-host":
			// A redirect on the same host (a moved path) is still followed.
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		case "/final":
			here.Add(1)
		}
	}))
	n := &Notifier{URLs: []string{first.URL + "/hook?token=secret1", first.URL + "/same-host"}}
	events := executedPlan().Events("host1")[:1]
	errs := sendAll(n, 5*time.Second, events)
	if got := elsewhere.Load(); got != 0 {
		t.Errorf("the event was POSTed %d times to the host the hook redirected to", got)
	}
	if got := here.Load(); got != 1 {
		t.Errorf("same-host redirect: %d deliveries, want 1", got)
	}
	if len(errs) != 1 {
		t.Fatalf("errors %v, want one for the cross-host redirect", errs)
	}
	msg := errs[0].Error()
	for _, want := range []string{"webhook 1", "redirect", "another host"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	for _, leak := range []string{"hunter2", "secret1", "stolen"} {
		if strings.Contains(msg, leak) {
			t.Errorf("error %q leaks %q", msg, leak)
		}
	}
}
