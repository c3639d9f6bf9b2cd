package twitter

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

// Gap reasons this collector reports.
const (
	reasonRateLimited = "rate_limited"
	reasonServer      = "http_5xx"
	reasonOutage      = "outage"
	reasonPageLimit   = "page_limit"
	reasonRestart     = "restart"
	reasonRejected    = "rejected" // a 4xx that is not retried
	reasonStreamLimit = "stream_limit"
)

// failKind says how a failed request is retried. Twitter's guidance: network
// errors back off linearly (250 ms steps up to 16 s), HTTP errors
// exponentially from 5 s up to 320 s, 429 exponentially from 1 minute
// unless x-rate-limit-reset says when.
type failKind int

const (
	failNetwork failKind = iota + 1
	failServer
	failRateLimit
	failFatal
)

func (k failKind) reason() string {
	switch k {
	case failRateLimit:
		return reasonRateLimited
	case failServer:
		return reasonServer
	case failFatal:
		return reasonRejected
	}
	return reasonOutage
}

// httpError is a non-2xx answer from the API.
type httpError struct {
	endpoint   string
	status     int
	title      string
	detail     string
	params     []string      // request parameters a 400 complains about
	reset      time.Time     // x-rate-limit-reset, zero when absent
	retryAfter time.Duration // Retry-After, 0 when absent
}

func (e *httpError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "twitter api: %s: HTTP %d", e.endpoint, e.status)
	if e.title != "" {
		b.WriteString(": " + e.title)
	}
	if e.detail != "" && e.detail != e.title {
		b.WriteString(": " + e.detail)
	}
	if len(e.params) > 0 {
		b.WriteString(" (parameters: " + strings.Join(e.params, ", ") + ")")
	}
	return b.String()
}

// errMalformed marks a 2xx answer whose body could not be decoded.
var errMalformed = errors.New("malformed response")

func classify(err error) failKind {
	var he *httpError
	if errors.As(err, &he) {
		switch {
		case he.status == http.StatusTooManyRequests, he.status == 420: // 420: "Enhance Your Calm", v1.1 streams
			return failRateLimit
		case he.status >= 500:
			return failServer
		}
		return failFatal
	}
	if errors.Is(err, errMalformed) {
		return failServer
	}
	return failNetwork
}

// backoff counts consecutive failures of each kind and turns them into
// waits.
type backoff struct{ network, server, rate int }

func (b *backoff) reset() { *b = backoff{} }

// next returns how long to wait after err, as of now.
func (b *backoff) next(kind failKind, err error, now time.Time) time.Duration {
	var he *httpError
	errors.As(err, &he)
	switch kind {
	case failRateLimit:
		b.rate++
		if he != nil && !he.reset.IsZero() {
			// The reset time is exact: wait for it (plus a second for
			// clock skew), no jitter.
			return min(max(he.reset.Sub(now)+time.Second, time.Second), 16*time.Minute)
		}
		if he != nil && he.retryAfter > 0 {
			return min(he.retryAfter, 16*time.Minute)
		}
		return jitter(expo(time.Minute, b.rate, 15*time.Minute))
	case failServer:
		b.server++
		if he != nil && he.retryAfter > 0 {
			return min(he.retryAfter, 320*time.Second)
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

// outage remembers since when a feed has not been read, to report the
// range as one gap when it ends.
type outage struct {
	since  time.Time
	reason string
}

func (o *outage) fail(now time.Time, reason string) {
	if o.since.IsZero() {
		o.since, o.reason = now, reason
	}
}

// end returns the gap to report, if the feed was down.
func (o *outage) end(now time.Time, source, feed string) (ingest.Gap, bool) {
	if o.since.IsZero() {
		return ingest.Gap{}, false
	}
	g := ingest.Gap{Source: source, Feed: feed, From: o.since, To: now, Reason: o.reason}
	*o = outage{}
	return g, true
}

// rateState is what the x-rate-limit-* headers said last, per endpoint.
type rateState struct {
	mu     sync.Mutex
	limits map[string]rateLimit
}

type rateLimit struct {
	remaining int
	reset     time.Time
}

func (r *rateState) update(endpoint string, h http.Header) {
	rem, err1 := strconv.Atoi(h.Get("x-rate-limit-remaining"))
	reset, ok := parseReset(h)
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

// wait returns how long to hold back before the next request to
// endpoint: until the window resets when none is left in it.
func (r *rateState) wait(endpoint string, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.limits[endpoint]
	if !ok || l.remaining > 0 || !l.reset.After(now) {
		return 0
	}
	return min(l.reset.Sub(now)+time.Second, 16*time.Minute)
}

// parseReset reads x-rate-limit-reset (Unix seconds).
func parseReset(h http.Header) (time.Time, bool) {
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

// parseRetryAfter reads Retry-After in seconds (the HTTP-date form is not
// used by Twitter).
func parseRetryAfter(h http.Header) time.Duration {
	sec, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || sec <= 0 || sec > 86400 {
		return 0
	}
	return time.Duration(sec) * time.Second
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
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
