package watchhttp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	if opts.Metrics == nil {
		opts.Metrics = prometheus.NewRegistry()
	}
	opts.Health = func() (any, bool) { return map[string]string{"status": "ok"}, true }
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// closedByServer waits for the server to close c: a read that ends with
// EOF (or a reset), not with our own deadline.
func closedByServer(t *testing.T, c net.Conn, within time.Duration) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// issue 18: 2,000 idle connections to /metrics and /healthz were kept for
// ever and exhausted the file descriptors. Silent connections and idle
// keep-alive ones are closed, and only MaxConns are held at once.
func TestIdleConnectionsAreClosedAndBounded(t *testing.T) {
	s := start(t, Options{MaxConns: 4, ReadHeaderTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond})

	// Keep-alive connections that made one request and then say nothing.
	var idle []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		idle = append(idle, c)
	}
	// The limit is reached: a fifth connection is not served while they
	// are held.
	fifth, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer fifth.Close()
	_ = fifth.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = io.WriteString(fifth, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := fifth.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a fifth connection was served beyond MaxConns 4 (read: %v)", err)
	}
	for i, c := range idle {
		if !closedByServer(t, c, 5*time.Second) {
			t.Errorf("idle keep-alive connection %d not closed by the server", i)
		}
	}
	// Once they are closed, the fifth is served.
	_ = fifth.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(fifth), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the fifth connection after the idle ones closed: %v %v", resp, err)
	}
	resp.Body.Close()

	// Connections that never send a request are closed too, a few at a time.
	var silent []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent = append(silent, c)
	}
	for i, c := range silent {
		if !closedByServer(t, c, 10*time.Second) {
			t.Errorf("silent connection %d not closed by the server", i)
		}
	}
	resp, err = http.Get("http://" + s.Addr() + "/healthz")
	if err != nil {
		t.Fatalf("/healthz after the flood: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("/healthz after the flood: %d %s", resp.StatusCode, body)
	}
}

func TestHealthzStatusFollowsTheReport(t *testing.T) {
	healthy := true
	h := Handler(prometheus.NewRegistry(), func() (any, bool) { return map[string]bool{"ok": healthy}, healthy })
	srv := &http.Server{Handler: h}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	for _, want := range []int{200, 503} {
		healthy = want == 200
		resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("healthy=%v: %d, want %d", healthy, resp.StatusCode, want)
		}
	}
}
