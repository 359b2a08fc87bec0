package bounded

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestEachBound(t *testing.T) {
	var inflight, peak atomic.Int32
	var mu sync.Mutex
	gate := make(chan struct{})
	entered := make(chan struct{}, 9)
	done := make(chan error)
	go func() {
		done <- Each(context.Background(), 3, 9, func(context.Context, int) error {
			mu.Lock()
			if n := inflight.Add(1); n > peak.Load() {
				peak.Store(n)
			}
			mu.Unlock()
			entered <- struct{}{}
			<-gate
			inflight.Add(-1)
			return nil
		})
	}()
	for range 3 {
		<-entered // three run at once before any is let go
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if peak.Load() != 3 {
		t.Errorf("peak %d, want 3", peak.Load())
	}
}

func TestEachFirstErrorStops(t *testing.T) {
	var calls atomic.Int32
	boom := errors.New("boom")
	err := Each(context.Background(), 1, 10, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || calls.Load() != 3 {
		t.Errorf("err %v after %d calls, want boom after 3", err, calls.Load())
	}
}

func TestEachCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := Each(ctx, 2, 5, func(context.Context, int) error { called = true; return nil })
	if !errors.Is(err, context.Canceled) || called {
		t.Errorf("err %v called %v", err, called)
	}
}
