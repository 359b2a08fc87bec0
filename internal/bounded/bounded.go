// Package bounded runs work in parallel with a bound: the one helper every
// package uses instead of a hand-written semaphore loop.
package bounded

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// Each calls fn(ctx, i) for every i in [0, n), at most limit at once (at
// least 1). The first error cancels the context the others see and is
// returned; once ctx is done no further call starts, and ctx's error is
// returned when nothing failed first.
func Each(ctx context.Context, limit, n int, fn func(ctx context.Context, i int) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(limit, 1))
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if gctx.Err() != nil {
				return nil // cancelled while waiting for a slot
			}
			return fn(gctx, i)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
