// Package watchhttp serves watch's /metrics and /healthz. The server is
// bounded so that HTTP load cannot take what the rounds need: idle and slow
// connections are closed after a timeout and at most MaxConns are open at
// once (issue 18: 2,000 idle keep-alive connections once exhausted the
// process's file descriptors, and rounds then failed).
package watchhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"
)

// DefaultAddr is where watch serves when asked to without an address: the
// loopback, so that the container list and circuit states are not offered
// to the network. The image's HEALTHCHECK reaches it; to let Prometheus
// scrape it, listen on 0.0.0.0:9580 on a private network.
const DefaultAddr = "127.0.0.1:9580"

// Defaults of Options.
const (
	DefaultMaxConns          = 32
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 30 * time.Second
)

// Options configure the server; zero fields take the defaults above.
type Options struct {
	Addr string
	// Metrics is what /metrics serves.
	Metrics prometheus.Gatherer
	// Health is /healthz: its report (as JSON) and whether it is healthy.
	Health func() (report any, ok bool)
	// MaxConns bounds the connections open at once; more wait in the
	// kernel's backlog until one closes.
	MaxConns                                                  int
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// Server is a listening /metrics and /healthz server.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// Start listens on opts.Addr and serves in the background.
func Start(opts Options) (*Server, error) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&opts.ReadTimeout, DefaultReadTimeout)
	def(&opts.WriteTimeout, DefaultWriteTimeout)
	def(&opts.IdleTimeout, DefaultIdleTimeout)
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: netutil.LimitListener(ln, opts.MaxConns), done: make(chan struct{})}
	s.srv = &http.Server{
		Handler:           Handler(opts.Metrics, opts.Health),
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      opts.WriteTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    8 << 10,
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(s.ln) // ends with Shutdown, or a listener error

	}()
	return s, nil
}

// Addr is the address listened on (with the port chosen for ":0").
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Shutdown stops accepting, lets requests in flight finish within ctx, and
// closes every connection.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	<-s.done
	return err
}

// Handler serves GET /metrics and GET /healthz.
func Handler(metrics prometheus.Gatherer, health func() (any, bool)) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(metrics, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError, MaxRequestsInFlight: 4, Timeout: 10 * time.Second}))
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		report, ok := health()
		rw.Header().Set("Content-Type", "application/json")
		if !ok {
			rw.WriteHeader(http.StatusServiceUnavailable)
		}
		if err := json.NewEncoder(rw).Encode(report); err != nil {
			fmt.Fprintln(rw, `{"status":"unhealthy"}`)
		}
	})
	return mux
}
