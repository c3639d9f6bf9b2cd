// Package xapi is the X API v2 collector: recent search polled with a
// since_id checkpoint per query, and the filtered stream with its rules
// kept in step with the watches. Posts share the v1.1 collector's ids.
package xapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigie-project/vigie/config/secret"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
	"github.com/vigie-project/vigie/mention"
)

// Names.
const (
	// Name is the collector's name: in logs, metrics, gaps and checkpoint keys.
	Name = "xapi"
	// MentionSource is Mention.Source of what this collector publishes:
	// the platform, as for the v1.1 collector, so that `source:twitter`
	// in a watch and per-source dashboards see X posts whatever the API.
	MentionSource = "twitter"
	// IDPrefix starts every mention id: "twitter:<tweet id>", the same id
	// space as the v1.1 collector, so a post collected by both is one.
	IDPrefix = "twitter:"
	// RuleTagPrefix starts the tag of every stream rule vigie manages.
	// Rules with other tags are left alone.
	RuleTagPrefix = "vigie:"
)

// Feed names, in gaps, logs and metrics.
const (
	feedSearch = "search"
	feedStream = "stream"
)

// flushTimeout bounds the final Flush once Run is cancelled.
const flushTimeout = 30 * time.Second

// maxLoggedRejects: skipped objects logged one by one; the rest are only counted.
const maxLoggedRejects = 100

// Option changes how a Source runs.
type Option func(*Source) error

// WithSleep replaces the waits (poll interval, backoff, rate-limit
// resets), for tests. fn must return ctx.Err() early when ctx ends.
func WithSleep(fn func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) error {
		if fn == nil {
			return errors.New("xapi: WithSleep: nil func")
		}
		s.sleep = fn
		return nil
	}
}

// Source collects from the X API v2. It implements ingest.Source.
type Source struct {
	cfg        Config
	log        *slog.Logger
	http       *http.Client // REST
	streamHTTP *http.Client // same client without a timeout
	token      secret.Secret
	base       *url.URL
	checkpts   ingest.Checkpoints
	gaps       ingest.Gaps
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	m          *httpsrc.Metrics
	rate       httpsrc.RateState

	queries []searchQuery // one feed per query
	rules   []rule        // wanted stream rules

	rejects atomic.Int64
}

var _ ingest.Source = (*Source)(nil)

// searchQuery is one recent-search query of one watch.
type searchQuery struct {
	watch string
	n     int // index among the watch's queries
	query string
}

