package commands

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker-heal/docker-heal/heal"
	"github.com/docker-heal/docker-heal/internal/dockerengine"
	"github.com/docker-heal/docker-heal/internal/enginetest"
)

// BenchmarkOnceRound is one round of docker heal once over 1,000 running
// containers served by a fake Docker Engine 20.10 (API 1.41 shapes, over
// HTTP), 10 of them unhealthy and labelled docker-heal.enable=true. It reports
// the engine API calls one round makes.
//
//	act:    fresh state: 2 lists, 10 inspects, 10 restarts
//	steady: the same sick containers inside their backoff: nothing restarted
//	idle:   nothing unhealthy, no state: two list calls (the unhealthy ones;
//	        all, for crash loops and OOM kills), no inspect
func BenchmarkOnceRound(b *testing.B) {
	now := time.Now()
	build := func(unhealthy int) *enginetest.FakeDaemon {
		f := enginetest.NewFakeDaemon()
		for i := 0; i < 1000; i++ {
			health, labels := "healthy", map[string]string{"com.docker.compose.project": "bench", "com.docker.compose.service": fmt.Sprintf("svc%d", i%50)}
			if i%2 == 0 {
				labels[heal.LabelEnable] = "true"
			}
			if i < unhealthy {
				health, labels[heal.LabelEnable] = "unhealthy", "true"
			}
			f.Add(enginetest.FakeContainer(fmt.Sprintf("%064x", i+1), fmt.Sprintf("bench-%04d", i), health, time.Hour, now, labels))
		}
		return f
	}
	round := func(b *testing.B, f *enginetest.FakeDaemon, fresh bool, wantRestarts int) {
		engine := dockerengine.New(f.Client())
		opts := onceOptions{policy: heal.DefaultPolicy(), format: "table", logFormat: "text", quiet: true,
			stateFile: filepath.Join(b.TempDir(), "state.json")}
		// Warm up: API version negotiation, and the state for steady rounds.
		if err := runOnce(context.Background(), io.Discard, io.Discard, engine, opts); code(err) != ExitOK {
			b.Fatalf("warm-up round: %v", err)
		}
		f.ResetCalls()
		restartsBefore := len(f.Restarted)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if fresh {
				b.StopTimer()
				opts.stateFile = filepath.Join(b.TempDir(), "state.json")
				b.StartTimer()
			}
			if err := runOnce(context.Background(), io.Discard, io.Discard, engine, opts); code(err) != ExitOK {
				b.Fatalf("round: %v", err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(f.Calls())/float64(b.N), "api-calls/op")
		b.ReportMetric(float64(len(f.Restarted)-restartsBefore)/float64(b.N), "restarts/op")
		if got := (len(f.Restarted) - restartsBefore) / b.N; got != wantRestarts {
			b.Errorf("%d restarts per round, want %d", got, wantRestarts)
		}
	}
	b.Run("act", func(b *testing.B) {
		f := build(10)
		defer f.Close()
		round(b, f, true, 10)
	})
	b.Run("steady", func(b *testing.B) {
		f := build(10)
		defer f.Close()
		round(b, f, false, 0)
	})
	b.Run("idle", func(b *testing.B) {
		f := build(0)
		defer f.Close()
		round(b, f, true, 0)
	})
}
