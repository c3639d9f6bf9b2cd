package rss

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/mention"
)

func idOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return IDPrefix + hex.EncodeToString(sum[:])
}

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func TestRSSAndAtomWithConditionalGET(t *testing.T) {
	h := newHarness(t, t0)
	fs := newFeedServer(t, map[string][]step{
		"/wp":   {{code: 200, file: "wordpress_fr.xml", header: map[string]string{"ETag": `W/"wp-1"`, "Last-Modified": "Mon, 02 Nov 2026 08:12:44 GMT"}}},
		"/atom": {{code: 200, file: "blog_en.atom.xml", header: map[string]string{"ETag": `"at-1"`}}},
	})
	src := h.run(fs, Config{Feeds: []Feed{
		{URL: fs.url("/wp"), Name: "voyageur"},
		{URL: fs.url("/atom"), Name: "flyernotes", Interval: 15 * time.Minute},
	}})

	// The second poll was conditional and got 304.
	wp := fs.requests("/wp")
	if len(wp) < 2 || wp[1].Get("If-None-Match") != `W/"wp-1"` || wp[1].Get("If-Modified-Since") != "Mon, 02 Nov 2026 08:12:44 GMT" {
		t.Fatalf("second request to /wp: %v", wp)
	}
	if wp[0].Get("If-None-Match") != "" || !strings.HasPrefix(wp[0].Get("User-Agent"), "vigie-rss/") {
		t.Fatalf("first request to /wp: %v", wp[0])
	}
	if at := fs.requests("/atom"); len(at) < 2 || at[1].Get("If-None-Match") != `"at-1"` || at[1].Get("If-Modified-Since") != "" {
		t.Fatalf("second request to /atom: %v", at)
	}

	got := h.mentions()
	want := map[string]string{
		idOf("https://blog-voyageur.example/2026/11/02/greve-acme-vol-annule/"):  "voyageur",
		idOf("https://blog-voyageur.example/2026/10/28/salon-acme-lyon/"):        "voyageur",
		idOf("https://blog-voyageur.example/2026/10/20/astuces-correspondance/"): "voyageur",
		idOf("https://flyernotes.example/posts/acme-strike-lyon/"):               "flyernotes",
		idOf("https://flyernotes.example/posts/acme-lounge-lyon/"):               "flyernotes",
		idOf("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"):                    "flyernotes", // no link: the GUID
	}
	for id := range want {
		if got[id] == nil {
			t.Errorf("%s missing; stream holds %v", id, sortedKeys(got))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("stream holds %d mentions, want %d", len(got), len(want))
	}

	m := got[idOf("https://blog-voyageur.example/2026/11/02/greve-acme-vol-annule/")]
	wantText := "Grève chez Acme : mon vol Paris–Lyon annulé sans prévenir\n\n" +
		"Ce matin à 6 h, SMS laconique : « Votre vol AC1234 est annulé ». Pas d’explication, pas de solution de rechange.\n" +
		"Au comptoir, on m’apprend qu’une grève du personnel au sol touche tous les vols du matin. Le site d’Acme n’en dit rien.\n" +
		"Bref, #honte. On attend toujours un geste commercial.\n" +
		"L’article Grève chez Acme : mon vol Paris–Lyon annulé sans prévenir est apparu en premier sur Le Blog du Voyageur."
	if m.Text != wantText {
		t.Errorf("text:\n%q\nwant\n%q", m.Text, wantText)
	}
	if m.Source != "rss" || m.Lang != "fr" || m.URL != "https://blog-voyageur.example/2026/11/02/greve-acme-vol-annule/" ||
		!m.CreatedAt.Equal(time.Date(2026, 11, 2, 8, 12, 44, 0, time.UTC)) || !m.CollectedAt.Equal(t0) ||
		m.Author.Handle != "blog-voyageur.example" || m.Author.Name != "Le Blog du Voyageur" {
		t.Errorf("mention = %+v", m)
	}
	if len(m.Links) == 0 || m.Links[0] != "https://www.acme.fr/infos-trafic" {
		t.Errorf("links = %v, want the Acme link first, without tracking parameters", m.Links)
	}

	a := got[idOf("https://flyernotes.example/posts/acme-strike-lyon/")]
	if a.Lang != "en" || !strings.HasPrefix(a.Text, "Acme’s strike: what I learned stuck in Lyon\n\nFive hours at Lyon airport and zero information from Acme.") ||
		strings.Contains(a.Text, "color: red") || !strings.Contains(a.Text, "Check the app & the airport's site.") ||
		!strings.HasSuffix(a.Text, "Would not fly again <sigh>.") {
		t.Errorf("atom text = %q", a.Text)
	}
	lounge := got[idOf("https://flyernotes.example/posts/acme-lounge-lyon/")]
	if lounge.URL != "https://flyernotes.example/posts/acme-lounge-lyon/" || !lounge.CreatedAt.Equal(time.Date(2026, 10, 29, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("relative Atom link: %+v", lounge)
	}
	note := got[idOf("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")]
	if note.URL != "" || !note.CreatedAt.Equal(time.Date(2026, 10, 25, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("GUID-only entry: %+v", note)
	}

	// Checkpoint saved with the validators and the items seen.
	data, err := h.kv.Load(context.Background(), CheckpointKey(fs.url("/wp")))
	if err != nil || data == nil {
		t.Fatalf("checkpoint: %v", err)
	}
	var cp checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		t.Fatal(err)
	}
	if cp.ETag != `W/"wp-1"` || len(cp.Seen) != 3 || !cp.Newest.Equal(time.Date(2026, 11, 2, 8, 12, 44, 0, time.UTC)) ||
		cp.NewestID != idOf("https://blog-voyageur.example/2026/11/02/greve-acme-vol-annule/") {
		t.Errorf("checkpoint = %+v", cp)
	}

	if s := h.clock.slept("voyageur"); len(s) == 0 || s[0] != DefaultInterval {
		t.Errorf("voyageur waits %v, want %s after a good poll", s, DefaultInterval)
	}
	if s := h.clock.slept("flyernotes"); len(s) == 0 || s[0] != 15*time.Minute {
		t.Errorf("flyernotes waits %v, want its own interval 15m", s)
	}
	if v := testutil.ToFloat64(src.m.items.WithLabelValues("voyageur", "published")); v != 3 {
		t.Errorf("published items = %v, want 3", v)
	}
	if v := testutil.ToFloat64(src.m.polls.WithLabelValues("voyageur", resultNotModified)); v < 1 {
		t.Errorf("not_modified polls = %v", v)
	}
	if g := h.gaps(); len(g) != 0 {
		t.Errorf("gaps reported for healthy feeds: %+v", g)
	}
	for id, n := range h.pub.n {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	h := newHarness(t, t0)
	h.clock.only = "news"
	fs := newFeedServer(t, map[string][]step{
		"/news":  {{code: 429, header: map[string]string{"Retry-After": "120"}}, {code: 200, file: "news_fr.xml"}},
		"/other": {{code: 429}, {code: 200, file: "wordpress_fr.xml"}},
	})
	h.run(fs, Config{Feeds: []Feed{{URL: fs.url("/news"), Name: "news"}, {URL: fs.url("/other"), Name: "other"}}})

	if s := h.clock.slept("news"); len(s) < 2 || s[0] != 120*time.Second || s[1] != DefaultInterval {
		t.Fatalf("news waits %v, want 2m (Retry-After) then the interval", s)
	}
	if s := h.clock.slept("other"); len(s) < 1 || s[0] != minBackoff {
		t.Fatalf("other waits %v, want the first backoff %s without Retry-After", s, minBackoff)
	}
	var news []string
	for _, g := range h.gaps() {
		if g.Source != "rss" || g.Reason != "rate_limited" {
			t.Errorf("unexpected gap %+v", g)
		}
		if g.Feed == "news" {
			news = append(news, g.Feed)
			if !g.From.Equal(t0) || !g.To.Equal(t0.Add(2*time.Minute)) {
				t.Errorf("news gap %s – %s, want %s – %s", g.From, g.To, t0, t0.Add(2*time.Minute))
			}
		}
	}
	if len(news) != 1 {
		t.Errorf("news reported %d rate-limit gaps, want 1", len(news))
	}
	if n := len(h.mentions()); n != 6 {
		t.Errorf("stream holds %d mentions after the waits, want 6", n)
	}
}

func TestFailingFeedsDoNotStopOthers(t *testing.T) {
	h := newHarness(t, t0)
	h.clock.only = "broken"
	fs := newFeedServer(t, map[string][]step{
		"/good":   {{code: 200, file: "wordpress_fr.xml"}},
		"/broken": {{code: 200, file: "malformed.xml"}, {code: 503}, {code: 200, file: "news_fr.xml"}},
		"/gone":   {{code: 200, file: "blog_en.atom.xml"}, {code: 404}, {code: 404}, {code: 410}},
	})
	fs.fallback["/gone"] = step{code: http.StatusGone}
	src := h.run(fs, Config{Feeds: []Feed{
		{URL: fs.url("/good"), Name: "good"},
		{URL: fs.url("/broken"), Name: "broken"},
		{URL: fs.url("/gone"), Name: "gone"},
	}})

	got := h.mentions()
	if len(got) != 9 {
		t.Fatalf("stream holds %d mentions, want 9 (3 per feed)", len(got))
	}
	// Malformed, then 503: capped exponential backoff; then back to normal.
	if s := h.clock.slept("broken"); len(s) < 3 || s[0] != 30*time.Second || s[1] != time.Minute || s[2] != DefaultInterval {
		t.Errorf("broken waits %v, want 30s, 1m, then the interval", s)
	}
	// A feed answering 404/410 is not retried quickly: its interval, doubling.
	if s := h.clock.slept("gone"); len(s) < 4 || s[0] != DefaultInterval || s[1] != DefaultInterval || s[2] != 20*time.Minute || s[3] != 40*time.Minute {
		t.Errorf("gone waits %v, want 10m, 10m, 20m, 40m", s)
	}
	var reasons []string
	for _, g := range h.gaps() {
		reasons = append(reasons, g.Feed+":"+g.Reason)
		switch g.Feed {
		case "broken":
			if g.Reason != resultMalformed || !g.From.Equal(t0) || !g.To.Equal(t0.Add(90*time.Second)) {
				t.Errorf("broken gap = %+v, want malformed from %s for 90s", g, t0)
			}
		case "gone":
			if g.Reason != result4xx {
				t.Errorf("gone gap = %+v", g)
			}
		default:
			t.Errorf("gap for a healthy feed: %+v", g)
		}
	}
	if len(reasons) != 2 {
		t.Errorf("gaps %v, want one for broken (closed on recovery) and one for gone (closed at stop)", reasons)
	}
	for feed, up := range map[string]float64{"good": 1, "broken": 1, "gone": 0} {
		if v := testutil.ToFloat64(src.m.up.WithLabelValues(feed)); v != up {
			t.Errorf("feed_up{%s} = %v, want %v", feed, v, up)
		}
	}
	if v := testutil.ToFloat64(src.m.polls.WithLabelValues("broken", resultMalformed)); v != 1 {
		t.Errorf("malformed polls = %v, want 1", v)
	}
}

func TestRestartNoGapNoDuplicate(t *testing.T) {
	h := newHarness(t, t0)
	fs := newFeedServer(t, map[string][]step{
		"/news": {{code: 200, file: "news_fr.xml", header: map[string]string{"ETag": `"n1"`}}},
	})
	cfg := Config{Feeds: []Feed{{URL: fs.url("/news"), Name: "news"}}}
	h.run(fs, cfg)
	if n := len(h.mentions()); n != 3 {
		t.Fatalf("first run: %d mentions, want 3", n)
	}

	// Restart: a new Source, the same checkpoints; the feed has moved on.
	h.clock.mu.Lock()
	h.clock.t = t0.Add(90 * time.Minute)
	h.clock.mu.Unlock()
	// Same server, so the same URL: the checkpoint key is the URL.
	fs.replay(map[string][]step{
		"/news": {{code: 200, file: "news_fr_later.xml", header: map[string]string{"ETag": `"n2"`}}},
	})
	h.run(fs, cfg)

	reqs := fs.requests("/news")
	var resumed bool
	for _, r := range reqs[1:] {
		resumed = resumed || r.Get("If-None-Match") == `"n1"`
	}
	if !resumed {
		t.Error("the restarted Source did not send the saved ETag")
	}
	got := h.mentions()
	if len(got) != 5 {
		t.Fatalf("after restart the stream holds %d mentions, want 5: %v", len(got), sortedKeys(got))
	}
	for id, n := range h.pub.n {
		if n != 1 {
			t.Errorf("%s published %d times across the restart", id, n)
		}
	}
	if g := h.gaps(); len(g) != 0 {
		t.Errorf("gaps after a clean restart: %+v", g)
	}
	med := got[idOf("https://www.quotidien-eco.example/entreprises/article/2026/11/02/acme-mediation_6030.html")]
	if med == nil || !med.CollectedAt.Equal(t0.Add(90*time.Minute)) {
		t.Fatalf("new article after restart: %+v", med)
	}
}

func TestFeedOverflowReportsGap(t *testing.T) {
	start := time.Date(2026, 11, 4, 20, 0, 0, 0, time.UTC)
	h := newHarness(t, start)
	fs := newFeedServer(t, map[string][]step{
		"/news": {{code: 200, file: "news_fr.xml"}, {code: 200, file: "rotated_fr.xml"}},
	})
	h.run(fs, Config{Feeds: []Feed{{URL: fs.url("/news"), Name: "news"}}})
	g := h.gaps()
	if len(g) != 1 || g[0].Reason != "feed_overflow" ||
		!g[0].From.Equal(time.Date(2026, 11, 2, 7, 47, 3, 0, time.UTC)) || !g[0].To.Equal(time.Date(2026, 11, 4, 11, 0, 0, 0, time.UTC)) {
		t.Fatalf("gaps = %+v, want one feed_overflow from the newest item seen to the oldest of the new document", g)
	}
	if n := len(h.mentions()); n != 5 {
		t.Fatalf("%d mentions, want 5", n)
	}
}

func TestRestartAfterCancelMidBatch(t *testing.T) {
	h := newHarness(t, t0)
	fs := newFeedServer(t, map[string][]step{
		"/news": {{code: 200, file: "news_fr.xml", header: map[string]string{"ETag": `"n1"`}}},
	})
	cfg := Config{Feeds: []Feed{{URL: fs.url("/news"), Name: "news"}}}

	// Cancel while the first batch is being published.
	log := bustest.Logger(t)
	src, err := New(cfg, ingest.Deps{Log: log, Checkpoints: h.kv, Gaps: h.b.NewGapReporter(log, nil),
		HTTP: fs.srv.Client(), Now: h.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	src.sleep = h.clock.sleep
	ctx, cancel := context.WithCancel(context.Background())
	stopping := &hookPub{p: h.pub, onPublish: func(n int) {
		if n == 2 {
			cancel()
		}
	}}
	if err := src.Run(ctx, stopping); err != nil {
		t.Fatal(err)
	}

	fs.replay(map[string][]step{
		"/news": {{code: 200, file: "news_fr_later.xml", header: map[string]string{"ETag": `"n2"`}}},
	})
	h.run(fs, cfg)

	got := h.mentions() // fails on an id stored twice
	if len(got) != 5 {
		t.Fatalf("stream holds %d mentions, want 5: %v", len(got), sortedKeys(got))
	}
	if g := h.gaps(); len(g) != 0 {
		t.Errorf("gaps after a restart: %+v", g)
	}
}

// hookPub calls onPublish with the count of publishes so far.
type hookPub struct {
	p         ingest.Publisher
	n         int
	onPublish func(n int)
}

func (h *hookPub) Publish(ctx context.Context, m *mention.Mention) error {
	h.n++
	h.onPublish(h.n)
	return h.p.Publish(ctx, m)
}

func (h *hookPub) Flush(ctx context.Context) error { return h.p.Flush(ctx) }
