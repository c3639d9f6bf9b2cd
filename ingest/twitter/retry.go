package twitter

import (
	"errors"

	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// reasonStreamLimit is the gap reason only this collector reports; the
// others are httpsrc's.
const reasonStreamLimit = "stream_limit"

// classify is httpsrc.Classify, except that 420 ("Enhance Your Calm",
// v1.1 streams) is a rate limit too.
func classify(err error) httpsrc.FailKind {
	var he *httpsrc.HTTPError
	if errors.As(err, &he) && he.Status == 420 {
		return httpsrc.FailRateLimit
	}
	return httpsrc.Classify(err)
}
