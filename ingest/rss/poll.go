package rss

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/mention"
)

// minBackoff is the first wait after a failed poll.
const minBackoff = 30 * time.Second

// maxRetryAfter caps what a server may ask us to wait.
const maxRetryAfter = 24 * time.Hour

// Poll results, as counted in vigie_ingest_rss_polls_total and used as
// gap reasons.
const (
	resultOK          = "ok"
	resultNotModified = "not_modified"
	resultRateLimited = "rate_limited"
	result4xx         = "http_4xx"
	result5xx         = "http_5xx"
	resultNetwork     = "network"
	resultMalformed   = "malformed"
	resultTooLarge    = "too_large"
	resultPublish     = "publish"
	resultCancelled   = "cancelled"
)

// checkpoint is what is kept of a feed between runs, in the checkpoints
// bucket under "rss/<hash of the URL>".
type checkpoint struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	Newest       time.Time `json:"newest,omitzero"`     // date of the newest item seen
	NewestID     string    `json:"newest_id,omitempty"` // its id
	// Seen holds the hashes of the items already published (those of the
	// last document first), so that an item is published once.
	Seen []string `json:"seen,omitempty"`
}

// CheckpointKey is the checkpoint key of a feed URL.
func CheckpointKey(feedURL string) string {
	sum := sha256.Sum256([]byte(feedURL))
	return Name + "/" + hex.EncodeToString(sum[:16])
}

// poller polls one feed. Only its goroutine touches it.
type poller struct {
	s      *Source
	f      Feed
	key    string
	log    *slog.Logger
	parser *gofeed.Parser
	cp     checkpoint

	failures   int       // consecutive failed polls
	downSince  time.Time // first failure of the current outage; zero when up
	downReason string
}

func (s *Source) newPoller(f Feed) *poller {
	return &poller{
		s: s, f: f, key: CheckpointKey(f.URL),
		log:    s.log.With("feed", f.Name, "url", f.URL),
		parser: newParser(),
		cp:     checkpoint{URL: f.URL},
	}
}

func newParser() *gofeed.Parser { return gofeed.NewParser() }

// run polls until ctx is cancelled.
func (p *poller) run(ctx context.Context, pub ingest.Publisher) {
	defer p.closeOutage(ctx)
	if !p.load(ctx) {
		return
	}
	for {
		d := p.poll(ctx, pub)
		if ctx.Err() != nil {
			return
		}
		if err := p.s.sleep(ctx, p.f.Name, d); err != nil {
			return
		}
	}
}

