package reddit

import (
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

// maxBody bounds a listing (100 posts are 200-600 KiB with raw_json).
const maxBody = 16 << 20

// statusError is a response the collector does not retry: a 4xx other
// than 429. The feed is skipped until its next poll.
type statusError struct {
	Code int
	Msg  string
}

func (e *statusError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("HTTP %d", e.Code)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Code, e.Msg)
}

// client makes the API requests with an application-only OAuth token.
type client struct {
	s *Source

	mu           sync.Mutex
	blockedUntil time.Time

	tmu      sync.Mutex
	token    string
	tokenExp time.Time
	retryAt  time.Time // after a refused token request, not before
	tokenErr error
	refused  int
}

// errCredentials is wrapped when Reddit refuses the app's credentials.
var errCredentials = errors.New("reddit refused the app credentials: check client_id and client_secret")

// renewBefore renews the token this long before it expires.
const renewBefore = 5 * time.Minute

// get fetches APIURL+path?query. Network errors and 5xx are retried with
// capped exponential backoff and jitter; a 429 or an exhausted rate limit
// waits for the reset; a 401 renews the token once. The time not read is
// reported as gaps on feed.
func (c *client) get(ctx context.Context, h *httpsrc.Health, feed, endpoint, path, query string) ([]byte, error) {
	s := c.s
	attempt, waits, renewed := 0, 0, false
	for {
		if err := c.waitUnblocked(ctx, endpoint); err != nil {
			return nil, err
		}
		token, err := c.bearer(ctx)
		var rl *httpsrc.RateLimitError
		var se *statusError
		var re *httpsrc.RetryError
		if err == nil {
			var body []byte
			body, err = c.do(ctx, endpoint, http.MethodGet, s.cfg.APIURL+path+"?"+query, nil, "Bearer "+token)
			if err == nil {
				h.Report(ctx, s.deps.Gaps, Name, feed, s.now(), false)
				return body, nil
			}
			if errors.As(err, &se) && se.Code == http.StatusUnauthorized && !renewed {
				renewed = true
				c.expire(token)
				continue
			}
		}
		now := s.now()
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
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
		case errors.Is(err, errCredentials):
			h.Fail(now, "auth_failed")
			h.Report(ctx, s.deps.Gaps, Name, feed, now, true)
			return nil, err
		case errors.As(err, &se):
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
		s.met.Waited.WithLabelValues(endpoint, h.Reason()).Add(d.Seconds())
		if err := s.sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// bearer returns a valid token, asking for a new one (client credentials
// grant) when there is none or it expires within renewBefore.
func (c *client) bearer(ctx context.Context) (string, error) {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	s := c.s
	now := s.now()
	if c.token != "" && now.Before(c.tokenExp.Add(-renewBefore)) {
		return c.token, nil
	}
	if now.Before(c.retryAt) {
		return "", c.tokenErr
	}
	form := strings.NewReader("grant_type=client_credentials")
	basic := "Basic " + basicAuth(s.cfg.ClientID, s.secret.Reveal())
	body, err := c.do(ctx, "access_token", http.MethodPost, s.cfg.TokenURL, form, basic)
	if err == nil {
		var tok struct {
			AccessToken string  `json:"access_token"`
			TokenType   string  `json:"token_type"`
			ExpiresIn   float64 `json:"expires_in"`
			Error       string  `json:"error"`
		}
		switch {
		case json.Unmarshal(body, &tok) != nil:
			err = &httpsrc.RetryError{Reason: "auth_failed", Err: errors.New("token response is not JSON")}
		case tok.Error != "":
			// Reddit answers 200 {"error": "invalid_grant"} to some bad requests.
			err = fmt.Errorf("%w (%s)", errCredentials, truncate(tok.Error, 100))
		case tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "bearer"):
			err = &httpsrc.RetryError{Reason: "auth_failed", Err: errors.New("no bearer access_token in the token response")}
		default:
			life := time.Duration(tok.ExpiresIn * float64(time.Second))
			if life <= 0 || life > 30*24*time.Hour {
				life = time.Hour
			}
			c.token, c.tokenExp, c.refused, c.tokenErr = tok.AccessToken, now.Add(life), 0, nil
			s.log.Info("token_obtained", "expires_in", life.String())
			return c.token, nil
		}
	}
	var se *statusError
	if errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden || se.Code == http.StatusBadRequest) {
		err = fmt.Errorf("%w (%v)", errCredentials, se)
	}
	if errors.Is(err, errCredentials) {
		// Do not hammer the token endpoint with refused credentials.
		c.tokenErr = fmt.Errorf("token: %w", err)
		c.retryAt = now.Add(s.backoff(c.refused + 4))
		c.refused++
		return "", c.tokenErr
	}
	return "", err
}

