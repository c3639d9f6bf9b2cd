package ingest

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/ingest/watch"
)

// Checkpoints keep a collector's position (a since_id, a cursor, an ETag)
// so that a restart resumes with no gap; the publish dedup window absorbs
// the overlap. The production implementation is a NATS KV bucket.
type Checkpoints interface {
	// Load returns the value saved under key, or nil when there is none.
	Load(ctx context.Context, key string) ([]byte, error)
	// Save stores value under key. Call it only after Publisher.Flush.
	Save(ctx context.Context, key string, value []byte) error
}

// Gap is something a collector knows it missed: a time range it could not
// read (an outage, a rate-limit wait) or a number of items a platform said
// it dropped (a stream limit notice). Users need to see what the data does
// not cover.
type Gap struct {
	Source string    `json:"source"`
	Feed   string    `json:"feed,omitempty"` // which query, account, feed or instance
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Missed int64     `json:"missed,omitempty"` // items known to be lost, when the platform says
	Reason string    `json:"reason"`           // rate_limited, stream_limit, outage, http_5xx, …
}

// Gaps records gaps: a metric and an event on vigie.event.gap.<source>.
type Gaps interface {
	Report(ctx context.Context, g Gap)
}

// Deps is what a collector is given at construction.
type Deps struct {
	Log         *slog.Logger
	Checkpoints Checkpoints
	Gaps        Gaps
	// HTTP is the client for the platform's API; tests point it at a
	// local server. Never nil.
	HTTP *http.Client
	// Watches build the upstream queries (track terms, stream rules,
	// hashtags): the user writes a query once.
	Watches *watch.Matcher
	// Registerer takes the collector's own metrics; may be nil.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Clock returns d.Now or time.Now.
func (d Deps) Clock() func() time.Time {
	if d.Now != nil {
		return d.Now
	}
	return time.Now
}
