package bus_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/ingest"
)

func TestKVStore(t *testing.T) {
	ctx := context.Background()
	b := bustest.New(t)
	s, err := b.NewKVStore(ctx, bus.BucketCheckpoints)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Load(ctx, "twitter/search:#airfrance"); err != nil || v != nil {
		t.Fatalf("missing key: %q, %v", v, err)
	}
	keys := []string{"twitter/search:#airfrance", "rss/https://ex.example/feed?x=1", "a..b", ".", ""}
	for i, k := range keys {
		if err := s.Save(ctx, k, []byte{byte(i)}); err != nil {
			t.Fatalf("save %q: %v", k, err)
		}
	}
	for i, k := range keys {
		v, err := s.Load(ctx, k)
		if err != nil || len(v) != 1 || v[0] != byte(i) {
			t.Fatalf("load %q = %v, %v; want [%d] (keys must not collide)", k, v, err, i)
		}
	}
}

func TestGapReporter(t *testing.T) {
	ctx := context.Background()
	b := bustest.New(t)
	reg := prometheus.NewRegistry()
	g := b.NewGapReporter(bustest.Logger(t), reg)
	from := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	g.Report(ctx, ingest.Gap{Source: "twitter", Feed: "stream", From: from, To: from.Add(90 * time.Second), Missed: 12, Reason: "stream_limit"})
	if n := testutil.CollectAndCount(reg, "vigie_ingest_gaps_total"); n != 1 {
		t.Fatalf("gap series = %v", n)
	}
	cons, err := b.JS.OrderedConsumer(ctx, bus.StreamEvents, jetstreamFilter("vigie.event.gap.>"))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next()
	if err != nil {
		t.Fatal(err)
	}
	var got ingest.Gap
	if err := json.Unmarshal(msg.Data(), &got); err != nil || got.Missed != 12 || msg.Subject() != "vigie.event.gap.twitter" {
		t.Fatalf("event %s %+v %v", msg.Subject(), got, err)
	}
}

func jetstreamFilter(s string) jetstream.OrderedConsumerConfig {
	return jetstream.OrderedConsumerConfig{FilterSubjects: []string{s}}
}
