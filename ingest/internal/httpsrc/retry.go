package httpsrc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigie-project/vigie/ingest"
)

// Gap reasons the HTTP collectors report.
const (
	ReasonRateLimited = "rate_limited"
	ReasonServer      = "http_5xx"
	ReasonOutage      = "outage"
	ReasonPageLimit   = "page_limit"
	ReasonRestart     = "restart"
	ReasonRejected    = "rejected" // a 4xx that is not retried
)

// FailKind says how a failed request is retried. Twitter's and X's
// guidance: network errors back off linearly (250 ms steps up to 16 s),
// HTTP errors exponentially from 5 s up to 320 s, 429 exponentially from
// 1 minute unless x-rate-limit-reset says when.
type FailKind int

// Kinds of failure, from Classify.
const (
	FailNetwork FailKind = iota + 1
	FailServer
	FailRateLimit
	FailFatal
)

// Reason is the gap reason reported for a failure of kind k.
func (k FailKind) Reason() string {
	switch k {
	case FailRateLimit:
		return ReasonRateLimited
	case FailServer:
		return ReasonServer
	case FailFatal:
		return ReasonRejected
	}
	return ReasonOutage
}

// HTTPError is a non-2xx answer from a platform API.
type HTTPError struct {
	API        string // names the API in the message: "twitter api", "x api"
	Endpoint   string
	Status     int
	Title      string
	Detail     string
	Params     []string      // request parameters a 400 complains about
	Reset      time.Time     // x-rate-limit-reset, zero when absent
	RetryAfter time.Duration // Retry-After, 0 when absent
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: HTTP %d", e.API, e.Endpoint, e.Status)
	if e.Title != "" {
		b.WriteString(": " + e.Title)
	}
	if e.Detail != "" && e.Detail != e.Title {
		b.WriteString(": " + e.Detail)
	}
	if len(e.Params) > 0 {
		b.WriteString(" (parameters: " + strings.Join(e.Params, ", ") + ")")
	}
	return b.String()
}

// ErrMalformed marks a 2xx answer whose body could not be decoded.
var ErrMalformed = errors.New("malformed response")

// Classify says how err, from a request, is retried: an *HTTPError by its
// status (429: rate limit, 5xx: server, other: fatal), ErrMalformed as a
// server failure, anything else as a network failure.
func Classify(err error) FailKind {
	var he *HTTPError
	if errors.As(err, &he) {
		switch {
		case he.Status == http.StatusTooManyRequests:
			return FailRateLimit
		case he.Status >= 500:
			return FailServer
		}
		return FailFatal
	}
	if errors.Is(err, ErrMalformed) {
		return FailServer
	}
	return FailNetwork
}

// Backoff counts consecutive failures of each kind and turns them into
// waits.
type Backoff struct{ network, server, rate int }

// Reset forgets the failures counted so far.
func (b *Backoff) Reset() { *b = Backoff{} }

// Next returns how long to wait after err, of kind kind, as of now.
func (b *Backoff) Next(kind FailKind, err error, now time.Time) time.Duration {
	var he *HTTPError
	errors.As(err, &he)
	switch kind {
	case FailRateLimit:
		b.rate++
		if he != nil && !he.Reset.IsZero() {
			// The reset time is exact: wait for it (plus a second for
			// clock skew), no jitter.
			return min(max(he.Reset.Sub(now)+time.Second, time.Second), 16*time.Minute)
		}
		if he != nil && he.RetryAfter > 0 {
			return min(he.RetryAfter, 16*time.Minute)
		}
		return jitter(expo(time.Minute, b.rate, 15*time.Minute))
	case FailServer:
		b.server++
		if he != nil && he.RetryAfter > 0 {
			return min(he.RetryAfter, 320*time.Second)
		}
		return jitter(expo(5*time.Second, b.server, 320*time.Second))
	}
	b.network++
	return jitter(min(time.Duration(b.network)*250*time.Millisecond, 16*time.Second))
}

func expo(base time.Duration, n int, ceiling time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// jitter takes up to 20% off d, so that collectors restarted together do
// not retry in step.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// Outage remembers since when a feed has not been read, to report the
// range as one gap when it ends.
type Outage struct {
	since  time.Time
	reason string
}

// Fail notes that the feed is down as of now, unless it already was.
func (o *Outage) Fail(now time.Time, reason string) {
	if o.since.IsZero() {
		o.since, o.reason = now, reason
	}
}

// Since is when the feed went down, zero when it is up.
func (o *Outage) Since() time.Time { return o.since }

// End returns the gap to report, if the feed was down.
func (o *Outage) End(now time.Time, source, feed string) (ingest.Gap, bool) {
	if o.since.IsZero() {
		return ingest.Gap{}, false
	}
	g := ingest.Gap{Source: source, Feed: feed, From: o.since, To: now, Reason: o.reason}
	*o = Outage{}
	return g, true
}

// RateState is what the x-rate-limit-* headers said last, per endpoint.
type RateState struct {
	mu     sync.Mutex
	limits map[string]rateLimit
}

type rateLimit struct {
	remaining int
	reset     time.Time
}

// Update records the x-rate-limit-* headers of an answer from endpoint.
func (r *RateState) Update(endpoint string, h http.Header) {
	rem, err1 := strconv.Atoi(h.Get("x-rate-limit-remaining"))
	reset, ok := ParseReset(h)
	if err1 != nil || !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.limits == nil {
		r.limits = map[string]rateLimit{}
	}
	r.limits[endpoint] = rateLimit{remaining: rem, reset: reset}
}

// Wait returns how long to hold back before the next request to
// endpoint: until the window resets when none is left in it.
func (r *RateState) Wait(endpoint string, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.limits[endpoint]
	if !ok || l.remaining > 0 || !l.reset.After(now) {
		return 0
	}
	return min(l.reset.Sub(now)+time.Second, 16*time.Minute)
}

// ParseReset reads x-rate-limit-reset (Unix seconds).
func ParseReset(h http.Header) (time.Time, bool) {
	v := strings.TrimSpace(h.Get("x-rate-limit-reset"))
	if v == "" {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec <= 0 || sec > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

// ParseRetryAfter reads Retry-After in seconds (the HTTP-date form is not
// used by Twitter or X).
func ParseRetryAfter(h http.Header) time.Duration {
	sec, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || sec <= 0 || sec > 86400 {
		return 0
	}
	return time.Duration(sec) * time.Second
}

// SleepCtx waits d or until ctx ends.
func SleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
