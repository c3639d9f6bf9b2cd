package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// maxBody bounds an XRPC response; 100 posts are about 300 KiB.
const maxBody = 8 << 20

// statusError is a response the collector does not retry: a 4xx other
// than 429. Name is the XRPC error name ("ExpiredToken", "BadQueryString").
type statusError struct {
	Code int
	Name string
	Msg  string
}

func (e *statusError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.Code)
	if e.Name != "" {
		s += " " + e.Name
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// tokenProblem reports whether the error says the access token must be
// renewed.
func (e *statusError) tokenProblem() bool {
	return (e.Code == http.StatusUnauthorized || e.Code == http.StatusBadRequest) &&
		(e.Name == "ExpiredToken" || e.Name == "InvalidToken")
}

// client makes the XRPC requests. Rate limits apply per account or IP, so
// blockedUntil holds back every feed.
type client struct {
	s    *Source
	base string

	mu           sync.Mutex
	blockedUntil time.Time
}

// get calls the XRPC query method nsid with query. Network errors and 5xx
// are retried with capped exponential backoff and jitter; a 429 or an
// exhausted rate limit waits for the reset; an expired session is renewed
// once. The time not read is reported as gaps on feed.
func (c *client) get(ctx context.Context, h *httpsrc.Health, feed, nsid, query string) ([]byte, error) {
	s := c.s
	attempt, waits, renewed := 0, 0, false
	for {
		if err := c.waitUnblocked(ctx, endpointOf(nsid)); err != nil {
			return nil, err
		}
		token, err := s.session.token(ctx)
		if err != nil {
			var rl *httpsrc.RateLimitError
			switch {
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case errors.As(err, &rl) && waits < 3:
				waits++
				c.block(ctx, rl.Until, "login")
				continue
			}
			// A login that fails is an outage of every feed.
			h.Fail(s.now(), "login_failed")
			h.Report(ctx, s.deps.Gaps, Name, feed, s.now(), true)
			return nil, err
		}
		body, _, err := c.do(ctx, http.MethodGet, nsid, query, nil, token)
		now := s.now()
		if err == nil {
			h.Report(ctx, s.deps.Gaps, Name, feed, now, false)
			return body, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
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
				return nil, err
			}
			c.block(ctx, rl.Until, feed)
			continue
		case errors.As(err, &re):
			h.Fail(now, re.Reason)
		case errors.As(err, &se):
			if se.tokenProblem() && token != "" && !renewed {
				renewed = true
				s.session.expire(token)
				continue
			}
			h.Fail(now, "http_"+strconv.Itoa(se.Code))
			h.Report(ctx, s.deps.Gaps, Name, feed, now, true)
			return nil, err
		default:
			h.Fail(now, "outage")
		}
		if attempt >= s.cfg.MaxRetries {
			h.Report(ctx, s.deps.Gaps, Name, feed, now, true)
			return nil, err
		}
		d := s.backoff(attempt)
		attempt++
		s.log.Warn("request_failed_retrying", "feed", feed, "error", err, "attempt", attempt, "retry_in", d.String())
		s.met.Waited.WithLabelValues(endpointOf(nsid), h.Reason()).Add(d.Seconds())
		if err := s.sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// do makes one XRPC request and classifies its outcome. body, when not
// nil, is sent as JSON (procedures).
func (c *client) do(ctx context.Context, method, nsid, query string, body any, bearer string) ([]byte, http.Header, error) {
	s := c.s
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	u := c.base + "/xrpc/" + nsid
	if query != "" {
		u += "?" + query
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: encode request: %w", nsid, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, &statusError{Msg: err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	start := time.Now()
	resp, err := s.deps.HTTP.Do(req)
	s.met.Duration.Observe(time.Since(start).Seconds())
	if err != nil {
		s.met.Requests.WithLabelValues(endpointOf(nsid), "error").Inc()
		return nil, nil, &httpsrc.RetryError{Reason: "outage", Err: err}
	}
	defer resp.Body.Close()
	s.met.Requests.WithLabelValues(endpointOf(nsid), strconv.Itoa(resp.StatusCode)).Inc()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, nil, &httpsrc.RetryError{Reason: "outage", Err: fmt.Errorf("reading the response: %w", err)}
	}
	now := s.now()
	if err := c.classify(resp, data, now); err != nil {
		return nil, nil, err
	}
	if len(data) > maxBody {
		return nil, nil, &statusError{Code: resp.StatusCode, Msg: fmt.Sprintf("response over %d bytes", maxBody)}
	}
	if remaining, reset, ok := rateLimit(resp.Header, now); ok && remaining <= 0 && reset.After(now) {
		c.block(ctx, reset, "service")
	}
	return data, resp.Header, nil
}

// classify turns a response that is not a success into an error.
func (c *client) classify(resp *http.Response, body []byte, now time.Time) error {
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		until := now.Add(c.s.cfg.BackoffMin)
		if d, ok := retryAfter(resp.Header, now); ok {
			until = now.Add(d)
		} else if _, reset, ok := rateLimit(resp.Header, now); ok && reset.After(now) {
			until = reset
		}
		return &httpsrc.RateLimitError{Until: until}
	case resp.StatusCode >= 500:
		name, msg := xrpcError(body)
		return &httpsrc.RetryError{Reason: "http_5xx", Err: &statusError{Code: resp.StatusCode, Name: name, Msg: msg}}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		name, msg := xrpcError(body)
		return &statusError{Code: resp.StatusCode, Name: name, Msg: msg}
	}
	return nil
}

// block holds every feed back until until (capped), and reports the wait
// as a gap once.
func (c *client) block(ctx context.Context, until time.Time, feed string) {
	s := c.s
	now := s.now()
	if max := now.Add(s.cfg.MaxRateLimitWait); until.After(max) {
		until = max
	}
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
	s.deps.Gaps.Report(ctx, ingest.Gap{Source: Name, Feed: feed, From: now.UTC(), To: until.UTC(), Reason: "rate_limited"})
}

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

// endpointOf names an XRPC method in metrics: "app.bsky.feed.searchPosts"
// is search_posts.
func endpointOf(nsid string) string {
	name := nsid[strings.LastIndexByte(nsid, '.')+1:]
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rateLimit reads the RateLimit-Remaining and RateLimit-Reset headers of
// the atproto services; the reset is a Unix time in seconds (a small
// number is taken as seconds from now).
func rateLimit(h http.Header, now time.Time) (remaining int64, reset time.Time, ok bool) {
	rs, ts := h.Get("RateLimit-Remaining"), h.Get("RateLimit-Reset")
	if rs == "" || ts == "" {
		return 0, time.Time{}, false
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(rs), 64)
	if err != nil {
		return 0, time.Time{}, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return 0, time.Time{}, false
	}
	if n < 1e9 {
		return int64(r), now.Add(time.Duration(n) * time.Second), true
	}
	return int64(r), time.Unix(n, 0), true
}

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

// xrpcError reads an XRPC error body: {"error": name, "message": msg}.
func xrpcError(body []byte) (name, msg string) {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return truncate(e.Error, 100), truncate(e.Message, 200)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// backoff returns the wait before retry attempt (0-based): exponential
// from BackoffMin, capped at BackoffMax, half of it random.
func (s *Source) backoff(attempt int) time.Duration {
	d := s.cfg.BackoffMin
	for i := 0; i < attempt && d < s.cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.BackoffMax)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

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
