package twitter

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
	"github.com/vigie-project/vigie/mention"
)

func streamConfig(h *harness) Config {
	cfg := h.config()
	cfg.Watches = []string{"airfrance", "greve"}
	cfg.Stream = &StreamConfig{}
	return cfg
}

func fixtureLines(t testing.TB) [][]byte {
	t.Helper()
	data, err := os.ReadFile("testdata/stream.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
}

// The stream through go-twitter's demuxer: track and follow built from
// the watches and sent as a signed form body; tweets (extended_tweet,
// retweet), keep-alives, a delete notice, two limit notices (a gap with
// the count missed in between), a stall warning, scrub_geo, withheld, a
// JSON array and a cut line; a tweet split by a bare "\n"; a tweet
// without retweet_count; then the server closes and the stream comes
// back, the outage reported; a restart reports the time it was off.
func TestStreamMessagesReconnect(t *testing.T) {
	h := newHarness(t)
	var deleted []string
	var mu sync.Mutex
	cfg := streamConfig(h)
	lines := fixtureLines(t)
	// One message pretty-printed: "\n" inside, "\r\n" only at its end.
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, lines[7], "", "  ")
	lines[7] = pretty.Bytes()
	noCount := []byte(`{"created_at":"Thu Nov 14 06:03:00 +0000 2024","id":1857194177303379968,"id_str":"1857194177303379968","text":"Pas de retweet_count ici, @airfrance","user":{"id":1201947715539415040,"id_str":"1201947715539415040","screen_name":"sam_k","name":"sam","followers_count":77},"lang":"fr","entities":{"hashtags":[],"user_mentions":[],"urls":[]}}`)
	connected := make(chan int, 4)
	h.fake.streamHook = func(n int, w http.ResponseWriter, r *http.Request) {
		connected <- n
		if n == 0 {
			writeStream(w, lines)
			return // the server closes the connection
		}
		writeStream(w, [][]byte{noCount})
		<-r.Context().Done()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	src := h.newSource(cfg, OnDelete(func(_ context.Context, id string) { mu.Lock(); deleted = append(deleted, id); mu.Unlock() }))
	go func() { done <- src.Run(ctx, h.b.NewMentionPublisher()) }()
	<-connected
	<-connected
	collectortest.WaitMentions(h.t, h.b, 4)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// The request.
	if len(h.fake.lookups) != 1 || h.fake.lookups[0] != "airfrance" {
		t.Errorf("users/lookup asked %q", h.fake.lookups)
	}
	f := h.fake.filters[0]
	track := strings.Split(f.Get("track"), ",")
	for _, w := range []string{"air france", "airfrance", "grève", "greve", "mouvement social"} {
		if !slices.Contains(track, w) {
			t.Errorf("track %q lacks %q", track, w)
		}
	}
	if f.Get("follow") != "98117632" || f.Get("stall_warnings") != "true" || f.Get("language") != "" {
		t.Errorf("filter form: %v (language must be empty: watch airfrance has none)", f)
	}
	if h.fake.badAuth != 0 {
		t.Errorf("%d requests with a bad OAuth signature", h.fake.badAuth)
	}

	// What was published.
	got := collectortest.Mentions(h.t, h.b)
	var want []string
	for _, l := range [][]byte{lines[0], lines[2], lines[7], noCount} {
		var tw struct {
			IDStr string `json:"id_str"`
		}
		if err := json.Unmarshal(l, &tw); err != nil {
			t.Fatal(err)
		}
		want = append(want, IDPrefix+tw.IDStr)
	}
	if ids := collectortest.SortedIDs(got); !slices.Equal(ids, slices.Sorted(slices.Values(want))) {
		t.Fatalf("published %q, want %q", ids, want)
	}
	byID := map[string]*mention.Mention{}
	for _, m := range got {
		byID[m.ID] = m
	}
	if m := byID[IDPrefix+"1856940423902134273"]; !strings.HasSuffix(m.Text, "Merci pour rien. #greve #AirFrance") || !slices.Equal(m.Hashtags, []string{"greve", "airfrance"}) {
		t.Errorf("extended_tweet not used: %q %q", m.Text, m.Hashtags)
	}
	if m := byID[IDPrefix+"1856940541342646274"]; m.RepostOf != "twitter:1856412314891190275" || !strings.HasSuffix(m.Text, "avant de vous rendre à l'aéroport.") || m.Reposts != 0 {
		t.Errorf("retweet: %+v", m)
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_rejected_total", map[string]string{"source": Name, "reason": "malformed"}); v != 2 {
		t.Errorf("malformed counted %v, want 2 (array, cut line)", v)
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_deletions_total", map[string]string{"source": Name}); v != 1 || !slices.Equal(deleted, []string{"twitter:1856431268950966283"}) {
		t.Errorf("deletions %v, OnDelete got %q", v, deleted)
	}
	gaps := h.gaps.All()
	var limits, outages []int
	for i, g := range gaps {
		switch g.Reason {
		case reasonStreamLimit:
			limits = append(limits, i)
		case httpsrc.ReasonOutage:
			outages = append(outages, i)
		default:
			t.Errorf("unexpected gap %+v", g)
		}
	}
	if len(limits) != 2 || gaps[limits[0]].Missed != 12 || gaps[limits[1]].Missed != 28 {
		t.Errorf("stream limit gaps %+v, want 12 then 28 missed", gaps)
	}
	if len(outages) != 1 || !gaps[outages[0]].To.After(gaps[outages[0]].From) {
		t.Errorf("outage gaps %+v", gaps)
	}

	// Restart.
	stopped := h.clock.Now()
	h.clock.advance(4 * time.Minute)
	n := len(gaps)
	ctx, cancel = context.WithCancel(context.Background())
	go func() { done <- h.newSource(cfg).Run(ctx, h.b.NewMentionPublisher()) }()
	<-connected
	deadline := time.Now().Add(10 * time.Second)
	for len(h.gaps.All()) <= n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if g := h.gaps.All(); len(g) != n+1 || g[n].Reason != httpsrc.ReasonRestart || !g[n].From.Equal(stopped) || !g[n].To.Equal(stopped.Add(4*time.Minute)) {
		t.Fatalf("gaps after restart %+v", g[n:])
	}
}

// 420 Enhance Your Calm: the aggressive backoff (1 minute), then the
// stream is back; an unknown account is only logged.
func TestStreamEnhanceYourCalm(t *testing.T) {
	h := newHarness(t)
	h.fake.users = map[string]json.RawMessage{}
	connected := make(chan int, 4)
	h.fake.streamHook = func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			w.WriteHeader(420)
			_, _ = w.Write([]byte("Easy there, Turbo. Too many requests recently. Enhance your calm.\r\n"))
			return
		}
		connected <- n
		writeStream(w, nil)
		<-r.Context().Done()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.newSource(streamConfig(h)).Run(ctx, h.b.NewMentionPublisher()) }()
	<-connected
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if w := h.sl.recorded(); len(w) != 1 || w[0] > time.Minute || w[0] < 48*time.Second {
		t.Fatalf("waits %v, want about a minute", w)
	}
	if f := h.fake.filters[0]; f.Get("follow") != "" {
		t.Errorf("follow %q for an account that does not exist", f.Get("follow"))
	}
	if g := h.gaps.All(); len(g) != 1 || g[0].Reason != httpsrc.ReasonRateLimited {
		t.Errorf("gaps %+v", g)
	}
}

