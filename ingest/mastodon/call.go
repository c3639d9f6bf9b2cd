package mastodon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigie-project/vigie/config/secret"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// maxBody bounds a REST response; a timeline page of 40 statuses is
// rarely above 200 KiB.
const maxBody = 8 << 20

// statusError is a response the collector does not retry: a 4xx other
// than 429. The feed is skipped until its next poll.
type statusError struct {
	Code int
	Msg  string // the API's error message, if any, truncated
}

func (e *statusError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("HTTP %d", e.Code)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Code, e.Msg)
}

// client makes the REST requests to one instance. blockedUntil is shared
// by every feed of the instance: rate limits are per account or per IP.
type client struct {
	s     *Source
	base  string // instance URL, no trailing slash
	host  string
	token secret.Secret

	mu           sync.Mutex
	blockedUntil time.Time
}

// get fetches base+path?query. Network errors and 5xx are retried with
// capped exponential backoff and jitter, a 429 or an exhausted rate limit
// waits for the reset; the time not read is reported as gaps on feed.
func (c *client) get(ctx context.Context, h *httpsrc.Health, feed, endpoint, path, query string) ([]byte, http.Header, error) {
	s := c.s
	attempt, waits := 0, 0
	for {
		if err := c.waitUnblocked(ctx, endpoint); err != nil {
			return nil, nil, err
		}
		body, hdr, err := c.once(ctx, endpoint, path, query)
		now := s.now()
		if err == nil {
			h.Report(ctx, s.deps.Gaps, Name, feed, now, false)
			return body, hdr, nil
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		var rl *httpsrc.RateLimitError
		var se *statusError
		var re *httpsrc.RetryError
		switch {
		case errors.As(err, &rl):
			waits++
			if waits > 3 {
				h.Fail(now, "rate_limited")
				h.Report(ctx, s.deps.Gaps, Name, feed, now, true)
				return nil, nil, err
			}
			c.block(ctx, rl.Until, feed)
			continue
		case errors.As(err, &re):
			h.Fail(now, re.Reason)
		case errors.As(err, &se):
			h.Fail(now, "http_"+strconv.Itoa(se.Code))
			h.Report(ctx, s.deps.Gaps, Name, feed, now, true)
			return nil, nil, err
		default:
			h.Fail(now, "outage")
		}
		if attempt >= s.cfg.MaxRetries {
			h.Report(ctx, s.deps.Gaps, Name, feed, now, true)
			return nil, nil, err
		}
		d := s.backoff(attempt)
		attempt++
		s.log.Warn("request_failed_retrying", "feed", feed, "error", err, "attempt", attempt, "retry_in", d.String())
		s.met.Waited.WithLabelValues(endpoint, h.Reason()).Add(d.Seconds())
		if err := s.sleep(ctx, d); err != nil {
			return nil, nil, err
		}
	}
}

// once makes one request and classifies its outcome.
func (c *client) once(ctx context.Context, endpoint, path, query string) ([]byte, http.Header, error) {
	s := c.s
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	u := c.base + path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, &statusError{Code: 0, Msg: err.Error()}
	}
	c.setHeaders(req, "application/json")
	start := time.Now()
	resp, err := s.deps.HTTP.Do(req)
	s.met.Duration.Observe(time.Since(start).Seconds())
	if err != nil {
		s.met.Requests.WithLabelValues(endpoint, "error").Inc()
		return nil, nil, &httpsrc.RetryError{Reason: "outage", Err: err}
	}
	defer resp.Body.Close()
	s.met.Requests.WithLabelValues(endpoint, strconv.Itoa(resp.StatusCode)).Inc()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, nil, &httpsrc.RetryError{Reason: "outage", Err: fmt.Errorf("reading the response: %w", err)}
	}
	now := s.now()
	if err := c.classify(resp, body, now); err != nil {
		return nil, nil, err
	}
	if len(body) > maxBody {
		return nil, nil, &statusError{Code: resp.StatusCode, Msg: fmt.Sprintf("response over %d bytes", maxBody)}
	}
	if remaining, reset, ok := rateLimit(resp.Header); ok && remaining <= 0 && reset.After(now) {
		// The next request would get a 429: wait for the reset first.
		c.block(ctx, reset, c.host)
	}
	return body, resp.Header, nil
}

