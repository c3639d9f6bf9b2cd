package reddit

import (
	"testing"
	"time"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
)

var testNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

const emptyListing = `{"kind":"Listing","data":{"after":null,"dist":0,"modhash":"","geo_filter":"","children":[],"before":null}}`

// newAPIServer fakes Reddit's API: an exhausted script answers an empty
// listing, and every response carries Reddit's rate-limit headers.
func newAPIServer(t *testing.T) *collectortest.Server {
	return collectortest.NewServer(t, emptyListing, map[string]string{
		"X-Ratelimit-Used":      "2",
		"X-Ratelimit-Remaining": "598.0",
		"X-Ratelimit-Reset":     "300",
	})
}
