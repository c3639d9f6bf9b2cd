package collectortest

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
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

// Env is a real embedded NATS with a collector's dependencies on it.
type Env struct {
	Bus   *bus.Bus
	KV    ingest.Checkpoints
	Gaps  *Gaps
	Pub   *Publisher
	Clock *Clock
	Reg   *prometheus.Registry
	Log   *slog.Logger
}

// NewEnv starts an embedded NATS for t, with the checkpoints bucket, a
// recording gap reporter and a counting mention publisher on it, and a
// fake clock reading now.
func NewEnv(t *testing.T, now time.Time) *Env {
	t.Helper()
	b := bustest.New(t)
	kv, err := b.NewKVStore(context.Background(), bus.BucketCheckpoints)
	if err != nil {
		t.Fatal(err)
	}
	log := bustest.Logger(t)
	return &Env{
		Bus:   b,
		KV:    kv,
		Gaps:  NewGaps(b.NewGapReporter(log, nil)),
		Pub:   &Publisher{inner: b.NewMentionPublisher()},
		Clock: NewClock(now),
		Reg:   prometheus.NewRegistry(),
		Log:   log,
	}
}

// Deps is what a collector's New takes, with hc as its HTTP client.
func (e *Env) Deps(hc *http.Client) ingest.Deps {
	return ingest.Deps{
		Log: e.Log, Checkpoints: e.KV, Gaps: e.Gaps, HTTP: hc,
		Registerer: e.Reg, Now: e.Clock.Now,
	}
}

// StreamMentions reads every message of the MENTIONS stream, failing t
// if one is not a mention or an id appears twice.
func (e *Env) StreamMentions(t *testing.T) map[string]*mention.Mention {
	t.Helper()
	ctx := context.Background()
	n, err := e.Bus.StreamMsgs(ctx, bus.StreamMentions)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Bus.JS.OrderedConsumer(ctx, bus.StreamMentions, jetstream.OrderedConsumerConfig{})
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

// Run runs src until it returns, failing the test if it returns an error
// or outlives the test's bound.
func Run(t *testing.T, ctx context.Context, src ingest.Source, pub ingest.Publisher) {
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

// Gaps records gaps and forwards them to the bus's reporter.
type Gaps struct {
	mu    sync.Mutex
	gaps  []ingest.Gap
	inner ingest.Gaps
}

// NewGaps returns a Gaps forwarding to inner.
func NewGaps(inner ingest.Gaps) *Gaps { return &Gaps{inner: inner} }

// Report records gap and forwards it.
func (g *Gaps) Report(ctx context.Context, gap ingest.Gap) {
	g.mu.Lock()
	g.gaps = append(g.gaps, gap)
	g.mu.Unlock()
	g.inner.Report(ctx, gap)
}

// All returns the gaps reported so far.
func (g *Gaps) All() []ingest.Gap {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.gaps)
}

// Publisher counts Publish calls per id on the way to the bus.
type Publisher struct {
	mu    sync.Mutex
	inner ingest.Publisher
	n     map[string]int
}

// Publish counts m and publishes it.
func (p *Publisher) Publish(ctx context.Context, m *mention.Mention) error {
	p.mu.Lock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	p.n[m.ID]++
	p.mu.Unlock()
	return p.inner.Publish(ctx, m)
}

// Flush flushes the bus publisher.
func (p *Publisher) Flush(ctx context.Context) error { return p.inner.Flush(ctx) }

// Counts returns how many times each id was published.
func (p *Publisher) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	maps.Copy(out, p.n)
	return out
}

// SortedKeys returns m's keys in order.
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// NopCheckpoints loads nothing and saves nowhere.
type NopCheckpoints struct{}

// Load returns no checkpoint.
func (NopCheckpoints) Load(context.Context, string) ([]byte, error) { return nil, nil }

// Save drops the checkpoint.
func (NopCheckpoints) Save(context.Context, string, []byte) error { return nil }

// NopGaps drops every gap.
type NopGaps struct{}

// Report drops gap.
func (NopGaps) Report(context.Context, ingest.Gap) {}
