package analysis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-project/vigie/analysis"
	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/mention"
)

// The stage overlaps the confirmation of one batch with the analysis of
// the next: SCORED must still hold the mentions in the order of MENTIONS,
// every one exactly once per watch, and MENTIONS must end fully
// acknowledged.
func TestStageKeepsOrderAcrossBatchesInFlight(t *testing.T) {
	b := bustest.New(t)
	ctx := context.Background()
	const n = 3000
	pub := b.NewMentionPublisher()
	base := time.Now().UTC().Add(-time.Hour)
	for i := range n {
		m := &mention.Mention{ID: fmt.Sprintf("t:%05d", i), Source: "test", Text: fmt.Sprintf("post %d", i),
			CreatedAt: base.Add(time.Duration(i) * time.Millisecond), CollectedAt: base}
		if err := pub.Publish(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Two watches for even posts, one for odd: batches publish a varying
	// number of messages.
	fn := func(m *mention.Mention) {
		var i int
		fmt.Sscanf(m.ID, "t:%d", &i)
		m.Watches = []string{"acme"}
		if i%2 == 0 {
			m.Watches = append(m.Watches, "globex")
		}
	}
	st, err := analysis.NewStage(b, analysis.Config{Batch: 37, Workers: 3, Mode: analysis.ModePassThrough}, fn, bustest.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- st.Run(rctx) }()
	want := n + n/2
	bustest.WaitFor(t, 2*time.Minute, "every mention analysed and acknowledged", func() bool {
		p, err := b.Pending(ctx, bus.StreamMentions, bus.ConsumerAnalyze)
		if err != nil || p != 0 {
			return false
		}
		s, err := b.JS.Stream(ctx, bus.StreamScored)
		if err != nil {
			return false
		}
		info, err := s.Info(ctx)
		return err == nil && info.State.Msgs >= uint64(want)
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	oc, err := b.JS.OrderedConsumer(ctx, bus.StreamScored, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	last, seen := -1, map[string]bool{}
	for got := 0; got < want; {
		batch, err := oc.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for msg := range batch.Messages() {
			k++
			m, err := mention.Unmarshal(msg.Data())
			if err != nil {
				t.Fatal(err)
			}
			var i int
			fmt.Sscanf(m.ID, "t:%d", &i)
			key := m.ID + "/" + msg.Subject()
			if seen[key] {
				t.Fatalf("%s published twice", key)
			}
			seen[key] = true
			if i < last {
				t.Fatalf("SCORED out of order: %s after t:%05d", m.ID, last)
			}
			last = i
		}
		if k == 0 {
			t.Fatalf("SCORED holds %d messages, want %d", got, want)
		}
		got += k
	}
	if len(seen) != want {
		t.Fatalf("%d distinct scored messages, want %d", len(seen), want)
	}
}
