package collectortest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is the test's time: it moves only when the collector sleeps.
// OnSleep, when set, runs after each sleep with its duration; it may block
// (until ctx ends) to park a goroutine.
type Clock struct {
	mu      sync.Mutex
	t       time.Time
	sleeps  []time.Duration
	OnSleep func(ctx context.Context, d time.Duration) error
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now is the collector's ingest.Deps.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Sleep advances the clock by d and records it, without waiting.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.sleeps = append(c.sleeps, d)
	hook := c.OnSleep
	c.mu.Unlock()
	if hook != nil {
		return hook(ctx, d)
	}
	return nil
}

// Slept returns every sleep so far, in order.
func (c *Clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// ParkAfter, as a Clock's OnSleep, stops the poll loop (blocking until ctx
// ends) at its n-th poll-interval sleep, and closes reached then.
func ParkAfter(n int, interval time.Duration, reached chan<- struct{}) func(context.Context, time.Duration) error {
	var polls atomic.Int32
	return func(ctx context.Context, d time.Duration) error {
		if d == interval && int(polls.Add(1)) == n {
			close(reached)
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
}
