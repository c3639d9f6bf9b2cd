// Package bluesky is the collector for Bluesky: app.bsky.feed.searchPosts
// polled per query (the watches' terms, phrases and hashtags) with cursor
// and newest-seen checkpoints, and optionally the Jetstream firehose.
package bluesky

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
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
			return errors.New("bluesky: WithSleep: nil func")
		}
		s.sleep = fn
		return nil
	}
}

// Source collects Bluesky posts. It implements ingest.Source.
type Source struct {
	cfg      Config
	deps     ingest.Deps
	log      *slog.Logger
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	met      *httpsrc.SourceMetrics
	xrpc     *client
	session  *session
	profiles *profileCache
	feeds    []*feed
	// streamHTTP is deps.HTTP without its overall timeout, which would
	// cut the long-lived Jetstream connection.
	streamHTTP *http.Client
}

var _ ingest.Source = (*Source)(nil)

// feed is one search query.
type feed struct {
	query   Query
	key     string // checkpoint key: bluesky/search/<q>[/lang=<l>]
	label   string // for logs and gaps: search/<q>[ lang:<l>]
	overlap time.Duration

	// Owned by the polling goroutine.
	loaded bool
	pos    position
	recent map[string]time.Time // uri → sortAt of posts published within the overlap
	health httpsrc.Health
}

