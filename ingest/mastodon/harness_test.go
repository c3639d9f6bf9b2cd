package mastodon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/mention"
)

// fakeClock is the test's time: it moves only when the collector sleeps.
// onSleep, when set, runs after each sleep with its duration; it may block
// (until ctx ends) to park a goroutine.
type fakeClock struct {
	mu      sync.Mutex
	t       time.Time
	sleeps  []time.Duration
	onSleep func(ctx context.Context, d time.Duration) error
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.sleeps = append(c.sleeps, d)
	hook := c.onSleep
	c.mu.Unlock()
	if hook != nil {
		return hook(ctx, d)
	}
	return nil
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// reply is one scripted response.
type reply struct {
	status int
	header map[string]string
	body   string           // literal body, or
	file   string           // a testdata file
	serve  http.HandlerFunc // or a handler (streams)
}

// apiServer replays scripted responses per "host path", in order; when a
// script is exhausted it answers 200 [] (an empty timeline). It records
// every request.
type apiServer struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	scripts map[string][]reply
	reqs    []*http.Request
}

func newAPIServer(t *testing.T) *apiServer {
	a := &apiServer{t: t, scripts: map[string][]reply{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *apiServer) script(hostPath string, rs ...reply) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.scripts[hostPath] = append(a.scripts[hostPath], rs...)
}

func (a *apiServer) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Host + " " + r.URL.EscapedPath()
	a.mu.Lock()
	a.reqs = append(a.reqs, r.Clone(context.Background()))
	var rp reply
	if q := a.scripts[key]; len(q) > 0 {
		rp, a.scripts[key] = q[0], q[1:]
	} else {
		rp = reply{body: "[]"}
	}
	a.mu.Unlock()
	if rp.serve != nil {
		rp.serve(w, r)
		return
	}
	body := []byte(rp.body)
	if rp.file != "" {
		body = readFixture(a.t, rp.file)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	if rp.status != 0 {
		w.WriteHeader(rp.status)
	}
	w.Write(body)
}

// requests returns the recorded requests to host path, as "query" strings.
func (a *apiServer) queries(hostPath string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, r := range a.reqs {
		if r.Host+" "+r.URL.EscapedPath() == hostPath {
			out = append(out, r.URL.RawQuery)
		}
	}
	return out
}

func (a *apiServer) requests() []*http.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.reqs)
}

// client sends every request to the test server, keeping the Host the
// collector asked for: the collector is configured with the real
// instances' https URLs.
func (a *apiServer) client() *http.Client {
	target, _ := url.Parse(a.srv.URL)
	base := a.srv.Client().Transport
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Host = r.URL.Host
		r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
		return base.RoundTrip(r)
	})}
}

// recGaps records gaps and forwards them to the bus's reporter.
type recGaps struct {
	mu    sync.Mutex
	gaps  []ingest.Gap
	inner ingest.Gaps
}

func (g *recGaps) Report(ctx context.Context, gap ingest.Gap) {
	g.mu.Lock()
	g.gaps = append(g.gaps, gap)
	g.mu.Unlock()
	g.inner.Report(ctx, gap)
}

func (g *recGaps) all() []ingest.Gap {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.gaps)
}

// countingPub counts Publish calls per id on the way to the bus.
type countingPub struct {
	mu    sync.Mutex
	inner ingest.Publisher
	n     map[string]int
}

func (p *countingPub) Publish(ctx context.Context, m *mention.Mention) error {
	p.mu.Lock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	p.n[m.ID]++
	p.mu.Unlock()
	return p.inner.Publish(ctx, m)
}

func (p *countingPub) Flush(ctx context.Context) error { return p.inner.Flush(ctx) }

func (p *countingPub) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.n {
		out[k] = v
	}
	return out
}

// env is a real embedded NATS with the collector's dependencies on it.
type env struct {
	b     *bus.Bus
	kv    ingest.Checkpoints
	gaps  *recGaps
	pub   *countingPub
	clock *fakeClock
	reg   *prometheus.Registry
	log   *slog.Logger
}

func newEnv(t *testing.T) *env {
	t.Helper()
	b := bustest.New(t)
	kv, err := b.NewKVStore(context.Background(), bus.BucketCheckpoints)
	if err != nil {
		t.Fatal(err)
	}
	log := bustest.Logger(t)
	return &env{
		b:     b,
		kv:    kv,
		gaps:  &recGaps{inner: b.NewGapReporter(log, nil)},
		pub:   &countingPub{inner: b.NewMentionPublisher()},
		clock: &fakeClock{t: testNow},
		reg:   prometheus.NewRegistry(),
		log:   log,
	}
}

func (e *env) deps(hc *http.Client) ingest.Deps {
	return ingest.Deps{
		Log: e.log, Checkpoints: e.kv, Gaps: e.gaps, HTTP: hc,
		Registerer: e.reg, Now: e.clock.now,
	}
}

// run runs src until it returns, failing the test if it returns an error
// or outlives the test's bound.
func run(t *testing.T, ctx context.Context, src *Source, pub ingest.Publisher) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, pub) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60s of the scenario")
	}
}

// streamMentions reads every message of the MENTIONS stream.
func (e *env) streamMentions(t *testing.T) map[string]*mention.Mention {
	t.Helper()
	ctx := context.Background()
	n, err := e.b.StreamMsgs(ctx, bus.StreamMentions)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.b.JS.OrderedConsumer(ctx, bus.StreamMentions, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*mention.Mention{}
	var read uint64
	for read < n {
		msgs, err := bus.Fetch(ctx, c, int(n-read), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			t.Fatalf("MENTIONS delivered %d of %d messages", read, n)
		}
		for _, msg := range msgs {
			read++
			m, err := mention.Unmarshal(msg.Data())
			if err != nil {
				t.Fatal(err)
			}
			if _, dup := out[m.ID]; dup {
				t.Errorf("id %s twice in MENTIONS", m.ID)
			}
			out[m.ID] = m
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
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
