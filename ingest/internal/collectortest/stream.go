package collectortest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/mention"
)

// Mentions reads every message of b's MENTIONS stream, in stream order,
// duplicates included.
func Mentions(t *testing.T, b *bus.Bus) []*mention.Mention {
	t.Helper()
	ctx := context.Background()
	n, err := b.StreamMsgs(ctx, bus.StreamMentions)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		return nil
	}
	c, err := b.JS.OrderedConsumer(ctx, bus.StreamMentions, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*mention.Mention
	for uint64(len(out)) < n {
		batch, err := c.Fetch(int(n)-len(out), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for msg := range batch.Messages() {
			m, err := mention.Unmarshal(msg.Data())
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
			got++
		}
		if got == 0 {
			t.Fatalf("MENTIONS holds %d messages, read %d", n, len(out))
		}
	}
	return out
}

// WaitMentions waits until b's MENTIONS stream holds n messages.
func WaitMentions(t *testing.T, b *bus.Bus, n uint64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err := b.StreamMsgs(context.Background(), bus.StreamMentions)
		if err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("MENTIONS holds %d messages, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// SortedIDs returns the ids of ms, sorted.
func SortedIDs(ms []*mention.Mention) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	slices.Sort(out)
	return out
}

// Counter sums the counter name over the series of reg whose labels
// match labels (labels a series lacks are not compared).
func Counter(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			total += m.GetCounter().GetValue()
		}
	}
	return total
}
