package stage

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/store/chtest"
)

var benchKeyRe = regexp.MustCompile(`bench-[0-9]+/open`)

// arrivals records when each crisis reached each local receiver.
type arrivals struct {
	mu   sync.Mutex
	at   map[string][]time.Time
	want int
	done chan struct{}
	left int
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	if k := benchKeyRe.Find(body); k != nil {
		a.mu.Lock()
		a.at[string(k)] = append(a.at[string(k)], now)
		if len(a.at[string(k)]) == a.want {
			a.left--
			if a.left == 0 {
				close(a.done)
			}
		}
		a.mu.Unlock()
	}
	_, _ = io.WriteString(w, "ok")
}

// BenchmarkPacedOpenToReceiver measures the bar: crisis open
// events published on NATS at 100 events/s, each a new crisis routed to a
// Slack and a signed webhook receiver (httptest servers); latency from the
// publication to the HTTP request at each receiver. Everything real: the
// embedded NATS, the KV state saved before each ack, the ClickHouse
// journal. -benchtime=Nx publishes N events (300x = 3 s).
func BenchmarkPacedOpenToReceiver(b *testing.B) {
	const rate = 100
	bs := bustest.New(b)
	db := chtest.New(b)
	arr := &arrivals{at: map[string][]time.Time{}, want: 2, done: make(chan struct{}), left: b.N}
	srv := httptest.NewServer(arr)
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 16
	cfg, err := LoadConfigBytes([]byte(`
receivers:
  - name: slack
    slack: {webhook_url: "` + srv.URL + `/slack"}
  - name: hook
    lang: en
    webhook: {url: "` + srv.URL + `/hook", secret: k}
route:
  receivers: [slack, hook]
`))
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(bs, db.Conn, *cfg, Options{Registerer: prometheus.NewRegistry(), PublicURL: "https://vigie.example", HTTPClient: client})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for !s.ready.Load() {
		time.Sleep(time.Millisecond)
	}

	published := make(map[string]time.Time, b.N)
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		id := fmt.Sprintf("bench-%d", i)
		e := crisisEvent(id+"/open", "open", 4, time.Now(), 1240)
		msg, err := CrisisMsg(e)
		if err != nil {
			b.Fatal(err)
		}
		published[id+"/open"] = time.Now()
		if _, err := bs.JS.PublishMsg(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-arr.done:
	case <-time.After(30 * time.Second):
		b.Fatalf("only %d of %d events reached both receivers", b.N-arr.left, b.N)
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}

	arr.mu.Lock()
	defer arr.mu.Unlock()
	var lat []time.Duration
	for k, at := range arr.at {
		for _, t := range at {
			lat = append(lat, t.Sub(published[k]))
		}
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.50), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max_ms")
	b.ReportMetric(float64(len(lat)), "requests")
	b.ReportMetric(testutil.ToFloat64(s.m.snapshotBytes), "state_bytes")
	if st, err := s.state(); err == nil {
		b.ReportMetric(float64(len(st.Threads)), "open_threads")
	}
}
