// Package reddit is the collector for Reddit: subreddits' new posts and
// searches (the watches' terms joined with OR), read with an app's OAuth
// token and a newest-post checkpoint per feed.
package reddit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/vigie-project/vigie/config/secret"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

// flushTimeout bounds the final Flush when Run was cancelled.
const flushTimeout = 30 * time.Second

// Option changes how a Source runs.
type Option func(*Source) error

// WithSleep replaces the sleep used for backoff, rate-limit waits and the
// poll interval, for tests. fn must return ctx.Err() early when ctx ends.
func WithSleep(fn func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) error {
		if fn == nil {
			return errors.New("reddit: WithSleep: nil func")
		}
		s.sleep = fn
		return nil
	}
}

// Source collects Reddit posts. It implements ingest.Source.
type Source struct {
	cfg    Config
	deps   ingest.Deps
	log    *slog.Logger
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	met    *httpsrc.SourceMetrics
	secret secret.Secret
	api    *client
	feeds  []*feed
}

var _ ingest.Source = (*Source)(nil)

// feed is a subreddit's new posts or a search.
type feed struct {
	path  string // /r/<sub>/new.json or /search.json
	query string // for searches
	key   string // checkpoint key: reddit/r/<sub>/new or reddit/search/<q>
	label string // for logs and gaps: r/<sub>/new or search/<q>

	// Owned by the polling goroutine.
	loaded bool
	pos    position
	recent map[string]time.Time // id → created of posts published within the overlap
	health httpsrc.Health
}

// endpoint names the feed's API endpoint in metrics.
func (f *feed) endpoint() string {
	if f.query != "" {
		return "search"
	}
	return "subreddit_new"
}

// New applies defaults to a copy of cfg, validates it, reads the client
// secret and works out the feeds.
func New(cfg Config, deps ingest.Deps, opts ...Option) (*Source, error) {
	cfg = cfg.clone()
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.HTTP == nil:
		return nil, errors.New("reddit: deps.HTTP is nil")
	case deps.Checkpoints == nil:
		return nil, errors.New("reddit: deps.Checkpoints is nil")
	case deps.Gaps == nil:
		return nil, errors.New("reddit: deps.Gaps is nil")
	}
	sec, err := secret.Resolve("client_secret", cfg.ClientSecret, cfg.ClientSecretFile)
	if err != nil {
		return nil, err
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	met, err := httpsrc.NewSourceMetrics(deps.Registerer, Name)
	if err != nil {
		return nil, fmt.Errorf("reddit: %w", err)
	}
	s := &Source{
		cfg:    cfg,
		deps:   deps,
		log:    log.With("component", "ingest", "source", Name),
		now:    deps.Clock(),
		sleep:  sleepCtx,
		met:    met,
		secret: sec,
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.api = &client{s: s}
	for _, sub := range cfg.Subreddits {
		s.feeds = append(s.feeds, &feed{
			path:  "/r/" + sub + "/new.json",
			key:   Name + "/r/" + sub + "/new",
			label: "r/" + sub + "/new",
		})
	}
	queries := slices.Clone(cfg.Queries)
	if cfg.fromWatches() && deps.Watches != nil {
		for _, q := range watchQueries(deps.Watches) {
			if !slices.Contains(queries, q) {
				queries = append(queries, q)
			}
		}
	}
	for _, q := range queries {
		s.feeds = append(s.feeds, &feed{path: "/search.json", query: q, key: Name + "/search/" + q, label: "search/" + q})
	}
	if len(s.feeds) == 0 {
		return nil, errors.New("subreddits: nothing to collect: no subreddits or queries, and the watches give none")
	}
	return s, nil
}

func (c Config) clone() Config {
	c.Subreddits = slices.Clone(c.Subreddits)
	c.Queries = slices.Clone(c.Queries)
	if c.FromWatches != nil {
		v := *c.FromWatches
		c.FromWatches = &v
	}
	return c
}

// watchQueries makes one search per watch: its positive terms, "phrases"
// and hashtags (as words: Reddit has no hashtags) joined with OR, split
// into several searches when longer than Reddit's 512 bytes. Handles and
// wildcards are left to the matcher.
func watchQueries(m *watch.Matcher) []string {
	var out []string
	for _, spec := range m.Specs() {
		up := m.Upstream(spec.ID)
		var parts []string
		for _, t := range append(up.Terms, up.Hashtags...) {
			if !slices.Contains(parts, t) {
				parts = append(parts, t)
			}
		}
		for _, p := range up.Phrases {
			parts = append(parts, `"`+strings.ReplaceAll(p, `"`, "")+`"`)
		}
		var q string
		for _, p := range parts {
			switch {
			case len(p) > MaxQueryLen:
				continue
			case q == "":
				q = p
			case len(q)+4+len(p) > MaxQueryLen:
				out = appendNew(out, q)
				q = p
			default:
				q += " OR " + p
			}
		}
		if q != "" {
			out = appendNew(out, q)
		}
	}
	return out
}

// Name returns "reddit".
func (s *Source) Name() string { return Name }

// Feeds lists the feeds the Source reads.
func (s *Source) Feeds() []string {
	out := make([]string, len(s.feeds))
	for i, f := range s.feeds {
		out[i] = f.label
	}
	return out
}

// Run polls every feed at each poll interval until ctx is cancelled,
// then flushes and returns nil. A failing feed is logged, reported as
// gaps and retried at the next poll; it never stops the others.
func (s *Source) Run(ctx context.Context, pub ingest.Publisher) error {
	s.log.Info("reddit starting", "api", s.cfg.APIURL, "feeds", strings.Join(s.Feeds(), ", "))
	for ctx.Err() == nil {
		for _, f := range s.feeds {
			if ctx.Err() != nil {
				break
			}
			if err := s.pollFeed(ctx, f, pub); err != nil && ctx.Err() == nil {
				s.log.Error("poll_failed", "feed", f.label, "error", err)
			}
		}
		if s.sleep(ctx, s.cfg.PollInterval) != nil {
			break
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	if err := pub.Flush(fctx); err != nil {
		s.log.Error("final_flush_failed", "error", err)
	}
	now := s.now()
	for _, f := range s.feeds {
		f.health.Report(fctx, s.deps.Gaps, Name, f.label, now, false)
	}
	s.log.Info("reddit stopped")
	return nil
}

// publish normalises and publishes m; a mention Normalize rejects is
// logged, counted and skipped.
func (s *Source) publish(ctx context.Context, pub ingest.Publisher, feed string, m *mention.Mention) error {
	if err := mention.Normalize(m, mention.Limits{}, s.now()); err != nil {
		s.reject(feed, "invalid", m.ID, err)
		return nil
	}
	if err := pub.Publish(ctx, m); err != nil {
		return fmt.Errorf("publish %s: %w", m.ID, err)
	}
	s.met.Collected.WithLabelValues(feed).Inc()
	return nil
}

func (s *Source) reject(feed, reason, id string, err error) {
	s.met.Rejected.WithLabelValues(reason).Inc()
	s.log.Warn("post_skipped", "feed", feed, "reason", reason, "id", id, "error", err)
}
