package httpsrc

import (
	"context"
	"time"

	"github.com/vigie-project/vigie/ingest"
)

// RetryError is a failure worth retrying: a network error, a 5xx, a
// refused token request. Reason labels it in metrics and gaps.
type RetryError struct {
	Reason string // e.g. outage, http_5xx, auth_failed
	Err    error
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// RateLimitError is a 429: wait until the reset time.
type RateLimitError struct{ Until time.Time }

func (e *RateLimitError) Error() string {
	return "rate limited until " + e.Until.UTC().Format(time.RFC3339)
}

// Health tracks the outage of one feed of a polling collector so that the
// time not read is reported as gaps, once each: from the first failure to
// the recovery, in slices when the feed gives up between polls. Unlike
// Outage it keeps the latest reason, which labels the time waited.
type Health struct {
	since  time.Time // start of the unreported outage; zero when healthy
	reason string
}

// Fail notes that the feed is down as of now (if it was not already) for
// reason.
func (h *Health) Fail(now time.Time, reason string) {
	if h.since.IsZero() {
		h.since = now
	}
	h.reason = reason
}

// Reason is the latest failure's reason ("" when healthy).
func (h *Health) Reason() string { return h.reason }

// Report sends the gap [since, now] of source's feed if there is one; the
// outage goes on from now when ongoing, else it is over.
func (h *Health) Report(ctx context.Context, gaps ingest.Gaps, source, feed string, now time.Time, ongoing bool) {
	if h.since.IsZero() {
		return
	}
	gaps.Report(ctx, ingest.Gap{Source: source, Feed: feed, From: h.since.UTC(), To: now.UTC(), Reason: h.reason})
	if ongoing {
		h.since = now
	} else {
		h.since, h.reason = time.Time{}, ""
	}
}
