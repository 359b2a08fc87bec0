package commands

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// benchStatus runs `docker heal status` over 500 containers served by a fake
// Engine 20.10 (API 1.41: no health in the list, so each shown container is
// inspected) and reports the API calls one run makes.
//
//	go test -run '^$' -bench BenchmarkStatus ./commands/
func benchStatus(b *testing.B, opts statusOptions, delay time.Duration) {
	f := enginetest.NewFakeDaemon()
	defer f.Close()
	now := time.Now()
	for i := range 500 {
		health := []string{"healthy", "healthy", "healthy", "starting", "none", "unhealthy"}[i%6]
		f.Add(enginetest.FakeContainer(fmt.Sprintf("%064x", i+1), fmt.Sprintf("app-%03d", i), health, time.Hour, now, map[string]string{
			"com.docker.compose.project": fmt.Sprintf("p%d", i%7), "com.docker.compose.service": fmt.Sprintf("s%d", i%13),
		}))
	}
	f.Delay = delay
	engine := dockerengine.New(f.Client())
	opts.now = time.Now
	if opts.format == "" {
		opts.format = "table"
	}
	// One run outside the timer: the client's version negotiation happens once per process.
	if err := runStatus(context.Background(), io.Discard, engine, opts); err != nil {
		b.Fatal(err)
	}
	f.ResetCalls()
	b.ResetTimer()
	for range b.N {
		if err := runStatus(context.Background(), io.Discard, engine, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(f.Calls())/float64(b.N), "api-calls/op")
	b.ReportMetric(float64(f.CallsTo("GET /containers/{id}/json"))/float64(b.N), "inspects/op")
}

func BenchmarkStatus500(b *testing.B)          { benchStatus(b, statusOptions{}, 0) }
func BenchmarkStatus500JSON(b *testing.B)      { benchStatus(b, statusOptions{format: "json"}, 0) }
func BenchmarkStatus500Unhealthy(b *testing.B) { benchStatus(b, statusOptions{unhealthy: true}, 0) }

// With 2ms per call, as a busy engine might answer: the bounded parallel
// inspects take ~500/16 rounds, not 500 calls one after another (>1s).
func BenchmarkStatus500Slow2ms(b *testing.B) { benchStatus(b, statusOptions{}, 2*time.Millisecond) }

// The deploy gate's poll round when every container is ready: the list alone
// says so for healthy and no-healthcheck ones, then one full snapshot.
func BenchmarkStatus500WaitReady(b *testing.B) {
	benchStatus(b, statusOptions{wait: true, timeout: time.Minute, filters: []string{"health=healthy"}}, 0)
}
