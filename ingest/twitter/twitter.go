// Package twitter is the Twitter API v1.1 collector, built on
// github.com/dghubble/go-twitter: standard search polled with a since_id
// checkpoint per query, and the statuses/filter stream; ids shared with X v2.
package twitter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigie-project/vigie/config/secret"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

// Names.
const (
	// Name is the collector's name: in logs, metrics, gaps and checkpoint keys.
	Name = "twitter"
	// MentionSource is Mention.Source of what this collector publishes
	// (the X v2 collector uses it too).
	MentionSource = "twitter"
	// IDPrefix starts every mention id: "twitter:<tweet id>", shared with
	// the X v2 collector, so a post collected by both is one.
	IDPrefix = "twitter:"
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
			return errors.New("twitter: WithSleep: nil func")
		}
		s.sleep = fn
		return nil
	}
}

// OnDelete registers fn to be called for every deletion notice of the
// stream, with the mention id ("twitter:<id>"). Twitter's terms ask that
// deleted posts be removed from storage; vigie has no deletion path yet,
// so without this option notices are only counted. fn runs on the
// stream's goroutine and must not block for long.
func OnDelete(fn func(ctx context.Context, id string)) Option {
	return func(s *Source) error {
		if fn == nil {
			return errors.New("twitter: OnDelete: nil func")
		}
		s.onDelete = fn
		return nil
	}
}

// Source collects from the Twitter API v1.1. It implements ingest.Source.
type Source struct {
	cfg      Config
	log      *slog.Logger
	client   *http.Client      // deps.HTTP: redirect policy and jar are kept
	chain    http.RoundTripper // auth → rewrite → deps.HTTP's transport
	checkpts ingest.Checkpoints
	gaps     ingest.Gaps
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	onDelete func(context.Context, string)
	m        *httpsrc.Metrics
	rate     httpsrc.RateState

	searches []searchQuery
	stream   streamPlan

	rejects atomic.Int64
}

var _ ingest.Source = (*Source)(nil)

// searchQuery is one search query of one watch.
type searchQuery struct {
	watch string
	n     int
	query string
	lang  string
}

