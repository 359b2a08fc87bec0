package dockerengine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// An engine that never answers the events subscription does not hold a
// restart: WatchStops gives up after the call bound, with an error naming
// the endpoint (the restart then goes on without the watch).
func TestWatchStopsGivesUpOnASilentEngine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}))
	defer srv.Close()
	api, err := client.New(client.WithHost("tcp://"+srv.Listener.Addr().String()), client.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{api: api, CallTimeout: 100 * time.Millisecond}
	done := make(chan error, 1)
	go func() {
		_, err := e.WatchStops(context.Background(), "web")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no answer within 100ms") || !strings.Contains(err.Error(), srv.Listener.Addr().String()) {
			t.Errorf("err %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("WatchStops hangs on an engine that does not answer")
	}
}