// A silent connection is dropped after stall_timeout and opened again.
func TestStreamStall(t *testing.T) {
	h := newHarness(t)
	cfg := streamConfig(h)
	cfg.Stream.StallTimeout = time.Second
	connected := make(chan int, 4)
	h.fake.streamHook = func(n int, w http.ResponseWriter, r *http.Request) {
		connected <- n
		if n == 0 {
			<-r.Context().Done() // not even the headers
			return
		}
		writeStream(w, nil)
		<-r.Context().Done()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.newSource(cfg).Run(ctx, h.b.NewMentionPublisher()) }()
	<-connected
	select {
	case <-connected:
	case <-time.After(20 * time.Second):
		t.Fatal("no reconnection after a stall")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A 401 on connect stops the stream for good; Run says why.
func TestStreamUnauthorized(t *testing.T) {
	h := newHarness(t)
	h.fake.streamHook = func(n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]any{{"code": 32, "message": "Could not authenticate you."}}})
	}
	err := h.run(h.newSource(streamConfig(h)), func(context.CancelFunc) {})
	if err == nil || !strings.Contains(err.Error(), "Could not authenticate you") {
		t.Fatalf("Run = %v", err)
	}
	if len(h.fake.filters) != 1 {
		t.Errorf("%d connections, want 1", len(h.fake.filters))
	}
}

// The same post collected by v1.1 and by v2 gives the same record where
// both APIs say the same thing: one id space, one text.
func TestSameRecordsAsXAPI(t *testing.T) {
	read := func(path string) map[string]*mention.Mention {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var ms []*mention.Mention
		if err := json.Unmarshal(data, &ms); err != nil {
			t.Fatal(err)
		}
		out := map[string]*mention.Mention{}
		for _, m := range ms {
			out[m.ID] = m
		}
		return out
	}
	v1, v2 := read("testdata/search_tweets.golden.json"), read("../xapi/testdata/search_recent.golden.json")
	shared := 0
	for id, a := range v1 {
		b, ok := v2[id]
		if !ok {
			continue
		}
		shared++
		if a.Source != b.Source || a.URL != b.URL || !a.CreatedAt.Equal(b.CreatedAt) || a.Author != b.Author ||
			a.Text != b.Text || a.Lang != b.Lang || a.ReplyTo != b.ReplyTo || a.RepostOf != b.RepostOf || a.QuoteOf != b.QuoteOf ||
			!slices.Equal(a.Hashtags, b.Hashtags) || !slices.Equal(a.Mentions, b.Mentions) {
			t.Errorf("%s differs:\nv1.1 %+v\nv2   %+v", id, a, b)
		}
	}
	if shared < 5 {
		t.Fatalf("%d posts in both fixtures, want 5", shared)
	}
}

func TestLimitNoticeDecodes(t *testing.T) {
	for i, l := range fixtureLines(t)[:9] {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Errorf("line %d: %v", i+1, err)
		}
	}
}
