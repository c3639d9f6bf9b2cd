package mastodon

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
)

// newAPIServer fakes Mastodon instances: an exhausted script answers
// 200 [] (an empty timeline).
func newAPIServer(t *testing.T) *collectortest.Server {
	return collectortest.NewServer(t, "[]", nil)
}

// sseHandler writes a server-sent events body, then either returns
// (closing the stream) or holds the connection until the client leaves.
func sseHandler(t *testing.T, body string, hold bool, connected chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, body)
		w.(http.Flusher).Flush()
		if connected != nil {
			close(connected)
		}
		if hold {
			<-r.Context().Done()
		}
	}
}

func idOf(host, statusID string) string { return fmt.Sprintf("mastodon:%s:%s", host, statusID) }
