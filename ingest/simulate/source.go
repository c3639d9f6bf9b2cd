// Package simulate generates realistic French and English social posts
// about configured brands, with daily and weekly rhythms and a scripted
// crisis: the collector behind `vigie demo`, tests and benchmarks.
package simulate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/mention"
)

// flushTimeout bounds the final Flush when Run was cancelled.
const flushTimeout = 30 * time.Second

// Option changes how a Source runs.
type Option func(*Source) error

// WithClock replaces the wall clock and the pacing sleep, for tests. sleep
// must return early with ctx.Err() when ctx is done.
func WithClock(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) error {
		if now == nil || sleep == nil {
			return errors.New("simulate: WithClock: nil func")
		}
		s.now, s.sleep = now, sleep
		return nil
	}
}

// WithEnd stops Run, returning nil, before the first post created at or
// after end (event time).
func WithEnd(end time.Time) Option {
	return func(s *Source) error {
		if end.IsZero() {
			return errors.New("simulate: WithEnd: zero time")
		}
		s.end = end
		return nil
	}
}

// WithMaxCount stops Run, returning nil, once n posts are published.
func WithMaxCount(n int64) Option {
	return func(s *Source) error {
		if n <= 0 {
			return fmt.Errorf("simulate: WithMaxCount: %d is not positive", n)
		}
		s.maxCount = n
		return nil
	}
}

// Source is the simulating collector. It implements ingest.Source.
type Source struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	end      time.Time
	maxCount int64

	generated atomic.Int64
	onset     atomic.Int64 // Unix nanoseconds; 0 before Run or without crisis
}

var _ ingest.Source = (*Source)(nil)

// New applies defaults to a copy of cfg, validates it and returns a
// Source ready to Run. A nil log discards log output.
func New(cfg Config, log *slog.Logger, opts ...Option) (*Source, error) {
	cfg = cfg.clone()
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{cfg: cfg, log: log.With("component", "ingest", "source", SourceName), now: time.Now, sleep: sleepCtx}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Name returns "simulate".
func (s *Source) Name() string { return SourceName }

// Stats returns how many posts were published so far.
func (s *Source) Stats() (generated int64) { return s.generated.Load() }

// Onset returns the crisis onset in event time, once Run has started; the
// zero time before, and without a crisis.
func (s *Source) Onset() time.Time {
	if ns := s.onset.Load(); ns != 0 {
		return time.Unix(0, ns).UTC()
	}
	return time.Time{}
}

// Run plays the timeline into pub, start being the wall clock now:
//
//  1. history [start-History, onset-30m) as fast as possible;
//  2. from onset-30m, Crisis.Speed times faster than real time until
//     event time catches up with the wall clock;
//  3. live, at LiveSpeed, with the crisis decaying.
//
// Without a crisis, phase 1 runs to start and phase 3 follows. Run returns
// nil when ctx is cancelled or a WithEnd/WithMaxCount bound is reached,
// after a final Flush; an error only when pub fails.
func (s *Source) Run(ctx context.Context, pub ingest.Publisher) error {
	start := s.now()
	g := newGenerator(s.cfg, start)
	p := newPacer(s.cfg, start, g.curve)
	if g.curve != nil {
		s.onset.Store(g.curve.onset.UnixNano())
	}
	s.log.Info("simulate starting", "start", start.UTC(), "history", s.cfg.History.String(),
		"onset", s.Onset(), "catch_up", p.catchUp.UTC(), "brands", len(s.cfg.Brands))

	phase := 1
	var count int64
	err := g.run(start.Add(-s.cfg.History), s.end, func(post *post) error {
		if s.maxCount > 0 && count >= s.maxCount {
			return errStop
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		m := post.m
		if ph := p.phase(m.CreatedAt); ph != phase {
			s.log.Info("simulate phase", "phase", ph, "event_time", m.CreatedAt, "generated", count)
			phase = ph
		}
		if d := p.wallAt(m.CreatedAt).Sub(s.now()); d > 0 {
			if err := s.sleep(ctx, d); err != nil {
				return err
			}
		}
		// Collected now, but never before it was written (LiveSpeed > 1).
		m.CollectedAt = s.now().UTC()
		if m.CollectedAt.Before(m.CreatedAt) {
			m.CollectedAt = m.CreatedAt
		}
		if err := pub.Publish(ctx, m); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("simulate: publish %s: %w", m.ID, err)
		}
		count++
		s.generated.Add(1)
		return nil
	})
	if err != nil && !errors.Is(err, errStop) && ctx.Err() == nil {
		return err
	}
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	if err := pub.Flush(flushCtx); err != nil {
		return fmt.Errorf("simulate: flush: %w", err)
	}
	s.log.Info("simulate stopped", "generated", count, "cancelled", ctx.Err() != nil)
	return nil
}

// Generate calls fn with every post created in [from, to), in created_at
// order, without pacing. The timeline is the one Run plays when started
// at from+History (after defaults), so the crisis onset is at
// from+History-Crisis.OnsetBeforeNow. CollectedAt is set a few seconds
// after CreatedAt. It stops at fn's first error and returns it.
func Generate(cfg Config, from, to time.Time, fn func(*mention.Mention) error) error {
	if fn == nil {
		return errors.New("simulate: Generate: nil func")
	}
	return generate(cfg, from, to, func(p *post) error { return fn(p.m) })
}

func generate(cfg Config, from, to time.Time, fn func(*post) error) error {
	if fn == nil {
		return errors.New("simulate: Generate: nil func")
	}
	if from.IsZero() || !to.After(from) {
		return fmt.Errorf("simulate: Generate: empty window [%s, %s)", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	cfg = cfg.clone()
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	return newGenerator(cfg, from.Add(cfg.History)).run(from, to, fn)
}

// pacer maps event time to the wall-clock time a post is due.
type pacer struct {
	start   time.Time // wall clock at Run
	accel   time.Time // event time where the accelerated phase begins
	catchUp time.Time // event time (and wall time) where it meets the wall clock
	speed   float64   // Crisis.Speed
	live    float64   // LiveSpeed
}

func newPacer(cfg Config, start time.Time, curve *crisisCurve) pacer {
	p := pacer{start: start, accel: start, catchUp: start, speed: 1, live: cfg.LiveSpeed}
	if curve != nil {
		p.speed = cfg.Crisis.Speed
		p.accel = curve.onset.Add(-30 * time.Minute)
		if earliest := start.Add(-cfg.History); p.accel.Before(earliest) {
			p.accel = earliest
		}
		// start + (c-accel)/speed = c  ⇔  c = start + (start-accel)/(speed-1)
		p.catchUp = start.Add(scale(start.Sub(p.accel), p.speed-1))
	}
	return p
}

// wallAt returns when a post created at e is due: at once in the history,
// then accelerated until the catch-up, then live.
func (p pacer) wallAt(e time.Time) time.Time {
	switch {
	case e.Before(p.accel):
		return time.Time{}
	case e.Before(p.catchUp):
		return p.start.Add(scale(e.Sub(p.accel), p.speed))
	}
	return p.catchUp.Add(scale(e.Sub(p.catchUp), p.live))
}

func (p pacer) phase(e time.Time) int {
	switch {
	case e.Before(p.accel):
		return 1
	case e.Before(p.catchUp):
		return 2
	}
	return 3
}

// scale returns d/speed, saturating instead of overflowing.
func scale(d time.Duration, speed float64) time.Duration {
	f := float64(d) / speed
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(f)
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
