// Package mastodon is the collector for Mastodon instances: hashtag and
// account timelines polled with min_id (no gap across restarts), hashtag
// streams over server-sent events, several instances each with its token.
package mastodon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigie-project/vigie/config/secret"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
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
			return errors.New("mastodon: WithSleep: nil func")
		}
		s.sleep = fn
		return nil
	}
}

// Source collects statuses from Mastodon instances. It implements
// ingest.Source.
type Source struct {
	cfg       Config
	deps      ingest.Deps
	log       *slog.Logger
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
	met       *httpsrc.SourceMetrics
	instances []*instance
	// streamHTTP is deps.HTTP without its overall timeout, which would
	// cut long-lived streams; REST requests are bounded by RequestTimeout.
	streamHTTP *http.Client
}

var _ ingest.Source = (*Source)(nil)

// instance is one configured server with its feeds.
type instance struct {
	cfg      Instance
	host     string
	rest     *client
	stream   *client // the streaming server; rest when not configured
	polled   []*feed
	streamed []*feed
}

// feed is one timeline: a hashtag or an account, on one instance.
type feed struct {
	kind  string // "tag" or "account"
	name  string // the hashtag, or the account's acct
	key   string // checkpoint key: mastodon/<host>/<kind>/<name>
	label string // for logs and gaps: <host>/<kind>/<name>

	// Owned by the one goroutine that reads the feed.
	loaded    bool
	minID     string // newest status id published (the checkpoint)
	accountID string // resolved from name for account feeds
	health    httpsrc.Health
}

// New applies defaults to a copy of cfg, validates it, reads the secrets
// and works out the feeds (configured hashtags and accounts, plus the
// watches' hashtags and single-word terms when from_watches is on).
func New(cfg Config, deps ingest.Deps, opts ...Option) (*Source, error) {
	cfg = cfg.clone()
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.HTTP == nil:
		return nil, errors.New("mastodon: deps.HTTP is nil")
	case deps.Checkpoints == nil:
		return nil, errors.New("mastodon: deps.Checkpoints is nil")
	case deps.Gaps == nil:
		return nil, errors.New("mastodon: deps.Gaps is nil")
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	met, err := httpsrc.NewSourceMetrics(deps.Registerer, Name)
	if err != nil {
		return nil, fmt.Errorf("mastodon: %w", err)
	}
	s := &Source{
		cfg:   cfg,
		deps:  deps,
		log:   log.With("component", "ingest", "source", Name),
		now:   deps.Clock(),
		sleep: sleepCtx,
		met:   met,
	}
	sc := *deps.HTTP
	sc.Timeout = 0
	s.streamHTTP = &sc
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	watchTags := s.watchHashtags()
	for i, ic := range cfg.Instances {
		field := fmt.Sprintf("instances[%d].access_token", i)
		tok, err := secret.Resolve(field, ic.AccessToken, ic.AccessTokenFile)
		if err != nil {
			return nil, err
		}
		u, _ := url.Parse(ic.URL) // validated
		in := &instance{cfg: ic, host: strings.ToLower(u.Host)}
		in.rest = &client{s: s, base: ic.URL, host: in.host, token: tok}
		in.stream = in.rest
		if ic.StreamingURL != "" {
			su, _ := url.Parse(ic.StreamingURL)
			in.stream = &client{s: s, base: ic.StreamingURL, host: strings.ToLower(su.Host), token: tok}
		}
		tags := slices.Clone(ic.Hashtags)
		for _, t := range watchTags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		for _, t := range tags {
			f := in.newFeed("tag", t)
			if ic.Stream {
				in.streamed = append(in.streamed, f)
			} else {
				in.polled = append(in.polled, f)
			}
		}
		for _, a := range ic.Accounts {
			in.polled = append(in.polled, in.newFeed("account", a))
		}
		if len(in.polled)+len(in.streamed) == 0 {
			return nil, fmt.Errorf("instances[%d]: nothing to follow: no hashtags or accounts configured, and the watches have no hashtags or single-word terms", i)
		}
		s.instances = append(s.instances, in)
	}
	return s, nil
}

func (in *instance) newFeed(kind, name string) *feed {
	return &feed{
		kind:  kind,
		name:  name,
		key:   Name + "/" + in.host + "/" + kind + "/" + name,
		label: in.host + "/" + kind + "/" + name,
	}
}

