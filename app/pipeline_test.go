package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-project/vigie/app"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/config"
	"github.com/vigie-project/vigie/ingest/replay"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
	"github.com/vigie-project/vigie/store"
	"github.com/vigie-project/vigie/store/chtest"
)

func TestMain(m *testing.M) { os.Exit(chtest.Main(m)) }

// newApp opens an App on an embedded NATS in a temp dir and on the
// ClickHouse database db.
func newApp(t *testing.T, db *chtest.DB, mutate func(*config.Config)) *app.App {
	t.Helper()
	cfg := &config.Config{
		DataDir: t.TempDir(),
		HTTP:    config.HTTPConfig{Listen: "127.0.0.1:0"},
		Watches: []watch.Spec{
			{ID: "acme", Name: "ACME", Kind: "brand", Query: "acme OR #acme"},
			{ID: "globex", Name: "Globex", Kind: "competitor", Query: "globex"},
		},
		ClickHouse: db.Config,
		Writer:     store.WriterConfig{BatchWait: 100 * time.Millisecond},
	}
	if mutate != nil {
		mutate(cfg)
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func synth(i int) *mention.Mention {
	texts := []string{"Mon vol ACME annulé, encore !", "Great service from #acme today", "globex vs acme: lequel choisir ?", "rien à voir"}
	return &mention.Mention{
		ID: fmt.Sprintf("test:%d", i), Source: "test", Text: texts[i%len(texts)],
		CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Author:    mention.Author{Handle: fmt.Sprintf("user%d", i%977), Followers: int64(i % 5000)},
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	bustest.WaitFor(t, limit, what, cond)
}

func publish(t *testing.T, a *app.App, from, to int) {
	t.Helper()
	ctx := context.Background()
	pub := a.Bus.NewMentionPublisher()
	for i := from; i < to; i++ {
		if err := pub.Publish(ctx, synth(i)); err != nil {
			t.Error(err)
			return
		}
	}
	if err := pub.Flush(ctx); err != nil {
		t.Error(err)
	}
}

// 100,000 mentions through the whole pipeline: exactly 100,000 distinct
// mentions stored, each with a row per matched watch.
func TestPipeline100k(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	db := chtest.New(t)
	a := newApp(t, db, nil)
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()
	publish(t, a, 0, n)
	waitFor(t, 10*time.Minute, "every mention stored", func() bool {
		return db.Count(t, "SELECT uniqExact(id) FROM mentions") >= uint64(n)
	})
	if err := a.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := db.Count(t, "SELECT uniqExact(id) FROM mentions"); got != uint64(n) {
		t.Fatalf("distinct mentions = %d, want %d", got, n)
	}
	// Texts 0 and 1 match acme, 2 matches both, 3 matches none.
	want := map[string]uint64{"acme": uint64(n / 4 * 3), "globex": uint64(n / 4), "": uint64(n / 4)}
	for w, c := range want {
		if got := db.Count(t, "SELECT count() FROM mentions FINAL WHERE watch = ?", w); got != c {
			t.Errorf("watch %q: %d rows, want %d", w, got, c)
		}
	}
}

// ClickHouse stopped for 30 s while mentions flow, then started again:
// every mention ends up stored exactly once.
func TestClickHouseOutage(t *testing.T) {
	srv, err := store.StartLocal(context.Background(), t.TempDir(), "", bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	db := chtest.NewOn(t, srv.Addr())
	a := newApp(t, db, func(c *config.Config) { c.Writer.MaxRetryWait = 2 * time.Second })
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()

	const per, rounds = 500, 40
	publish(t, a, 0, per)
	waitFor(t, 2*time.Minute, "the first mentions stored", func() bool {
		return db.Count(t, "SELECT uniqExact(id) FROM mentions") >= per
	})
	srv.Stop()
	outage := time.Now()
	// Mentions keep flowing during the outage.
	for r := 1; r < rounds; r++ {
		publish(t, a, r*per, (r+1)*per)
		time.Sleep(30 * time.Second / rounds)
	}
	time.Sleep(time.Until(outage.Add(30 * time.Second)))
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Minute, "the backlog stored", func() bool {
		var n uint64
		err := db.Conn.QueryRow(ctx, "SELECT uniqExact(id) FROM mentions").Scan(&n)
		if err != nil {
			t.Logf("count: %v", err)
		}
		return err == nil && n >= per*rounds
	})
	if err := a.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := db.Count(t, "SELECT uniqExact(id) FROM mentions"); got != per*rounds {
		t.Fatalf("distinct mentions = %d, want %d", got, per*rounds)
	}
	// One FINAL row per mention and watch: texts i%4 == 2 match two
	// watches, the others one (or none, stored with watch '').
	want := uint64(per * rounds / 4 * 5)
	if got := db.Count(t, "SELECT count() FROM mentions FINAL"); got != want {
		t.Fatalf("FINAL rows = %d, want %d (one per mention and watch)", got, want)
	}
	if r := testutil.ToFloat64(a.Metrics.Retries.WithLabelValues("write")); r == 0 {
		t.Fatal("the writer never retried: the outage did not happen")
	}
}

// A replay file with a malformed line: the line is reported and counted,
// the rest is stored.
func TestReplayMalformedLineThroughPipeline(t *testing.T) {
	db := chtest.New(t)
	dir := t.TempDir()
	var lines []string
	for i := 0; i < 50; i++ {
		b, _ := mention.Marshal(synth(i))
		lines = append(lines, string(b))
	}
	lines[17] = `{"id": "test:17", "source": "test", "text": "acme", "created_at": "yesterday"}`
	lines[30] = `{not json`
	path := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := newApp(t, db, func(c *config.Config) { c.Sources.Replay = &replay.Config{File: path} })
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()
	waitFor(t, 2*time.Minute, "48 mentions stored", func() bool {
		return db.Count(t, "SELECT uniqExact(id) FROM mentions") >= 48
	})
	rs := a.Sources[0].(*replay.Source)
	pub, rej := rs.Stats()
	if pub != 48 || rej != 2 {
		t.Fatalf("replay stats: published %d rejected %d, want 48 and 2", pub, rej)
	}
}
