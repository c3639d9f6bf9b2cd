package mastodon

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
)

const (
	tagPath     = "mastodon.social /api/v1/timelines/tag/airfrance"
	lookupPath  = "mastodon.social /api/v1/accounts/lookup"
	accountPath = "mastodon.social /api/v1/accounts/109301234567890123/statuses"
	linkAfter   = `<https://mastodon.social/api/v1/timelines/tag/airfrance?max_id=115496819998877665>; rel="next", <https://mastodon.social/api/v1/timelines/tag/airfrance?min_id=115496825551234560>; rel="prev"`
)

func TestPollTimelines(t *testing.T) {
	e := collectortest.NewEnv(t, testNow)
	api := newAPIServer(t)
	var resetAt time.Time
	api.Script(tagPath,
		collectortest.Reply{File: "tag_airfrance_newest.json"},
		collectortest.Reply{File: "tag_airfrance_after.json", Header: map[string]string{"Link": linkAfter, "X-RateLimit-Remaining": "299"}},
		collectortest.Reply{Serve: func(w http.ResponseWriter, r *http.Request) {
			resetAt = e.Clock.Now().Add(30 * time.Second)
			w.Header().Set("X-RateLimit-Limit", "300")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", resetAt.Format("2006-01-02T15:04:05.000000Z"))
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":"Too many requests"}`))
		}},
	)
	api.Script(lookupPath, collectortest.Reply{File: "account_lookup.json"})
	api.Script(accountPath,
		collectortest.Reply{File: "account_statuses.json"},
		collectortest.Reply{Status: http.StatusServiceUnavailable, Body: `{"error":"Service Unavailable"}`},
	)
	reached := make(chan struct{})
	e.Clock.OnSleep = collectortest.ParkAfter(2, time.Minute, reached)
	no := false
	src, err := New(Config{
		Instances: []Instance{{
			URL: "https://mastodon.social", AccessToken: "t0k3n",
			Hashtags: []string{"AirFrance"}, Accounts: []string{"airfrance"},
		}},
		FromWatches: &no, PollInterval: time.Minute, PageLimit: 2,
	}, e.Deps(api.Client()), WithSleep(e.Clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-reached; cancel() }()
	collectortest.Run(t, ctx, src, e.Pub)

	// Every status of the fixtures is on the bus once, except the
	// malformed one and the private one.
	got := e.StreamMentions(t)
	want := []string{
		idOf("mastodon.social", "115496790112233445"), // lea, from the tag and reblogged
		idOf("mastodon.social", "115496801000000003"), // @airfrance
		idOf("mastodon.social", "115496811320435711"), // reply
		idOf("mastodon.social", "115496819998877665"), // content warning
		idOf("mastodon.social", "115496825551234560"), // quote
		idOf("mastodon.social", "115496828000000001"), // @airfrance's reblog
	}
	if keys := collectortest.SortedKeys(got); !slices.Equal(keys, want) {
		t.Fatalf("MENTIONS ids:\n%s\nwant\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	relay := got[idOf("mastodon.social", "115496828000000001")]
	if relay.RepostOf != idOf("mastodon.social", "115496790112233445") || relay.Author.Handle != "airfrance@mastodon.social" ||
		!strings.HasPrefix(relay.Text, "Encore un vol annulé") || !relay.CollectedAt.Equal(testNow) {
		t.Errorf("relay = %+v", relay)
	}
	if q := got[idOf("mastodon.social", "115496825551234560")]; q.QuoteOf != idOf("mastodon.social", "115496790112233445") || q.Lang != "en" {
		t.Errorf("quote = %+v", q)
	}

	// Requests: the token on each, min_id from the checkpoint.
	for _, r := range api.Requests() {
		if r.Header.Get("Authorization") != "Bearer t0k3n" || r.Header.Get("User-Agent") != DefaultUserAgent {
			t.Errorf("%s: headers %v", r.URL, r.Header)
		}
	}
	if q := api.Queries(tagPath); len(q) != 4 || q[0] != "limit=2" || q[1] != "limit=2&min_id=115496811320435711" ||
		q[2] != "limit=2&min_id=115496825551234560" || q[3] != q[2] {
		t.Errorf("tag queries = %q", q)
	}
	if q := api.Queries(lookupPath); len(q) != 1 || q[0] != "acct=airfrance" {
		t.Errorf("lookup queries = %q", q)
	}
	if q := api.Queries(accountPath); len(q) != 3 || q[1] != "limit=2&min_id=115496828000000001" {
		t.Errorf("account queries = %q", q)
	}

	// The 429: a gap for the instance up to the reset, and a wait that
	// honoured it (on the injected clock, not the wall clock).
	var rate, outage int
	for _, g := range e.Gaps.All() {
		switch g.Reason {
		case "rate_limited":
			rate++
			if g.Source != "mastodon" || g.Feed != "mastodon.social" || !g.From.Equal(resetAt.Add(-30*time.Second)) ||
				g.To.Before(resetAt) || g.To.After(resetAt.Add(time.Second)) {
				t.Errorf("rate-limit gap = %+v, reset at %v", g, resetAt)
			}
		case "http_5xx":
			outage++
			if g.Feed != "mastodon.social/account/airfrance" || !g.To.After(g.From) {
				t.Errorf("outage gap = %+v", g)
			}
		default:
			t.Errorf("unexpected gap %+v", g)
		}
	}
	if rate != 1 || outage != 1 {
		t.Errorf("gaps = %+v, want one rate_limited and one http_5xx", e.Gaps.All())
	}
	waited := false
	for _, d := range e.Clock.Slept() {
		if d >= 30*time.Second && d <= 31*time.Second {
			waited = true
		}
	}
	if !waited {
		t.Errorf("sleeps %v: none honours the 30 s reset", e.Clock.Slept())
	}

	// Checkpoints: the newest id of each feed.
	for key, want := range map[string]string{
		"mastodon/mastodon.social/tag/airfrance":     "115496825551234560",
		"mastodon/mastodon.social/account/airfrance": "115496828000000001",
	} {
		v, err := e.KV.Load(context.Background(), key)
		if err != nil || string(v) != want {
			t.Errorf("checkpoint %s = %q (%v), want %s", key, v, err, want)
		}
	}

	// Metrics.
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"rejected malformed", testutil.ToFloat64(src.met.Rejected.WithLabelValues("malformed")), 1},
		{"rejected not_public", testutil.ToFloat64(src.met.Rejected.WithLabelValues("not_public")), 1},
		{"requests 429", testutil.ToFloat64(src.met.Requests.WithLabelValues("timelines_tag", "429")), 1},
		{"requests 503", testutil.ToFloat64(src.met.Requests.WithLabelValues("accounts_statuses", "503")), 1},
		// lea twice: from the tag, and reblogged.
		{"collected tag", testutil.ToFloat64(src.met.Collected.WithLabelValues("mastodon.social/tag/airfrance")), 4},
		{"collected account", testutil.ToFloat64(src.met.Collected.WithLabelValues("mastodon.social/account/airfrance")), 3},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if w := testutil.ToFloat64(src.met.Waited.WithLabelValues("timelines_tag", "rate_limited")); w < 30 || w > 31 {
		t.Errorf("rate-limit wait = %vs, want 30 to 31", w)
	}
	if n, err := testutil.GatherAndCount(e.Reg, "vigie_ingest_rejected_total"); err != nil || n != 2 {
		t.Errorf("registry has %d rejected series (%v), want 2", n, err)
	}
}

func TestStream(t *testing.T) {
	e := collectortest.NewEnv(t, testNow)
	api := newAPIServer(t)
	const streamPath = "piaille.fr /api/v1/streaming/hashtag"
	const greve = "piaille.fr /api/v1/timelines/tag/gr%C3%A8ve"
	second := make(chan struct{})
	api.Script(streamPath,
		collectortest.Reply{Serve: sseHandler(t, string(collectortest.ReadFixture(t, "stream_greve.sse")), false, nil)},
		collectortest.Reply{Serve: sseHandler(t, ":)\n\n", true, second)},
	)
	api.Script(greve, collectortest.Reply{File: "tag_greve_newest.json"})
	no := false
	src, err := New(Config{
		Instances:   []Instance{{URL: "https://piaille.fr", Hashtags: []string{"grève"}, Stream: true}},
		FromWatches: &no,
	}, e.Deps(api.Client()), WithSleep(e.Clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-second
		// The catch-up poll of the second connection comes next.
		for len(api.Queries(greve)) < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	collectortest.Run(t, ctx, src, e.Pub)

	got := e.StreamMentions(t)
	want := []string{idOf("piaille.fr", "115496845000000009"), idOf("piaille.fr", "115496850000000001"), idOf("piaille.fr", "115496855000000002")}
	if keys := collectortest.SortedKeys(got); !slices.Equal(keys, want) {
		t.Fatalf("MENTIONS ids %q, want %q", keys, want)
	}
	if m := got[want[1]]; m.Author.Handle != "marc_dvl@mastodon.social" || !strings.Contains(m.Text, "30 % des vols") {
		t.Errorf("streamed = %+v", m)
	}
	if q := api.Queries(greve); len(q) != 2 || q[0] != "limit=40" || q[1] != "limit=40&min_id=115496855000000002" {
		t.Errorf("catch-up queries = %q", q)
	}
	if q := api.Queries(streamPath); len(q) != 2 || q[0] != "tag=gr%C3%A8ve" {
		t.Errorf("stream queries = %q", q)
	}
	if gaps := e.Gaps.All(); len(gaps) != 0 {
		t.Errorf("gaps = %+v, want none: the REST catch-up covers the disconnection", gaps)
	}
	for ev, want := range map[string]float64{"update": 3, "status.update": 1, "delete": 1, "other": 1, "heartbeat": 4} {
		if got := testutil.ToFloat64(src.met.StreamEvents.WithLabelValues(ev)); got != want {
			t.Errorf("stream events %s = %v, want %v", ev, got, want)
		}
	}
	if got := testutil.ToFloat64(src.met.Rejected.WithLabelValues("malformed")); got != 1 {
		t.Errorf("rejected = %v, want 1 (the update with a numeric created_at)", got)
	}
	if got := testutil.ToFloat64(src.met.Deletions); got != 1 {
		t.Errorf("deletions = %v, want 1", got)
	}
	if got := testutil.ToFloat64(src.met.Reconnects); got != 1 {
		t.Errorf("reconnects = %v, want 1", got)
	}
	if v, _ := e.KV.Load(context.Background(), "mastodon/piaille.fr/tag/grève"); string(v) != "115496855000000002" {
		t.Errorf("checkpoint = %q", v)
	}
}

// TestStreamRefusedFallsBackToPolling: a 401 from the streaming API (it
// wants a token) is not retried; the hashtag is polled instead.
func TestStreamRefusedFallsBackToPolling(t *testing.T) {
	e := collectortest.NewEnv(t, testNow)
	api := newAPIServer(t)
	api.Script("piaille.fr /api/v1/streaming/hashtag", collectortest.Reply{Status: http.StatusUnauthorized, Body: `{"error":"The access token is invalid"}`})
	api.Script("piaille.fr /api/v1/timelines/tag/gr%C3%A8ve", collectortest.Reply{File: "tag_greve_newest.json"})
	reached := make(chan struct{})
	e.Clock.OnSleep = collectortest.ParkAfter(2, time.Minute, reached)
	no := false
	src, err := New(Config{
		Instances:   []Instance{{URL: "https://piaille.fr", Hashtags: []string{"grève"}, Stream: true}},
		FromWatches: &no,
	}, e.Deps(api.Client()), WithSleep(e.Clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-reached; cancel() }()
	collectortest.Run(t, ctx, src, e.Pub)
	if got := e.StreamMentions(t); len(got) != 1 {
		t.Fatalf("MENTIONS = %v, want the polled status", collectortest.SortedKeys(got))
	}
	if n := len(api.Queries("piaille.fr /api/v1/streaming/hashtag")); n != 1 {
		t.Errorf("stream requested %d times, want 1 (no retry of a 401)", n)
	}
}

// TestRestartResumesFromCheckpoint stops the collector after its first
// poll and starts a new one on the same checkpoints: it asks for what
// follows the last status published, so nothing is missed and nothing is
// published twice.
func TestRestartResumesFromCheckpoint(t *testing.T) {
	e := collectortest.NewEnv(t, testNow)
	api := newAPIServer(t)
	api.Script(tagPath,
		collectortest.Reply{File: "tag_airfrance_newest.json"},
		collectortest.Reply{File: "tag_airfrance_after.json", Header: map[string]string{"Link": linkAfter}},
	)
	no := false
	cfg := Config{
		Instances:   []Instance{{URL: "https://mastodon.social", Hashtags: []string{"airfrance"}}},
		FromWatches: &no, PollInterval: time.Minute, PageLimit: 2,
	}
	for i := range 2 {
		reached := make(chan struct{})
		e.Clock.OnSleep = collectortest.ParkAfter(1, time.Minute, reached)
		src, err := New(cfg, e.Deps(api.Client()), WithSleep(e.Clock.Sleep))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-reached; cancel() }()
		collectortest.Run(t, ctx, src, e.Pub)
		if i == 0 {
			if n, _ := e.Bus.StreamMsgs(context.Background(), "MENTIONS"); n != 2 {
				t.Fatalf("after the first run MENTIONS holds %d, want 2", n)
			}
		}
	}
	q := api.Queries(tagPath)
	if len(q) != 3 || q[0] != "limit=2" || q[1] != "limit=2&min_id=115496811320435711" || q[2] != "limit=2&min_id=115496825551234560" {
		t.Fatalf("queries = %q: the second run must resume at the first run's newest id", q)
	}
	for id, n := range e.Pub.Counts() {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
	if got := e.StreamMentions(t); len(got) != 4 {
		t.Errorf("MENTIONS holds %d distinct ids, want 4", len(got))
	}
	if gaps := e.Gaps.All(); len(gaps) != 0 {
		t.Errorf("gaps = %+v, want none", gaps)
	}
}
