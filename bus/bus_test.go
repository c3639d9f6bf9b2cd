package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/mention"
)

func mk(i int) *mention.Mention {
	return &mention.Mention{
		ID: fmt.Sprintf("simulate:%d", i), Source: "simulate",
		CreatedAt: time.Date(2026, 11, 1, 10, 0, i%60, 0, time.UTC), Text: "bonjour",
	}
}

func TestPublishDedupAndConsume(t *testing.T) {
	ctx := context.Background()
	b := bustest.New(t)
	pub := b.NewMentionPublisher()
	for i := 0; i < 500; i++ {
		if err := pub.Publish(ctx, mk(i)); err != nil {
			t.Fatal(err)
		}
	}
	// The same ids again: absorbed by the duplicate window.
	for i := 0; i < 500; i++ {
		if err := pub.Publish(ctx, mk(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := b.StreamMsgs(ctx, bus.StreamMentions)
	if err != nil || n != 500 {
		t.Fatalf("MENTIONS holds %d messages (err %v), want 500", n, err)
	}
	c, err := b.Consumer(ctx, bus.StreamMentions, bus.ConsumerAnalyze)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for len(seen) < 500 {
		msgs, err := bus.Fetch(ctx, c, 200, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			t.Fatalf("stream stopped delivering after %d", len(seen))
		}
		for _, m := range msgs {
			mm, err := mention.Unmarshal(m.Data())
			if err != nil {
				t.Fatal(err)
			}
			seen[mm.ID] = true
			if err := m.Ack(); err != nil {
				t.Fatal(err)
			}
		}
	}
	p, err := b.Pending(ctx, bus.StreamMentions, bus.ConsumerAnalyze)
	if err != nil {
		t.Fatal(err)
	}
	if p != 0 {
		// acks are async; wait until the server has them all
		deadline := time.Now().Add(10 * time.Second)
		for p != 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			p, _ = b.Pending(ctx, bus.StreamMentions, bus.ConsumerAnalyze)
		}
		if p != 0 {
			t.Fatalf("pending = %d after acking everything", p)
		}
	}
}

func TestRestartKeepsStreamsAndConsumers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := bus.Open(ctx, bus.Config{}, dir, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	pub := b.NewMentionPublisher()
	for i := 0; i < 10; i++ {
		if err := pub.Publish(ctx, mk(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := b.Consumer(ctx, bus.StreamMentions, bus.ConsumerAnalyze)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := bus.Fetch(ctx, c, 4, 2*time.Second)
	if err != nil || len(msgs) != 4 {
		t.Fatalf("fetched %d, %v", len(msgs), err)
	}
	for _, m := range msgs {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()

	b2 := bustest.NewWith(t, bustest.Options{DataDir: dir, Config: bus.Config{Listen: ""}})
	n, err := b2.StreamMsgs(ctx, bus.StreamMentions)
	if err != nil || n != 10 {
		t.Fatalf("after restart MENTIONS holds %d (%v), want 10", n, err)
	}
	p, err := b2.Pending(ctx, bus.StreamMentions, bus.ConsumerAnalyze)
	if err != nil || p != 6 {
		t.Fatalf("after restart analyze has %d pending (%v), want 6", p, err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		c    bus.Config
		want string
	}{
		{bus.Config{Replicas: 2}, "replicas"},
		{bus.Config{DuplicateWindow: time.Minute}, "duplicate_window"},
		{bus.Config{Listen: "nohostport"}, "listen"},
		{bus.Config{URL: "nats://x:4222", Listen: "127.0.0.1:4222"}, "listen"},
	} {
		tc.c.SetDefaults()
		err := tc.c.Validate()
		if err == nil || err.Error()[:len(tc.want)] != tc.want {
			t.Errorf("%+v: err = %v, want it to start with %q", tc.c, err, tc.want)
		}
	}
}
