package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/config"
	"github.com/vigie-project/vigie/ingest/roster"
	"github.com/vigie-project/vigie/ingest/rss"
	"github.com/vigie-project/vigie/ingest/webhook"
	"github.com/vigie-project/vigie/store/chtest"
)

const feed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Le Journal</title><link>https://journal.example/</link><language>fr</language>
<item><title>Acme annonce un plan social</title><link>https://journal.example/acme-plan-social</link>
<description>&lt;p&gt;Le groupe Acme a annoncé mardi un plan de licenciement, un scandale selon les syndicats.&lt;/p&gt;</description>
<pubDate>Mon, 16 Nov 2026 09:30:00 +0000</pubDate></item>
</channel></rss>`

// Several sources in one process (webhook push and an RSS feed) with the
// employee roster: their posts are stored with watches and employee flags.
func TestSourcesWithRosterIntoClickHouse(t *testing.T) {
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, feed)
	}))
	defer feedSrv.Close()
	db := chtest.New(t)
	a := newApp(t, db, func(c *config.Config) {
		c.Employees = &roster.Config{File: "../ingest/roster/testdata/roster.csv"}
		c.Sources.Webhook = &webhook.Config{Clients: []webhook.Client{{Name: "advocacy", Token: "t0ken-for-the-tests-0123", Source: "twitter"}}}
		c.Sources.RSS = &rss.Config{Feeds: []rss.Feed{{URL: feedSrv.URL + "/feed.xml"}}}
	})
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()

	now := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	body := fmt.Sprintf(`{"id":"1","text":"Fière de travailler chez ACME, on devrait ouvrir le site de Lyon le dimanche","created_at":%q,"author":{"handle":"jdupont","followers":800}}
{"id":"2","text":"ACME service client au top, merci !","created_at":%q,"author":{"handle":"client42"}}
`, now, now)
	var status int
	waitFor(t, time.Minute, "the webhook accepting the batch", func() bool {
		req, _ := http.NewRequest(http.MethodPost, "http://"+a.HTTPAddr()+webhook.Path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t0ken-for-the-tests-0123")
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		status = resp.StatusCode
		return status != http.StatusServiceUnavailable // until the ingest role runs
	})
	if status != http.StatusAccepted {
		t.Fatalf("webhook answered %d", status)
	}
	waitFor(t, 2*time.Minute, "3 mentions stored", func() bool {
		return db.Count(t, "SELECT uniqExact(id) FROM mentions") >= 3
	})
	for _, tc := range []struct {
		where, want string
		n           uint64
	}{
		{"source = 'rss' AND watch = 'acme' AND sentiment_label = 'negative'", "the RSS article, on watch acme, negative", 1},
		{"employee_id = 'E1001' AND watch = 'acme' AND idea = 1", "the employee's post, flagged as an idea", 1},
		{"author_handle = 'client42' AND employee_id = '' AND sentiment_label = 'positive'", "the customer's post, not an employee", 1},
	} {
		if got := db.Count(t, "SELECT count() FROM mentions FINAL WHERE "+tc.where); got != tc.n {
			t.Errorf("%s: %d rows, want %d", tc.want, got, tc.n)
		}
	}
}
