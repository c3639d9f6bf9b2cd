package rss

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/mention"
)

// step is one scripted response.
type step struct {
	code   int
	file   string // in testdata; the body
	header map[string]string
}

// feedServer replays scripted responses per path, then answers every
// further request with the path's fallback (304 unless set). Once every
// path has been asked twice for its fallback (so the first fallback
// answer was fully handled), it calls done.
type feedServer struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	script   map[string][]step
	fallback map[string]step
	reqs     map[string][]http.Header
	reached  map[string]int
	done     func()
}

func newFeedServer(t *testing.T, script map[string][]step) *feedServer {
	fs := &feedServer{t: t, script: script, fallback: map[string]step{}, reqs: map[string][]http.Header{},
		reached: map[string]int{}, done: func() {}}
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *feedServer) url(path string) string { return fs.srv.URL + path }

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	path := r.URL.Path
	fs.reqs[path] = append(fs.reqs[path], r.Header.Clone())
	var st step
	if steps := fs.script[path]; len(steps) > 0 {
		st, fs.script[path] = steps[0], steps[1:]
	} else {
		st = step{code: http.StatusNotModified}
		if fb, ok := fs.fallback[path]; ok {
			st = fb
		}
		fs.reached[path]++
		if fs.reached[path] == 2 {
			all := true
			for p := range fs.script {
				all = all && fs.reached[p] >= 2
			}
			if all {
				fs.done()
			}
		}
	}
	fs.mu.Unlock()
	for k, v := range st.header {
		w.Header().Set(k, v)
	}
	if st.file == "" {
		w.WriteHeader(st.code)
		return
	}
	data, err := os.ReadFile(filepath.Join("testdata", st.file))
	if err != nil {
		fs.t.Error(err)
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.WriteHeader(st.code)
	_, _ = w.Write(data)
}

// replay replaces the script, on the same server (same URLs).
func (fs *feedServer) replay(script map[string][]step) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.script = script
	fs.reached = map[string]int{}
}

func (fs *feedServer) requests(path string) []http.Header {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.reqs[path]
}

// fakeClock is a clock that moves only when a feed sleeps. With only set,
// only that feed's sleeps move it.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	only   string
	sleeps map[string][]time.Duration
}

func newFakeClock(t0 time.Time) *fakeClock {
	return &fakeClock{t: t0, sleeps: map[string][]time.Duration{}}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, feed string, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps[feed] = append(c.sleeps[feed], d)
	if c.only == "" || c.only == feed {
		c.t = c.t.Add(d)
	}
	return nil
}

func (c *fakeClock) slept(feed string) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps[feed]...)
}

// countingPub counts publishes per id on top of the real publisher.
type countingPub struct {
	p  ingest.Publisher
	mu sync.Mutex
	n  map[string]int
}

func (c *countingPub) Publish(ctx context.Context, m *mention.Mention) error {
	c.mu.Lock()
	c.n[m.ID]++
	c.mu.Unlock()
	return c.p.Publish(ctx, m)
}

func (c *countingPub) Flush(ctx context.Context) error { return c.p.Flush(ctx) }

// harness runs Sources against a feed server on a real embedded NATS.
type harness struct {
	t     *testing.T
	b     *bus.Bus
	kv    *bus.KVStore
	clock *fakeClock
	pub   *countingPub
	reads int
}

func newHarness(t *testing.T, t0 time.Time) *harness {
	b := bustest.New(t)
	kv, err := b.NewKVStore(context.Background(), bus.BucketCheckpoints)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, b: b, kv: kv, clock: newFakeClock(t0),
		pub: &countingPub{p: b.NewMentionPublisher(), n: map[string]int{}}}
}

// run runs a new Source on cfg until the server has played its script.
func (h *harness) run(fs *feedServer, cfg Config) *Source {
	h.t.Helper()
	log := bustest.Logger(h.t)
	src, err := New(cfg, ingest.Deps{
		Log: log, Checkpoints: h.kv, Gaps: h.b.NewGapReporter(log, nil), HTTP: fs.srv.Client(),
		Registerer: prometheus.NewRegistry(), Now: h.clock.now,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	src.sleep = h.clock.sleep
	src.jitter = func(d time.Duration) time.Duration { return d }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fs.mu.Lock()
	fs.done = cancel
	fs.mu.Unlock()
	if err := src.Run(ctx, h.pub); err != nil {
		h.t.Fatalf("Run = %v", err)
	}
	return src
}

// mentions reads back the MENTIONS stream, by id.
func (h *harness) mentions() map[string]*mention.Mention {
	out := map[string]*mention.Mention{}
	for _, data := range h.stream(bus.StreamMentions) {
		m, err := mention.Unmarshal(data)
		if err != nil {
			h.t.Fatal(err)
		}
		if out[m.ID] != nil {
			h.t.Errorf("%s twice in the stream", m.ID)
		}
		out[m.ID] = m
	}
	return out
}

// gaps reads back the gap events, in order.
func (h *harness) gaps() []ingest.Gap {
	var out []ingest.Gap
	for _, data := range h.stream(bus.StreamEvents) {
		var g ingest.Gap
		if err := json.Unmarshal(data, &g); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

func (h *harness) stream(name string) [][]byte {
	h.t.Helper()
	ctx := context.Background()
	n, err := h.b.StreamMsgs(ctx, name)
	if err != nil {
		h.t.Fatal(err)
	}
	if n == 0 {
		return nil
	}
	h.reads++
	c, err := h.b.Consumer(ctx, name, fmt.Sprintf("test_%s_%d", name, h.reads))
	if err != nil {
		h.t.Fatal(err)
	}
	var out [][]byte
	for uint64(len(out)) < n {
		msgs, err := bus.Fetch(ctx, c, int(n)-len(out), 5*time.Second)
		if err != nil || len(msgs) == 0 {
			h.t.Fatalf("%s: fetched %d of %d: %v", name, len(out), n, err)
		}
		for _, m := range msgs {
			out = append(out, m.Data())
			_ = m.Ack()
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
