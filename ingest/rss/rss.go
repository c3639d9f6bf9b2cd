// Package rss is the news and blog collector: it polls RSS and Atom feeds,
// each at its own interval with conditional GETs, and turns every new
// article into a mention. A failing feed backs off alone; the others go on.
package rss

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/ingest"
)

// Name is the collector's name and the mentions' source.
const Name = "rss"

// flushTimeout bounds the final Flush when Run is cancelled.
const flushTimeout = 30 * time.Second

// Option changes how a Source runs.
type Option func(*Source) error

// WithSleep replaces the wait between polls, for tests. fn must return
// ctx.Err() early when ctx is done.
func WithSleep(fn func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) error {
		if fn == nil {
			return errors.New("rss: WithSleep: nil func")
		}
		s.sleep = func(ctx context.Context, _ string, d time.Duration) error { return fn(ctx, d) }
		return nil
	}
}

// Source polls the configured feeds. It implements ingest.Source.
type Source struct {
	cfg  Config
	deps ingest.Deps
	log  *slog.Logger
	now  func() time.Time
	m    *metrics

	// sleep waits between polls of one feed; jitter spreads retries.
	sleep  func(ctx context.Context, feed string, d time.Duration) error
	jitter func(d time.Duration) time.Duration

	fetchSlots chan struct{} // bounds concurrent fetches
	pubMu      sync.Mutex    // one feed publishes and flushes at a time
}

var _ ingest.Source = (*Source)(nil)

// New applies defaults to a copy of cfg, validates it and returns the
// Source. deps.HTTP is required; a nil Checkpoints keeps positions in
// memory only, a nil Gaps only logs.
func New(cfg Config, deps ingest.Deps, opts ...Option) (*Source, error) {
	cfg.Feeds = append([]Feed(nil), cfg.Feeds...)
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.HTTP == nil {
		return nil, errors.New("rss: deps.HTTP is nil")
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Source{
		cfg:        cfg,
		deps:       deps,
		log:        log.With("component", "ingest", "source", Name),
		now:        deps.Clock(),
		m:          m,
		sleep:      sleepCtx,
		jitter:     halfJitter,
		fetchSlots: make(chan struct{}, cfg.Concurrency),
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Name returns "rss".
func (s *Source) Name() string { return Name }

// Run polls every feed concurrently until ctx is cancelled, then flushes
// what was published (with a fresh, bounded context) and returns nil. A
// feed that fails is retried with backoff and never stops the others.
func (s *Source) Run(ctx context.Context, pub ingest.Publisher) error {
	if pub == nil {
		return errors.New("rss: Run: nil publisher")
	}
	s.log.Info("rss_starting", "feeds", len(s.cfg.Feeds))
	var wg sync.WaitGroup
	for _, f := range s.cfg.Feeds {
		wg.Go(func() { s.newPoller(f).run(ctx, pub) })
	}
	wg.Wait()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if err := pub.Flush(fctx); err != nil {
		return fmt.Errorf("rss: final flush: %w", err)
	}
	s.log.Info("rss_stopped")
	return nil
}

type metrics struct {
	polls       *prometheus.CounterVec
	items       *prometheus.CounterVec
	up          *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
	duration    prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_rss_polls_total",
			Help: "Feed polls, by feed and result (ok, not_modified, rate_limited, http_4xx, http_5xx, network, malformed, too_large, publish).",
		}, []string{"feed", "result"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_rss_items_total",
			Help: "Feed items, by feed and outcome (published, rejected).",
		}, []string{"feed", "outcome"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigie_ingest_rss_feed_up", Help: "1 when the feed's last poll succeeded.",
		}, []string{"feed"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigie_ingest_rss_last_success_timestamp_seconds", Help: "When the feed was last read.",
		}, []string{"feed"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "vigie_ingest_rss_poll_duration_seconds", Help: "Time to fetch and parse a feed.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 10),
		}),
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	for _, c := range []prometheus.Collector{m.polls, m.items, m.up, m.lastSuccess, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("rss: metrics: %w", err)
		}
	}
	return m, nil
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, _ string, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// halfJitter returns a duration in [d/2, d).
func halfJitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d/2 + rand.N(d/2)
}