// load reads the checkpoint, retrying while the store fails. It returns
// false when ctx ends first.
func (p *poller) load(ctx context.Context) bool {
	if p.s.deps.Checkpoints == nil {
		return true
	}
	for attempt := 1; ; attempt++ {
		data, err := p.s.deps.Checkpoints.Load(ctx, p.key)
		if err == nil {
			if data != nil {
				var cp checkpoint
				if err := json.Unmarshal(data, &cp); err != nil {
					p.log.Warn("rss_checkpoint_unreadable", "key", p.key, "error", err)
				} else {
					cp.URL = p.f.URL
					p.cp = cp
				}
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		d := p.s.jitter(backoff(minBackoff, attempt, p.s.cfg.MaxBackoff))
		p.log.Warn("rss_checkpoint_load_failed", "key", p.key, "error", err, "retry_in_seconds", d.Seconds())
		if p.s.sleep(ctx, p.f.Name, d) != nil {
			return false
		}
	}
}

// fetched is the outcome of one request.
type fetched struct {
	result       string
	body         []byte
	etag         string
	lastModified string
	retryAfter   time.Duration
	err          error
}

// poll fetches the feed once, publishes what is new and returns how long
// to wait before the next poll.
func (p *poller) poll(ctx context.Context, pub ingest.Publisher) time.Duration {
	start := p.s.now()
	r := p.fetch(ctx)
	if ctx.Err() != nil {
		return 0
	}
	switch r.result {
	case resultNotModified:
		p.s.m.duration.Observe(p.s.now().Sub(start).Seconds())
		p.succeeded(ctx, resultNotModified)
		return p.f.Interval
	case resultOK:
		doc, err := p.parse(r.body)
		p.s.m.duration.Observe(p.s.now().Sub(start).Seconds())
		if err != nil {
			return p.failed(ctx, resultMalformed, err, true)
		}
		if err := p.publish(ctx, pub, doc, r); err != nil {
			if ctx.Err() != nil {
				return 0
			}
			return p.failed(ctx, resultPublish, err, true)
		}
		p.succeeded(ctx, resultOK)
		return p.f.Interval
	case resultRateLimited:
		return p.rateLimited(ctx, r.retryAfter)
	case result5xx, resultNetwork:
		return p.failed(ctx, r.result, r.err, true)
	default: // 4xx, too large: retrying soon will not help
		return p.failed(ctx, r.result, r.err, false)
	}
}

// fetch makes a conditional GET, one of at most Concurrency at a time.
func (p *poller) fetch(ctx context.Context) fetched {
	select {
	case p.s.fetchSlots <- struct{}{}:
	case <-ctx.Done():
		return fetched{result: resultCancelled}
	}
	defer func() { <-p.s.fetchSlots }()
	rctx, cancel := context.WithTimeout(ctx, p.s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, p.f.URL, nil)
	if err != nil {
		return fetched{result: result4xx, err: fmt.Errorf("request: %w", err)}
	}
	req.Header.Set("User-Agent", p.s.cfg.UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5")
	if p.cp.ETag != "" {
		req.Header.Set("If-None-Match", p.cp.ETag)
	}
	if p.cp.LastModified != "" {
		req.Header.Set("If-Modified-Since", p.cp.LastModified)
	}
	resp, err := p.s.deps.HTTP.Do(req)
	if err != nil {
		return fetched{result: resultNetwork, err: err}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		resp.Body.Close()
	}()
	code := resp.StatusCode
	switch {
	case code == http.StatusNotModified:
		return fetched{result: resultNotModified}
	case code >= 200 && code < 300:
		body, err := io.ReadAll(io.LimitReader(resp.Body, p.s.cfg.MaxBodyBytes+1))
		if err != nil {
			return fetched{result: resultNetwork, err: fmt.Errorf("reading the body: %w", err)}
		}
		if int64(len(body)) > p.s.cfg.MaxBodyBytes {
			return fetched{result: resultTooLarge, err: fmt.Errorf("the feed is larger than max_body_bytes (%d)", p.s.cfg.MaxBodyBytes)}
		}
		return fetched{result: resultOK, body: body, etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	case code == http.StatusTooManyRequests:
		return fetched{result: resultRateLimited, retryAfter: retryAfter(resp.Header.Get("Retry-After"), p.s.now())}
	case code >= 500 || code == http.StatusRequestTimeout:
		return fetched{result: result5xx, err: fmt.Errorf("HTTP %d", code)}
	}
	return fetched{result: result4xx, err: fmt.Errorf("HTTP %d", code)}
}

// parse reads a feed document. The parser reads outside input: a panic
// in it is turned into an error rather than taking the process down.
func (p *poller) parse(body []byte) (doc *gofeed.Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("feed parser panic: %v", r)
		}
	}()
	doc, err = p.parser.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// publish publishes the items not seen before, flushes, then saves the
// checkpoint.
func (p *poller) publish(ctx context.Context, pub ingest.Publisher, doc *gofeed.Feed, r fetched) error {
	now := p.s.now()
	conv := newConverter(p.f, p.s.cfg.MaxTextBytes, now, doc)
	items := doc.Items
	if len(items) > p.s.cfg.MaxItems {
		p.log.Info("rss_feed_truncated", "items", len(items), "max_items", p.s.cfg.MaxItems)
		items = items[:p.s.cfg.MaxItems]
	}
	seen := make(map[string]bool, len(p.cp.Seen))
	for _, h := range p.cp.Seen {
		seen[h] = true
	}
	current := make([]string, 0, len(items))
	inDoc := make(map[string]bool, len(items))
	var fresh []*mention.Mention
	var newest, oldest time.Time
	newestID, known := "", false
	lim := mention.Limits{MaxTextBytes: p.s.cfg.MaxTextBytes}
	for _, it := range items {
		if it == nil {
			continue
		}
		link, hash := identity(p.f.URL, conv.base, it)
		if inDoc[hash] {
			continue
		}
		inDoc[hash] = true
		current = append(current, hash)
		if t, dated := conv.itemTime(it); dated {
			if t.After(newest) {
				newest, newestID = t, IDPrefix+hash
			}
			if oldest.IsZero() || t.Before(oldest) {
				oldest = t
			}
		}
		if seen[hash] {
			known = true
			continue
		}
		m := conv.mention(it, link, hash)
		if err := mention.Normalize(m, lim, now); err != nil {
			p.s.m.items.WithLabelValues(p.f.Name, "rejected").Inc()
			p.log.Warn("rss_item_rejected", "id", m.ID, "link", link, "error", err)
			continue
		}
		fresh = append(fresh, m)
	}
	if err := p.publishAll(ctx, pub, fresh); err != nil {
		return err
	}
	p.s.m.items.WithLabelValues(p.f.Name, "published").Add(float64(len(fresh)))

	// Every item of the document is new and all are newer than the newest
	// seen before: the feed rolled over while we were not looking, and
	// what it held in between is lost.
	if len(p.cp.Seen) > 0 && !known && !p.cp.Newest.IsZero() && !oldest.IsZero() && oldest.After(p.cp.Newest) {
		p.report(ctx, ingest.Gap{From: p.cp.Newest, To: oldest, Reason: "feed_overflow"})
	}

	next := checkpoint{URL: p.f.URL, ETag: r.etag, LastModified: r.lastModified,
		Newest: p.cp.Newest, NewestID: p.cp.NewestID, Seen: mergeSeen(current, p.cp.Seen, 2*p.s.cfg.MaxItems)}
	if newest.After(next.Newest) {
		next.Newest, next.NewestID = newest, newestID
	}
	p.cp = next
	p.save(ctx)
	if len(fresh) > 0 {
		p.log.Debug("rss_items_published", "published", len(fresh), "items", len(items))
	}
	return nil
}

// publishAll publishes and flushes ms, one feed at a time.
func (p *poller) publishAll(ctx context.Context, pub ingest.Publisher, ms []*mention.Mention) error {
	if len(ms) == 0 {
		return nil
	}
	p.s.pubMu.Lock()
	defer p.s.pubMu.Unlock()
	for _, m := range ms {
		if err := pub.Publish(ctx, m); err != nil {
			return fmt.Errorf("publish %s: %w", m.ID, err)
		}
	}
	if err := pub.Flush(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// save stores the checkpoint. A failure is logged: the position is kept
// in memory, and after a restart the dedup window absorbs the overlap.
func (p *poller) save(ctx context.Context) {
	if p.s.deps.Checkpoints == nil {
		return
	}
	data, err := json.Marshal(p.cp)
	if err == nil {
		err = p.s.deps.Checkpoints.Save(ctx, p.key, data)
	}
	if err != nil && ctx.Err() == nil {
		p.log.Warn("rss_checkpoint_save_failed", "key", p.key, "error", err)
	}
}

// mergeSeen keeps the hashes of the current document, then the older
// ones, up to limit.
func mergeSeen(current, old []string, limit int) []string {
	out := make([]string, 0, min(limit, len(current)+len(old)))
	in := make(map[string]bool, len(current))
	for _, h := range current {
		if len(out) == limit {
			return out
		}
		in[h] = true
		out = append(out, h)
	}
	for _, h := range old {
		if len(out) == limit {
			break
		}
		if !in[h] {
			out = append(out, h)
		}
	}
	return out
}

// succeeded records a good poll and closes an outage.
func (p *poller) succeeded(ctx context.Context, result string) {
	now := p.s.now()
	p.s.m.polls.WithLabelValues(p.f.Name, result).Inc()
	p.s.m.up.WithLabelValues(p.f.Name).Set(1)
	p.s.m.lastSuccess.WithLabelValues(p.f.Name).Set(float64(now.UnixNano()) / 1e9)
	if !p.downSince.IsZero() {
		p.log.Info("rss_feed_recovered", "down_seconds", now.Sub(p.downSince).Seconds(), "failures", p.failures)
		p.closeOutage(ctx)
	}
	p.failures = 0
}

// failed records a failed poll and returns the wait before the next one:
// a capped exponential backoff with jitter when retrying may help, else
// the feed's interval, doubling while the failure lasts.
func (p *poller) failed(ctx context.Context, result string, err error, retryable bool) time.Duration {
	now := p.s.now()
	p.failures++
	p.s.m.polls.WithLabelValues(p.f.Name, result).Inc()
	p.s.m.up.WithLabelValues(p.f.Name).Set(0)
	if p.downSince.IsZero() {
		p.downSince, p.downReason = now, result
	}
	var d time.Duration
	if retryable {
		d = p.s.jitter(backoff(minBackoff, p.failures, p.s.cfg.MaxBackoff))
		p.log.Warn("rss_poll_failed", "result", result, "error", err, "failures", p.failures, "retry_in_seconds", d.Seconds())
	} else {
		d = max(p.f.Interval, backoff(p.f.Interval, p.failures, p.s.cfg.MaxBackoff))
		p.log.Error("rss_feed_unavailable", "result", result, "error", err, "failures", p.failures,
			"hint", "check the feed URL; it is polled again, less often, until it answers", "retry_in_seconds", d.Seconds())
	}
	return d
}

// rateLimited honours a 429: Retry-After when given, else backoff; the
// wait is reported as a gap.
func (p *poller) rateLimited(ctx context.Context, retry time.Duration) time.Duration {
	now := p.s.now()
	p.failures++
	p.s.m.polls.WithLabelValues(p.f.Name, resultRateLimited).Inc()
	d := retry
	if d <= 0 {
		d = p.s.jitter(backoff(minBackoff, p.failures, p.s.cfg.MaxBackoff))
	}
	p.closeOutage(ctx) // an outage before the 429 ends here
	p.log.Warn("rss_rate_limited", "retry_in_seconds", d.Seconds(), "retry_after_given", retry > 0)
	p.report(ctx, ingest.Gap{From: now, To: now.Add(d), Reason: resultRateLimited})
	return d
}

// closeOutage reports the open outage, if any, up to now.
func (p *poller) closeOutage(ctx context.Context) {
	if p.downSince.IsZero() {
		return
	}
	p.report(ctx, ingest.Gap{From: p.downSince, To: p.s.now(), Reason: p.downReason})
	p.downSince, p.downReason = time.Time{}, ""
}

func (p *poller) report(ctx context.Context, g ingest.Gap) {
	g.Source, g.Feed = Name, p.f.Name
	if p.s.deps.Gaps == nil {
		p.log.Warn("rss_gap", "from", g.From, "to", g.To, "reason", g.Reason)
		return
	}
	p.s.deps.Gaps.Report(context.WithoutCancel(ctx), g)
}

// backoff returns base·2^(n-1), capped.
func backoff(base time.Duration, n int, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