func (c *client) expire(token string) {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	if c.token == token {
		c.token = ""
	}
}

// do makes one request and classifies its outcome.
func (c *client) do(ctx context.Context, endpoint, method, u string, body io.Reader, auth string) ([]byte, error) {
	s := c.s
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, &statusError{Msg: err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	req.Header.Set("Authorization", auth)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	start := time.Now()
	resp, err := s.deps.HTTP.Do(req)
	s.met.Duration.Observe(time.Since(start).Seconds())
	if err != nil {
		s.met.Requests.WithLabelValues(endpoint, "error").Inc()
		return nil, &httpsrc.RetryError{Reason: "outage", Err: err}
	}
	defer resp.Body.Close()
	s.met.Requests.WithLabelValues(endpoint, strconv.Itoa(resp.StatusCode)).Inc()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, &httpsrc.RetryError{Reason: "outage", Err: fmt.Errorf("reading the response: %w", err)}
	}
	now := s.now()
	remaining, reset, hasLimit := rateLimit(resp.Header, now)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		until := now.Add(s.cfg.BackoffMin)
		if d, ok := retryAfter(resp.Header, now); ok {
			until = now.Add(d)
		} else if hasLimit && reset.After(now) {
			until = reset
		}
		return nil, &httpsrc.RateLimitError{Until: until}
	case resp.StatusCode >= 500:
		return nil, &httpsrc.RetryError{Reason: "http_5xx", Err: &statusError{Code: resp.StatusCode, Msg: apiError(data)}}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, &statusError{Code: resp.StatusCode, Msg: apiError(data)}
	case len(data) > maxBody:
		return nil, &statusError{Code: resp.StatusCode, Msg: fmt.Sprintf("response over %d bytes", maxBody)}
	}
	if hasLimit && remaining < 1 && reset.After(now) {
		c.block(ctx, reset, "api")
	}
	return data, nil
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

// rateLimit reads X-Ratelimit-Remaining (a float, e.g. "598.0") and
// X-Ratelimit-Reset (seconds to the end of the window).
func rateLimit(h http.Header, now time.Time) (remaining float64, reset time.Time, ok bool) {
	rs, ts := h.Get("X-Ratelimit-Remaining"), h.Get("X-Ratelimit-Reset")
	if rs == "" || ts == "" {
		return 0, time.Time{}, false
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(rs), 64)
	if err != nil {
		return 0, time.Time{}, false
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(ts), 64)
	if err != nil || n < 0 || n > 86400 {
		return 0, time.Time{}, false
	}
	return r, now.Add(time.Duration(n * float64(time.Second))), true
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

// apiError reads Reddit's {"message": "Forbidden", "error": 403} or
// {"error": "invalid_grant"} bodies.
func apiError(body []byte) string {
	var e struct {
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
		Reason  string          `json:"reason"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := e.Message
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	var name string
	if json.Unmarshal(e.Error, &name) == nil && name != "" {
		msg = strings.TrimSpace(msg + " " + name)
	}
	return truncate(msg, 200)
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
