package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/ingest"
)

// batchBody returns a JSON array of n realistic records whose ids start
// with prefix.
func batchBody(prefix string, n int) []byte {
	var sb strings.Builder
	sb.Grow(n * 420)
	sb.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":"%s-%d","created_at":"2026-11-02T08:%02d:%02d+01:00",`+
			`"url":"https://www.linkedin.com/feed/update/urn:li:activity:%s%d/",`+
			`"author":{"id":"urn:li:person:%d","handle":"employee-%d","name":"Employé %d","followers":%d},`+
			`"text":"Très fière de partager le lancement de notre nouvelle offre à Lyon 🎉 Bravo aux équipes ! #AcmeLyon #fierté https://www.acme.fr/lyon",`+
			`"lang":"fr","hashtags":["acmelyon","fierté"],"links":["https://www.acme.fr/lyon"],"likes":%d,"reposts":%d}`,
			prefix, i, i%60, (i/60)%60, prefix, i, i%997, i%997, i%997, 100+i%5000, i%50, i%7)
	}
	sb.WriteByte(']')
	return []byte(sb.String())
}

// BenchmarkIngest500 posts batches of 500 mentions to the handler, which
// publishes them to a real embedded NATS JetStream and flushes before
// answering 202: the figure is end to end, durable.
func BenchmarkIngest500(b *testing.B) {
	benchIngest(b, 500, false)
}

// BenchmarkIngest500HTTP is the same through a real HTTP server and client.
func BenchmarkIngest500HTTP(b *testing.B) {
	benchIngest(b, 500, true)
}

func benchIngest(b *testing.B, batch int, overHTTP bool) {
	bs := bustest.New(b)
	src, err := New(Config{Clients: []Client{{Name: "bench", Token: "bench-token-0123456789", Source: "linkedin"}}},
		ingest.Deps{Log: bustest.Logger(b)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, bs.NewMentionPublisher()) }()
	defer func() { cancel(); <-done }()
	for !src.running() {
		time.Sleep(time.Millisecond)
	}
	var srv *httptest.Server
	if overHTTP {
		srv = httptest.NewServer(src.Handler())
		defer srv.Close()
	}
	post := func(body []byte) int {
		if !overHTTP {
			r := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(string(body)))
			r.Header.Set("Content-Type", ContentTypeJSON)
			r.Header.Set("Authorization", "Bearer bench-token-0123456789")
			w := httptest.NewRecorder()
			src.Handler().ServeHTTP(w, r)
			return w.Code
		}
		r, _ := http.NewRequest(http.MethodPost, srv.URL+Path, strings.NewReader(string(body)))
		r.Header.Set("Content-Type", ContentTypeJSON)
		r.Header.Set("Authorization", "Bearer bench-token-0123456789")
		resp, err := srv.Client().Do(r)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	run := fmt.Sprintf("r%d", time.Now().UnixNano())
	var sent int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		body := batchBody(fmt.Sprintf("%s-%d", run, i), batch)
		sent += int64(len(body))
		b.StartTimer()
		if code := post(body); code != http.StatusAccepted {
			b.Fatalf("batch %d: status %d", i, code)
		}
	}
	b.StopTimer()
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*batch)/sec, "mentions/s")
	b.ReportMetric(float64(sent)/sec/1e6, "MB/s")
	n, err := bs.StreamMsgs(context.Background(), bus.StreamMentions)
	if err != nil || n != uint64(b.N*batch) {
		b.Fatalf("stream holds %d (%v), want %d", n, err, b.N*batch)
	}
}