// New checks cfg, resolves the token, builds the queries and rules from
// deps.Watches and returns a Source ready to Run.
func New(cfg Config, deps ingest.Deps, opts ...Option) (*Source, error) {
	cfg.Watches = append([]string(nil), cfg.Watches...)
	if cfg.Search != nil {
		c := *cfg.Search
		cfg.Search = &c
	}
	if cfg.Stream != nil {
		c := *cfg.Stream
		cfg.Stream = &c
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("xapi: config: %w", err)
	}
	switch {
	case deps.HTTP == nil:
		return nil, errors.New("xapi: deps.HTTP: required")
	case deps.Watches == nil:
		return nil, errors.New("xapi: deps.Watches: required")
	case deps.Checkpoints == nil && cfg.Search != nil:
		return nil, errors.New("xapi: deps.Checkpoints: required by search")
	}
	tok, err := secret.Resolve("bearer_token", cfg.BearerToken, cfg.BearerTokenFile)
	if err != nil {
		return nil, fmt.Errorf("xapi: config: %w", err)
	}
	if tok == "" {
		return nil, errors.New("xapi: config: bearer_token: is empty")
	}
	cfg.BearerToken = ""
	base, _ := url.Parse(cfg.BaseURL) // checked by Validate
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	streamHTTP := *deps.HTTP
	streamHTTP.Timeout = 0
	s := &Source{
		cfg:        cfg,
		log:        log.With("component", "ingest", "source", Name),
		http:       deps.HTTP,
		streamHTTP: &streamHTTP,
		token:      tok,
		base:       base,
		checkpts:   deps.Checkpoints,
		gaps:       deps.Gaps,
		now:        deps.Clock(),
		sleep:      httpsrc.SleepCtx,
	}
	if s.gaps == nil {
		s.gaps = logGaps{s.log}
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.m, err = httpsrc.NewMetrics(deps.Registerer); err != nil {
		return nil, fmt.Errorf("xapi: %w", err)
	}
	if err := s.plan(deps); err != nil {
		return nil, err
	}
	return s, nil
}

// plan builds the search queries and stream rules of the selected watches.
func (s *Source) plan(deps ingest.Deps) error {
	ids := s.cfg.Watches
	if len(ids) == 0 {
		for _, sp := range deps.Watches.Specs() {
			ids = append(ids, sp.ID)
		}
	}
	known := map[string]bool{}
	for _, sp := range deps.Watches.Specs() {
		known[sp.ID] = true
	}
	ruleIdx := map[string]int{}
	for i, id := range ids {
		if !known[id] {
			return fmt.Errorf("xapi: config: watches[%d]: no watch %q", i, id)
		}
		up := deps.Watches.Upstream(id)
		if c := s.cfg.Search; c != nil {
			qs, out := buildQueries(up, c.MaxQueryLength)
			s.logDropped(id, "search", out)
			for n, q := range qs {
				s.queries = append(s.queries, searchQuery{watch: id, n: n, query: q})
			}
		}
		if c := s.cfg.Stream; c != nil {
			rs, out := buildQueries(up, c.MaxRuleLength)
			s.logDropped(id, "stream", out)
			for _, v := range rs {
				// X refuses two rules with one value: watches that need
				// the same rule share it (tags are only labels).
				if _, dup := ruleIdx[v]; dup {
					continue
				}
				ruleIdx[v] = len(s.rules)
				s.rules = append(s.rules, rule{Value: v, Tag: RuleTagPrefix + id})
			}
		}
	}
	if s.cfg.Search != nil && len(s.queries) == 0 {
		return errors.New("xapi: search: no selected watch has a term X can search (wildcards, source: and lang: alone are not searchable)")
	}
	if c := s.cfg.Stream; c != nil {
		if len(s.rules) == 0 {
			return errors.New("xapi: stream: no selected watch has a term X can filter on (wildcards, source: and lang: alone are not)")
		}
		if c.MaxRules > 0 && len(s.rules) > c.MaxRules {
			return fmt.Errorf("xapi: config: stream.max_rules: the watches need %d rules, over the limit of %d", len(s.rules), c.MaxRules)
		}
	}
	return nil
}

func (s *Source) logDropped(watchID, feed string, out []dropped) {
	for _, d := range out {
		s.log.Warn("upstream_term_dropped", "watch", watchID, "feed", feed, "term", d.Term, "reason", d.Reason)
	}
}

// Name returns "xapi".
func (s *Source) Name() string { return Name }

// Run polls and streams until ctx is cancelled, then flushes and returns
// nil. A query or the stream that fails for good (a 4xx other than 429)
// is logged and reported as a gap; the rest goes on. Run returns an error
// only when neither search nor stream can go on.
func (s *Source) Run(ctx context.Context, pub ingest.Publisher) error {
	s.log.Info("source_starting", "search_queries", len(s.queries), "stream_rules", len(s.rules))
	var wg sync.WaitGroup
	var searchErr, streamErr error
	if s.cfg.Search != nil {
		wg.Go(func() { searchErr = s.runSearch(ctx, pub) })
	}
	if s.cfg.Stream != nil {
		wg.Go(func() { streamErr = s.runStream(ctx, pub) })
	}
	wg.Wait()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	flushErr := pub.Flush(fctx)
	if ctx.Err() != nil {
		if flushErr != nil {
			s.log.Error("final_flush_failed", "error", flushErr)
		}
		s.log.Info("source_stopped")
		return nil
	}
	return errors.Join(searchErr, streamErr, flushErr)
}

// publish normalizes m and publishes it. A record Normalize rejects is
// counted and skipped; only a publisher error is returned.
func (s *Source) publish(ctx context.Context, pub ingest.Publisher, m *mention.Mention, feed string) error {
	if err := mention.Normalize(m, mention.Limits{}, s.now()); err != nil {
		s.reject("invalid", m.ID, err)
		return nil
	}
	if err := pub.Publish(ctx, m); err != nil {
		return fmt.Errorf("xapi: %s: publish %s: %w", feed, m.ID, err)
	}
	s.m.Collected.WithLabelValues(Name, feed).Inc()
	return nil
}

// reject counts and logs an object that was skipped.
func (s *Source) reject(reason, id string, err error) {
	s.m.Rejected.WithLabelValues(Name, reason).Inc()
	switch n := s.rejects.Add(1); {
	case n <= maxLoggedRejects:
		s.log.Warn("object_skipped", "reason", reason, "id", id, "error", err)
	case n == maxLoggedRejects+1:
		s.log.Warn("too_many_skipped_objects", "logged", maxLoggedRejects)
	}
}

// logGaps stands in when no gap reporter is given: gaps are logged.
type logGaps struct{ log *slog.Logger }

func (l logGaps) Report(_ context.Context, g ingest.Gap) {
	l.log.Warn("collector_gap", "feed", g.Feed, "from", g.From, "to", g.To, "missed", g.Missed, "reason", g.Reason)
}
