package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/mention"
	"github.com/vigie-project/vigie/store"
	"github.com/vigie-project/vigie/store/chtest"
)

func publishScored(t *testing.T, b *bus.Bus, n int, watches ...string) {
	t.Helper()
	ctx := context.Background()
	p := b.NewPublisher(0)
	base := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		m := &mention.Mention{ID: fmt.Sprintf("test:%d", i), Source: "test", Text: "hello",
			CreatedAt: base.Add(time.Duration(i) * time.Second), CollectedAt: base, Watches: watches}
		data, _ := mention.Marshal(m)
		for _, w := range watches {
			if err := p.PublishMsg(ctx, bus.ScoredMsg(w, m.ID, data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	bustest.WaitFor(t, 3*time.Minute, what, cond)
}

func TestWriterStoresEveryWatchRowAndAcks(t *testing.T) {
	db := chtest.New(t)
	b := bustest.New(t)
	publishScored(t, b, 1500, "acme", "globex")
	w, err := store.NewWriter(b, db.Conn, store.WriterConfig{BatchSize: 700, BatchWait: 50 * time.Millisecond}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	waitFor(t, "3000 rows", func() bool { return db.Count(t, "SELECT count() FROM mentions") >= 3000 })
	waitFor(t, "acks", func() bool {
		p, err := b.Pending(context.Background(), bus.StreamScored, bus.ConsumerWrite)
		return err == nil && p == 0
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := db.Count(t, "SELECT count() FROM mentions FINAL"); n != 3000 {
		t.Fatalf("rows = %d, want 3000 (1500 mentions x 2 watches)", n)
	}
	if n := db.Count(t, "SELECT uniqExact(id) FROM mentions WHERE watch = 'globex'"); n != 1500 {
		t.Fatalf("globex mentions = %d", n)
	}
}

// A writer killed after its insert and before its acks: the messages are
// redelivered to the next writer, inserted again, and the table still holds
// exactly one row per mention and watch.
func TestWriterKilledBetweenInsertAndAck(t *testing.T) {
	const n = 2000
	db := chtest.New(t)
	b := bustest.NewWith(t, bustest.Options{Config: bus.Config{AckWait: 2 * time.Second}})
	publishScored(t, b, n, "acme")
	cfg := store.WriterConfig{BatchSize: n, BatchWait: 100 * time.Millisecond}

	w1, err := store.NewWriter(b, db.Conn, cfg, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	killed := errors.New("killed")
	inserted := 0
	w1.SetAfterInsert(func() error { inserted++; return killed })
	if err := w1.Run(context.Background()); !errors.Is(err, killed) {
		t.Fatalf("writer 1 returned %v, want the simulated kill", err)
	}
	if inserted != 1 {
		t.Fatalf("writer 1 inserted %d batches before dying", inserted)
	}
	if got := db.Count(t, "SELECT count() FROM mentions"); got != n {
		t.Fatalf("after the kill: %d rows, want %d", got, n)
	}

	m := bus.NewMetrics(nil)
	w2, err := store.NewWriter(b, db.Conn, cfg, nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w2.Run(ctx) }()
	waitFor(t, "redelivery and acks", func() bool {
		p, err := b.Pending(context.Background(), bus.StreamScored, bus.ConsumerWrite)
		return err == nil && p == 0 && testutil.ToFloat64(m.Out.WithLabelValues("write")) >= n
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.In.WithLabelValues("write")); got != n {
		t.Fatalf("writer 2 received %v messages, want all %d redelivered", got, n)
	}
	if got := db.Count(t, "SELECT count() FROM mentions FINAL"); got != n {
		t.Fatalf("FINAL rows = %d, want exactly %d", got, n)
	}
	if got := db.Count(t, "SELECT uniqExact(id, watch) FROM mentions"); got != n {
		t.Fatalf("distinct (id, watch) = %d, want %d", got, n)
	}
}

func TestWriterDeadLettersUndecodable(t *testing.T) {
	db := chtest.New(t)
	b := bustest.New(t)
	ctx := context.Background()
	p := b.NewPublisher(0)
	for i, data := range []string{`{not json`, `{"id":"","source":"x"}`} {
		if err := p.PublishMsg(ctx, bus.ScoredMsg("acme", fmt.Sprint("bad", i), []byte(data))); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	publishScored(t, b, 10, "acme")
	m := bus.NewMetrics(nil)
	w, err := store.NewWriter(b, db.Conn, store.WriterConfig{BatchWait: 50 * time.Millisecond}, nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- w.Run(rctx) }()
	waitFor(t, "10 rows", func() bool { return db.Count(t, "SELECT count() FROM mentions") >= 10 })
	waitFor(t, "2 dead letters", func() bool {
		n, err := b.StreamMsgs(ctx, bus.StreamDead)
		return err == nil && n == 2
	})
	cancel()
	<-done
	if got := testutil.ToFloat64(m.Rejected.WithLabelValues("write", "decode")); got != 2 {
		t.Fatalf("rejected = %v, want 2", got)
	}
}

// The end of a burst: a batch big enough to insert is inserted as soon as
// the stream has nothing more, not after batch_wait (an hour here); a
// batch below idle_flush_rows waits. Both are acknowledged only once
// stored.
func TestWriterInsertsTheEndOfABurstAtOnce(t *testing.T) {
	db := chtest.New(t)
	b := bustest.New(t)
	publishScored(t, b, 600, "acme")
	wm := store.NewWriterMetrics(nil)
	cfg := store.WriterConfig{BatchSize: 1000, BatchWait: time.Hour, IdleFlushRows: 500}
	w, err := store.NewWriter(b, db.Conn, cfg, nil, nil, wm)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	waitFor(t, "600 rows without waiting batch_wait", func() bool {
		// The histogram is observed once the insert call returns, a moment
		// after the rows are visible.
		return db.Count(t, "SELECT count() FROM mentions") >= 600 && histCount(t, wm) >= 1
	})
	if got := histCount(t, wm); got != 1 {
		t.Fatalf("%d inserts, want the burst in one", got)
	}

	// One more: below idle_flush_rows, held until batch_wait or shutdown.
	m := &mention.Mention{ID: "late:1", Source: "test", Text: "x", CreatedAt: time.Now(), CollectedAt: time.Now()}
	data, _ := mention.Marshal(m)
	if _, err := b.JS.PublishMsg(ctx, bus.ScoredMsg("acme", m.ID, data)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the writer holding the late message", func() bool {
		c, err := b.JS.Consumer(ctx, bus.StreamScored, bus.ConsumerWrite)
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 1
	})
	if got := db.Count(t, "SELECT count() FROM mentions"); got != 600 {
		t.Fatalf("%d rows: a one-row batch was inserted before batch_wait", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := db.Count(t, "SELECT count() FROM mentions"); got != 601 {
		t.Fatalf("%d rows after shutdown, want 601", got)
	}
}

func histCount(t *testing.T, wm *store.WriterMetrics) uint64 {
	t.Helper()
	var m dto.Metric
	if err := wm.BatchRows.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}