// New applies defaults to a copy of cfg, validates it, reads the app
// password and works out the queries (configured ones plus the watches').
func New(cfg Config, deps ingest.Deps, opts ...Option) (*Source, error) {
	cfg = cfg.clone()
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.HTTP == nil:
		return nil, errors.New("bluesky: deps.HTTP is nil")
	case deps.Checkpoints == nil:
		return nil, errors.New("bluesky: deps.Checkpoints is nil")
	case deps.Gaps == nil:
		return nil, errors.New("bluesky: deps.Gaps is nil")
	case cfg.Jetstream.Enabled && deps.Watches == nil:
		return nil, errors.New("jetstream.enabled: the firehose is filtered by the watches, and there are none")
	}
	password, err := secret.Resolve("app_password", cfg.AppPassword, cfg.AppPasswordFile)
	if err != nil {
		return nil, err
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	met, err := httpsrc.NewSourceMetrics(deps.Registerer, Name)
	if err != nil {
		return nil, fmt.Errorf("bluesky: %w", err)
	}
	s := &Source{
		cfg:   cfg,
		deps:  deps,
		log:   log.With("component", "ingest", "source", Name),
		now:   deps.Clock(),
		sleep: sleepCtx,
		met:   met,
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	sc := *deps.HTTP
	sc.Timeout = 0
	s.streamHTTP = &sc
	s.xrpc = &client{s: s, base: cfg.ServiceURL}
	s.session = &session{c: s.xrpc, identifier: cfg.Identifier, password: password}
	s.profiles = &profileCache{s: s, enabled: cfg.authorFollowers(), entries: map[string]profileEntry{}}
	queries := slices.Clone(cfg.Queries)
	if cfg.fromWatches() && deps.Watches != nil {
		for _, q := range watchQueries(deps.Watches) {
			if !slices.Contains(queries, q) {
				queries = append(queries, q)
			}
		}
	}
	for _, q := range queries {
		f := &feed{query: q, key: Name + "/search/" + q.Q, label: "search/" + q.Q, overlap: cfg.Overlap}
		if q.Lang != "" {
			f.key += "/lang=" + q.Lang
			f.label += " lang:" + q.Lang
		}
		s.feeds = append(s.feeds, f)
	}
	if len(s.feeds) == 0 && !cfg.Jetstream.Enabled {
		return nil, errors.New("queries: nothing to search: no queries configured and the watches give none")
	}
	return s, nil
}

func (c Config) clone() Config {
	c.Queries = slices.Clone(c.Queries)
	if c.FromWatches != nil {
		v := *c.FromWatches
		c.FromWatches = &v
	}
	if c.AuthorFollowers != nil {
		v := *c.AuthorFollowers
		c.AuthorFollowers = &v
	}
	return c
}

// watchQueries makes one search per positive term of each watch: a word,
// a "phrase", a #hashtag, and from:/mentions: for handles that are
// Bluesky handles (domain names). Wildcards have no search equivalent and
// are left to the other queries. A watch limited to one language searches
// in that language only.
func watchQueries(m *watch.Matcher) []Query {
	var out []Query
	add := func(q Query) {
		if q.Q != "" && len(q.Q) <= MaxQueryLen && !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	for _, spec := range m.Specs() {
		up := m.Upstream(spec.ID)
		lang := ""
		if len(up.Langs) == 1 && validLang(up.Langs[0]) {
			lang = up.Langs[0]
		}
		for _, t := range up.Terms {
			add(Query{Q: t, Lang: lang})
		}
		for _, p := range up.Phrases {
			add(Query{Q: `"` + strings.ReplaceAll(p, `"`, "") + `"`, Lang: lang})
		}
		for _, h := range up.Hashtags {
			add(Query{Q: "#" + h, Lang: lang})
		}
		for _, h := range up.Handles {
			if strings.Contains(h, ".") && !strings.Contains(h, "@") {
				add(Query{Q: "from:" + h, Lang: lang})
				add(Query{Q: "mentions:" + h, Lang: lang})
			}
		}
	}
	return out
}

// Name returns "bluesky".
func (s *Source) Name() string { return Name }

// Feeds lists the searches the Source runs, and "jetstream" when on.
func (s *Source) Feeds() []string {
	var out []string
	for _, f := range s.feeds {
		out = append(out, f.label)
	}
	if s.cfg.Jetstream.Enabled {
		out = append(out, "jetstream")
	}
	return out
}

// Run searches every query at each poll interval (and follows Jetstream
// when enabled) until ctx is cancelled, then flushes and returns nil. A
// failing query is logged, reported as gaps and retried at the next poll.
func (s *Source) Run(ctx context.Context, pub ingest.Publisher) error {
	lp := &lockedPublisher{p: pub}
	s.log.Info("bluesky starting", "service", s.cfg.ServiceURL, "feeds", strings.Join(s.Feeds(), ", "))
	var wg sync.WaitGroup
	if len(s.feeds) > 0 {
		wg.Go(func() { s.pollLoop(ctx, lp) })
	}
	if s.cfg.Jetstream.Enabled {
		wg.Go(func() { s.jetstreamLoop(ctx, lp) })
	}
	wg.Wait()

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	if err := lp.Flush(fctx); err != nil {
		s.log.Error("final_flush_failed", "error", err)
	}
	now := s.now()
	for _, f := range s.feeds {
		f.health.Report(fctx, s.deps.Gaps, Name, f.label, now, false)
	}
	s.log.Info("bluesky stopped")
	return nil
}

func (s *Source) pollLoop(ctx context.Context, pub *lockedPublisher) {
	for {
		for _, f := range s.feeds {
			if ctx.Err() != nil {
				return
			}
			if err := s.pollSearch(ctx, f, pub); err != nil && ctx.Err() == nil {
				s.log.Error("poll_failed", "feed", f.label, "error", err)
			}
		}
		if s.sleep(ctx, s.cfg.PollInterval) != nil {
			return
		}
	}
}

// publish normalises and publishes m; a mention Normalize rejects is
// logged, counted and skipped.
func (s *Source) publish(ctx context.Context, pub *lockedPublisher, feed string, m *mention.Mention) error {
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

// lockedPublisher serialises the goroutines on one Publisher.
type lockedPublisher struct {
	mu sync.Mutex
	p  ingest.Publisher
}

func (l *lockedPublisher) Publish(ctx context.Context, m *mention.Mention) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.p.Publish(ctx, m)
}

func (l *lockedPublisher) Flush(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.p.Flush(ctx)
}
