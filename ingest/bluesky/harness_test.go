package bluesky

import (
	"testing"
	"time"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
)

var testNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// newAPIServer fakes Bluesky's XRPC hosts: an exhausted script answers
// 200 [], and every response carries Bluesky's rate-limit headers.
func newAPIServer(t *testing.T) *collectortest.Server {
	return collectortest.NewServer(t, "[]", map[string]string{
		"RateLimit-Limit":  "3000",
		"RateLimit-Policy": "3000;w=300",
	})
}