// watchHashtags lists the hashtags and single-word terms of the watches
// (a plain word of a query also matches the hashtag written the same).
func (s *Source) watchHashtags() []string {
	if !s.cfg.fromWatches() || s.deps.Watches == nil {
		return nil
	}
	var out []string
	for _, spec := range s.deps.Watches.Specs() {
		up := s.deps.Watches.Upstream(spec.ID)
		for _, t := range append(up.Hashtags, up.Terms...) {
			t = normHashtag(t)
			if validHashtag(t) && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (c Config) clone() Config {
	c.Instances = slices.Clone(c.Instances)
	for i := range c.Instances {
		c.Instances[i].Hashtags = slices.Clone(c.Instances[i].Hashtags)
		c.Instances[i].Accounts = slices.Clone(c.Instances[i].Accounts)
	}
	if c.FromWatches != nil {
		v := *c.FromWatches
		c.FromWatches = &v
	}
	return c
}

// Name returns "mastodon".
func (s *Source) Name() string { return Name }

// Feeds lists the feeds the Source reads, as "<host>/tag/<name>" or
// "<host>/account/<acct>", streamed ones marked " (stream)".
func (s *Source) Feeds() []string {
	var out []string
	for _, in := range s.instances {
		for _, f := range in.polled {
			out = append(out, f.label)
		}
		for _, f := range in.streamed {
			out = append(out, f.label+" (stream)")
		}
	}
	return out
}

// Run reads every feed until ctx is cancelled, then flushes and returns
// nil. A failing feed or instance is logged, reported as gaps and retried;
// it never stops the others.
func (s *Source) Run(ctx context.Context, pub ingest.Publisher) error {
	lp := &lockedPublisher{p: pub}
	s.log.Info("mastodon starting", "feeds", strings.Join(s.Feeds(), ", "))
	var wg sync.WaitGroup
	for _, in := range s.instances {
		if len(in.polled) > 0 {
			wg.Go(func() { s.pollLoop(ctx, in, lp) })
		}
		for _, f := range in.streamed {
			wg.Go(func() { s.streamLoop(ctx, in, f, lp) })
		}
	}
	wg.Wait()

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	if err := lp.Flush(fctx); err != nil {
		// Nothing is lost: checkpoints only move after a successful Flush.
		s.log.Error("final_flush_failed", "error", err)
	}
	now := s.now()
	for _, in := range s.instances {
		for _, f := range append(slices.Clone(in.polled), in.streamed...) {
			f.health.Report(fctx, s.deps.Gaps, Name, f.label, now, false)
		}
	}
	s.log.Info("mastodon stopped")
	return nil
}

// pollLoop polls the instance's timelines, one after the other, then
// sleeps for the poll interval.
func (s *Source) pollLoop(ctx context.Context, in *instance, pub *lockedPublisher) {
	for {
		for _, f := range in.polled {
			if ctx.Err() != nil {
				return
			}
			if err := s.pollFeed(ctx, in, f, pub); err != nil && ctx.Err() == nil {
				s.log.Error("poll_failed", "feed", f.label, "error", err)
			}
		}
		if s.sleep(ctx, s.cfg.PollInterval) != nil {
			return
		}
	}
}

// publish normalises and publishes ms; a mention Normalize rejects is
// logged, counted and skipped.
func (s *Source) publish(ctx context.Context, pub *lockedPublisher, feed string, ms []*mention.Mention) error {
	now := s.now()
	for _, m := range ms {
		if err := mention.Normalize(m, mention.Limits{}, now); err != nil {
			s.reject(feed, "invalid", m.ID, err)
			continue
		}
		if err := pub.Publish(ctx, m); err != nil {
			return fmt.Errorf("publish %s: %w", m.ID, err)
		}
		s.met.Collected.WithLabelValues(feed).Inc()
	}
	return nil
}

func (s *Source) reject(feed, reason, id string, err error) {
	s.met.Rejected.WithLabelValues(reason).Inc()
	s.log.Warn("status_skipped", "feed", feed, "reason", reason, "id", id, "error", err)
}

// lockedPublisher serialises the feeds' goroutines on one Publisher: the
// ingest.Publisher contract does not promise concurrency safety.
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