// New checks cfg, resolves the credentials, builds the queries and the
// track list from deps.Watches and returns a Source ready to Run.
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
		return nil, fmt.Errorf("twitter: config: %w", err)
	}
	switch {
	case deps.HTTP == nil:
		return nil, errors.New("twitter: deps.HTTP: required")
	case deps.Watches == nil:
		return nil, errors.New("twitter: deps.Watches: required")
	case deps.Checkpoints == nil && cfg.Search != nil:
		return nil, errors.New("twitter: deps.Checkpoints: required by search")
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{
		cfg:      cfg,
		log:      log.With("component", "ingest", "source", Name),
		client:   deps.HTTP,
		checkpts: deps.Checkpoints,
		gaps:     deps.Gaps,
		now:      deps.Clock(),
		sleep:    httpsrc.SleepCtx,
		onDelete: func(context.Context, string) {},
	}
	if s.gaps == nil {
		s.gaps = logGaps{s.log}
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	a, err := s.newAuth(deps.HTTP.Transport)
	if err != nil {
		return nil, err
	}
	if s.chain, err = newRewrite(a, cfg.APIURL, cfg.StreamURL); err != nil {
		return nil, fmt.Errorf("twitter: config: %w", err)
	}
	if s.m, err = httpsrc.NewMetrics(deps.Registerer); err != nil {
		return nil, fmt.Errorf("twitter: %w", err)
	}
	if err := s.plan(deps.Watches); err != nil {
		return nil, err
	}
	if cfg.Stream != nil && a.signer == nil {
		s.log.Warn("stream_needs_user_context", "reason", "Twitter accepts statuses/filter with OAuth 1.0a only; with a bearer token it answers 403")
	}
	return s, nil
}

// newAuth resolves the credentials into the auth transport.
func (s *Source) newAuth(base http.RoundTripper) (*auth, error) {
	if base == nil {
		base = http.DefaultTransport
	}
	c := s.cfg
	if !c.oauth1() {
		tok, err := secret.Resolve("bearer_token", c.BearerToken, c.BearerTokenFile)
		if err != nil {
			return nil, fmt.Errorf("twitter: config: %w", err)
		}
		if tok == "" {
			return nil, errors.New("twitter: config: bearer_token: is empty")
		}
		return &auth{next: base, bearer: tok}, nil
	}
	var creds oauth1Credentials
	for _, f := range []struct {
		field string
		v     secret.Secret
		file  string
		dst   *secret.Secret
	}{
		{"consumer_key", c.ConsumerKey, "", &creds.consumerKey},
		{"consumer_secret", c.ConsumerSecret, c.ConsumerSecretFile, &creds.consumerSecret},
		{"access_token", c.AccessToken, "", &creds.token},
		{"access_token_secret", c.AccessTokenSecret, c.AccessTokenSecretFile, &creds.tokenSecret},
	} {
		v, err := secret.Resolve(f.field, f.v, f.file)
		if err != nil {
			return nil, fmt.Errorf("twitter: config: %w", err)
		}
		if v == "" {
			return nil, fmt.Errorf("twitter: config: %s: is empty", f.field)
		}
		*f.dst = v
	}
	s.cfg.ConsumerKey, s.cfg.ConsumerSecret, s.cfg.AccessToken, s.cfg.AccessTokenSecret = "", "", "", ""
	return &auth{next: base, signer: &oauth1Signer{creds: creds, now: s.now, nonce: randomNonce}}, nil
}

// plan builds the search queries and the stream's track list.
func (s *Source) plan(w *watch.Matcher) error {
	known := map[string]bool{}
	var ids []string
	for _, sp := range w.Specs() {
		known[sp.ID] = true
		ids = append(ids, sp.ID)
	}
	if len(s.cfg.Watches) > 0 {
		ids = s.cfg.Watches
	}
	var ups []watch.Upstream
	for i, id := range ids {
		if !known[id] {
			return fmt.Errorf("twitter: config: watches[%d]: no watch %q", i, id)
		}
		up := w.Upstream(id)
		ups = append(ups, up)
		if c := s.cfg.Search; c != nil {
			p, out := buildSearch(up, c.MaxQueryLength)
			s.logDropped(id, feedSearch, out)
			for n, q := range p.queries {
				s.searches = append(s.searches, searchQuery{watch: id, n: n, query: q, lang: p.lang})
			}
		}
	}
	if s.cfg.Search != nil && len(s.searches) == 0 {
		return errors.New("twitter: search: no selected watch has a term Twitter can search (wildcards, source: and lang: alone are not searchable)")
	}
	if s.cfg.Stream != nil {
		p, out := buildStream(ups)
		s.logDropped("", feedStream, out)
		if len(p.track) == 0 && len(p.handles) == 0 {
			return errors.New("twitter: stream: no selected watch has a term Twitter can track (wildcards, source: and lang: alone are not)")
		}
		s.stream = p
	}
	return nil
}

func (s *Source) logDropped(watchID, feed string, out []dropped) {
	for _, d := range out {
		s.log.Warn("upstream_term_dropped", "watch", watchID, "feed", feed, "term", d.Term, "reason", d.Reason)
	}
}

// Name returns "twitter".
func (s *Source) Name() string { return Name }

// Run polls and streams until ctx is cancelled, then flushes and returns
// nil. A query or the stream that fails for good (a 4xx other than
// 420/429) is logged and reported as a gap; the rest goes on. Run returns
// an error only when neither search nor stream can go on.
func (s *Source) Run(ctx context.Context, pub ingest.Publisher) error {
	s.log.Info("source_starting", "search_queries", len(s.searches), "track", len(s.stream.track), "follow_handles", len(s.stream.handles))
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

// restClient is the client of REST calls made for ctx.
func (s *Source) restClient(ctx context.Context) *http.Client {
	c := *s.client
	c.Timeout = 0 // bound applies the request timeout
	c.Transport = &bound{next: s.chain, ctx: ctx, timeout: s.cfg.RequestTimeout}
	return &c
}

// publish normalizes m and publishes it. A record Normalize rejects is
// counted and skipped; only a publisher error is returned.
func (s *Source) publish(ctx context.Context, pub ingest.Publisher, m *mention.Mention, feed string) error {
	if err := mention.Normalize(m, mention.Limits{}, s.now()); err != nil {
		s.reject("invalid", m.ID, err)
		return nil
	}
	if err := pub.Publish(ctx, m); err != nil {
		return fmt.Errorf("twitter: %s: publish %s: %w", feed, m.ID, err)
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