// classify turns a response that is not a success into an error: a 429
// into a *httpsrc.RateLimitError (until Retry-After, else X-RateLimit-Reset), a
// 5xx into a *httpsrc.RetryError, any other status outside 2xx into a
// *statusError.
func (c *client) classify(resp *http.Response, body []byte, now time.Time) error {
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		until := now.Add(c.s.cfg.BackoffMin)
		if d, ok := retryAfter(resp.Header, now); ok {
			until = now.Add(d)
		} else if _, reset, ok := rateLimit(resp.Header); ok && reset.After(now) {
			until = reset
		}
		return &httpsrc.RateLimitError{Until: until}
	case resp.StatusCode >= 500:
		return &httpsrc.RetryError{Reason: "http_5xx", Err: &statusError{Code: resp.StatusCode, Msg: apiError(body)}}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return &statusError{Code: resp.StatusCode, Msg: apiError(body)}
	}
	return nil
}

func (c *client) setHeaders(req *http.Request, accept string) {
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.s.cfg.UserAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	}
}

// block makes every feed of the instance wait until until (capped), and
// reports the wait as a gap once, from the goroutine that hit the limit.
func (c *client) block(ctx context.Context, until time.Time, feed string) {
	s := c.s
	now := s.now()
	if max := now.Add(s.cfg.MaxRateLimitWait); until.After(max) {
		until = max
	}
	// A little jitter so that feeds waiting on one reset do not all
	// fire at the same instant.
	until = until.Add(time.Duration(rand.Int64N(int64(time.Second))))
	c.mu.Lock()
	extended := until.After(c.blockedUntil)
	if extended {
		c.blockedUntil = until
	}
	c.mu.Unlock()
	if !extended || !until.After(now) {
		return
	}
	s.log.Warn("rate_limited", "feed", feed, "until", until.UTC(), "wait", until.Sub(now).String())
	s.deps.Gaps.Report(ctx, ingest.Gap{Source: Name, Feed: c.host, From: now.UTC(), To: until.UTC(), Reason: "rate_limited"})
}

// waitUnblocked sleeps until the instance's rate limit has reset.
func (c *client) waitUnblocked(ctx context.Context, endpoint string) error {
	c.mu.Lock()
	until := c.blockedUntil
	c.mu.Unlock()
	d := until.Sub(c.s.now())
	if d <= 0 {
		return nil
	}
	c.s.met.Waited.WithLabelValues(endpoint, "rate_limited").Add(d.Seconds())
	return c.s.sleep(ctx, d)
}

// rateLimit reads Mastodon's X-RateLimit-Remaining and X-RateLimit-Reset
// (an ISO 8601 time).
func rateLimit(h http.Header) (remaining int64, reset time.Time, ok bool) {
	rs, ts := h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset")
	if rs == "" || ts == "" {
		return 0, time.Time{}, false
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(rs), 64)
	if err != nil {
		return 0, time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(ts))
	if err != nil {
		return 0, time.Time{}, false
	}
	return int64(r), t, true
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && n < 1<<31 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now), true
	}
	return 0, false
}

// apiError extracts Mastodon's {"error": "…"} message, truncated.
func apiError(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if err := unmarshalJSON(body, &e); err != nil || e.Error == "" {
		return ""
	}
	return truncate(e.Error, 200)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !startsRune(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func startsRune(b byte) bool { return b&0xC0 != 0x80 }

// backoff returns the wait before retry attempt (0-based): exponential
// from BackoffMin, capped at BackoffMax, with "equal jitter" (half fixed,
// half random) so that many feeds do not retry in step.
func (s *Source) backoff(attempt int) time.Duration {
	d := s.cfg.BackoffMin
	for i := 0; i < attempt && d < s.cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.BackoffMax)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
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
