package store_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/mention"
	"github.com/vigie-project/vigie/store"
	"github.com/vigie-project/vigie/store/chtest"
)

func TestMain(m *testing.M) { os.Exit(chtest.Main(m)) }

func TestMigrateIsIdempotentAndStatusComplete(t *testing.T) {
	db := chtest.New(t)
	ctx := context.Background()
	o := store.RenderOptions{Database: db.Database}
	n, err := store.Migrate(ctx, db.Conn, o, nil)
	if err != nil || n != 0 {
		t.Fatalf("second migrate applied %d (%v), want 0", n, err)
	}
	st, err := store.Status(ctx, db.Conn, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.AppliedAt.IsZero() {
			t.Errorf("migration %d %s pending after Migrate", s.Version, s.Name)
		}
	}
	// Every statement runs again without error (IF NOT EXISTS everywhere).
	ms, _ := store.Migrations()
	for _, m := range ms {
		stmts, err := m.Statements(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range stmts {
			if err := db.Conn.Exec(ctx, q); err != nil {
				t.Errorf("migration %d not idempotent: %v\n%s", m.Version, err, q)
			}
		}
	}
}

func TestClusterRendering(t *testing.T) {
	ms, err := store.Migrations()
	if err != nil || len(ms) == 0 {
		t.Fatal(ms, err)
	}
	stmts, err := ms[0].Statements(store.RenderOptions{Database: "vigie", Cluster: "main"})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(stmts, "\n")
	for _, want := range []string{"CREATE TABLE IF NOT EXISTS mentions ON CLUSTER main",
		"ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/vigie/mentions', '{replica}', version)",
		"ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/vigie/mention_minutes', '{replica}')"} {
		if !strings.Contains(all, want) {
			t.Errorf("cluster rendering lacks %q", want)
		}
	}
	single, _ := ms[0].Statements(store.RenderOptions{Database: "vigie"})
	if s := strings.Join(single, "\n"); strings.Contains(s, "ON CLUSTER") || strings.Contains(s, "Replicated") {
		t.Errorf("single-server rendering mentions the cluster")
	}
}

func TestInsertRowsAndMinutes(t *testing.T) {
	db := chtest.New(t)
	ctx := context.Background()
	base := time.Date(2026, 10, 5, 9, 30, 0, 0, time.UTC)
	var rows [][]any
	for i := 0; i < 30; i++ {
		m := &mention.Mention{
			ID: "simulate:" + string(rune('a'+i)), Source: "simulate", CreatedAt: base.Add(time.Duration(i) * 10 * time.Second),
			CollectedAt: base, Text: "Vol annulé, scandale", Lang: "fr", Author: mention.Author{Followers: 100},
			Sentiment: &mention.Sentiment{Score: -0.8, Label: mention.Negative, Terms: []mention.Term{{Term: "scandale", Weight: -0.5}}},
			Charter:   []mention.CharterFlag{{Rule: "r1", Category: "insult", Severity: 3}},
		}
		if i%3 == 0 {
			m.Author.EmployeeID = "e1"
		}
		rows = append(rows, store.Row(m, "airfrance", base))
	}
	if err := store.Insert(ctx, db.Conn, store.MentionsInsert, rows); err != nil {
		t.Fatal(err)
	}
	if n := db.Count(t, "SELECT count() FROM mentions"); n != 30 {
		t.Fatalf("mentions = %d", n)
	}
	// 30 posts over 5 minutes (one every 10 s): the view sums per minute.
	if n := db.Count(t, "SELECT toUInt64(sum(mentions)) FROM mention_minutes WHERE watch = 'airfrance'"); n != 30 {
		t.Fatalf("sum(mention_minutes.mentions) = %d", n)
	}
	if n := db.Count(t, "SELECT toUInt64(count()) FROM (SELECT minute FROM mention_minutes GROUP BY minute)"); n != 5 {
		t.Fatalf("minutes = %d, want 5", n)
	}
	if n := db.Count(t, "SELECT toUInt64(sum(employee_posts)) FROM mention_minutes"); n != 10 {
		t.Fatalf("employee_posts = %d, want 10", n)
	}
	if n := db.Count(t, "SELECT toUInt64(sum(negatives)) FROM mention_minutes"); n != 30 {
		t.Fatalf("negatives = %d, want 30", n)
	}
}

func TestOpenFailsClearly(t *testing.T) {
	cfg := store.Config{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond}
	_, err := store.Open(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("err = %v, want it to name the address", err)
	}
	if _, err := store.Open(context.Background(), store.Config{Database: "bad-name"}); err == nil || !strings.Contains(err.Error(), "database") {
		t.Fatalf("err = %v, want it to name the database field", err)
	}
}

func TestNoBinaryHint(t *testing.T) {
	_, _, err := store.FindServerBinary("/nonexistent/clickhouse-server")
	if err == nil {
		t.Fatal("want an error")
	}
	t.Setenv("PATH", t.TempDir())
	_, _, err = store.FindServerBinaryIn("", nil)
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y clickhouse-server") {
		t.Fatalf("err = %v, want the install command", err)
	}
}
