package twitter

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
	"github.com/vigie-project/vigie/mention"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func searchConfig(h *harness) Config {
	cfg := h.config()
	cfg.Search = &SearchConfig{Interval: time.Minute}
	return cfg
}

// Search through go-twitter, against the configured host: the first poll
// takes the newest page; a restart resumes from the checkpoint and walks
// back with max_id; a run cancelled in the middle of the pages costs
// neither a gap nor a duplicate.
func TestSearchCheckpointRestart(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2024, 11, 14, 5, 0, 0, 0, time.UTC)
	h.fake.addTweets(start, 0, 150)
	cfg := searchConfig(h)

	if err := h.run(h.newSource(cfg), h.cancelAfterPolls(1, time.Minute)); err != nil {
		t.Fatal(err)
	}
	all := h.fake.ids()
	if got := collectortest.Mentions(h.t, h.b); !slices.Equal(collectortest.SortedIDs(got), slices.Sorted(slices.Values(all[50:]))) {
		t.Fatalf("run 1 published %d mentions, want the 100 newest", len(got))
	}
	q := h.fake.searchCalls[0]
	if q.Get("tweet_mode") != "extended" || q.Get("result_type") != "recent" || q.Get("count") != "100" || q.Get("since_id") != "" ||
		!strings.Contains(q.Get("q"), `"air france"`) || !strings.Contains(q.Get("q"), "from:airfrance") {
		t.Errorf("first request: %v", q)
	}
	cp, err := h.kv.Load(context.Background(), "twitter/search/airfrance/0")
	var c checkpoint
	if err != nil || json.Unmarshal(cp, &c) != nil || IDPrefix+c.SinceID != all[149] {
		t.Fatalf("checkpoint %s (err %v), want since_id %s", cp, err, all[149])
	}

	// Run 2: 110 new posts; cancelled while asking page 2.
	h.fake.addTweets(start, 150, 110)
	ctx2, cancel2 := context.WithCancel(context.Background())
	calls := len(h.fake.searchCalls)
	h.fake.searchHook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == calls+1 {
			cancel2()
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	h.sl.onSleep = nil
	if err := h.newSource(cfg).Run(ctx2, h.b.NewMentionPublisher()); err != nil {
		t.Fatal(err)
	}
	cancel2()

	// Run 3: from run 1's checkpoint, two pages again.
	h.fake.searchHook = nil
	calls = len(h.fake.searchCalls)
	if err := h.run(h.newSource(cfg), h.cancelAfterPolls(1, time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.searchCalls) - calls; n != 2 {
		t.Errorf("run 3 made %d requests, want 2 pages", n)
	}
	p2 := h.fake.searchCalls[calls+1]
	if IDPrefix+p2.Get("since_id") != all[149] || p2.Get("max_id") == "" {
		t.Errorf("page 2 parameters: since_id %s max_id %s", p2.Get("since_id"), p2.Get("max_id"))
	}
	all = h.fake.ids()
	n, _ := h.b.StreamMsgs(context.Background(), bus.StreamMentions)
	got := collectortest.Mentions(h.t, h.b)
	if want := slices.Sorted(slices.Values(all[50:])); n != uint64(len(want)) || !slices.Equal(collectortest.SortedIDs(got), want) {
		t.Fatalf("MENTIONS holds %d messages (%d read), want %d: a gap or a duplicate", n, len(got), len(want))
	}
	for _, g := range h.gaps.All() {
		t.Errorf("unexpected gap %+v", g)
	}
	if h.fake.badAuth != 0 {
		t.Errorf("%d requests with a bad OAuth signature", h.fake.badAuth)
	}
}

// 429 (code 88): wait until x-rate-limit-reset, report the gap, retry.
func TestSearchRateLimited(t *testing.T) {
	h := newHarness(t)
	h.fake.addTweets(time.Date(2024, 11, 14, 5, 0, 0, 0, time.UTC), 0, 5)
	reset := h.clock.Now().Add(12 * time.Minute)
	h.fake.searchHook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n > 0 {
			return false
		}
		w.Header().Set("x-rate-limit-limit", "180")
		w.Header().Set("x-rate-limit-remaining", "0")
		w.Header().Set("x-rate-limit-reset", strconv.FormatInt(reset.Unix(), 10))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": []map[string]any{{"code": 88, "message": "Rate limit exceeded"}}})
		return true
	}
	before := h.clock.Now()
	if err := h.run(h.newSource(searchConfig(h)), h.cancelAfterPolls(1, time.Minute)); err != nil {
		t.Fatal(err)
	}
	waits := h.sl.recorded()
	if want := reset.Sub(before) + time.Second; len(waits) == 0 || waits[0] != want {
		t.Fatalf("waits %v, want first %s", waits, want)
	}
	gaps := h.gaps.All()
	if len(gaps) != 1 || gaps[0].Reason != httpsrc.ReasonRateLimited || !gaps[0].From.Equal(before) || !gaps[0].To.Equal(before.Add(waits[0])) {
		t.Fatalf("gaps %+v", gaps)
	}
	if n := len(collectortest.Mentions(h.t, h.b)); n != 5 {
		t.Fatalf("published %d, want 5", n)
	}
}

// A 503 with an HTML body, then an empty-bodied 502 (go-twitter returns
// no error for it): exponential backoff, one gap when it answers again.
func TestSearchServerErrors(t *testing.T) {
	h := newHarness(t)
	h.fake.addTweets(time.Date(2024, 11, 14, 5, 0, 0, 0, time.UTC), 0, 3)
	h.fake.searchHook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		switch n {
		case 0:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("<html>Over capacity</html>"))
		case 1:
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusBadGateway)
		default:
			return false
		}
		return true
	}
	before := h.clock.Now()
	if err := h.run(h.newSource(searchConfig(h)), h.cancelAfterPolls(1, time.Minute)); err != nil {
		t.Fatal(err)
	}
	w := h.sl.recorded()
	if len(w) < 2 || w[0] > 5*time.Second || w[0] < 4*time.Second || w[1] > 10*time.Second || w[1] < 8*time.Second {
		t.Fatalf("waits %v, want about 5s then 10s", w)
	}
	gaps := h.gaps.All()
	if len(gaps) != 1 || gaps[0].Reason != httpsrc.ReasonServer || !gaps[0].From.Equal(before) || !gaps[0].To.Equal(before.Add(w[0]+w[1])) {
		t.Fatalf("gaps %+v", gaps)
	}
	if n := len(collectortest.Mentions(h.t, h.b)); n != 3 {
		t.Fatalf("published %d, want 3", n)
	}
}

// The recorded page: a retweet, a quote, a reply, coordinates, "und",
// a bad created_at and a tweet without user (both skipped and counted).
func TestSearchRecordedPageGolden(t *testing.T) {
	h := newHarness(t)
	h.fake.searchHook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 {
			writeFile(t, w, http.StatusOK, "search_tweets.json")
		} else {
			writeJSON(w, http.StatusOK, map[string]any{"statuses": []any{}, "search_metadata": map[string]any{}})
		}
		return true
	}
	if err := h.run(h.newSource(searchConfig(h)), h.cancelAfterPolls(1, time.Minute)); err != nil {
		t.Fatal(err)
	}
	got := collectortest.Mentions(h.t, h.b)
	if len(got) != 5 {
		t.Fatalf("published %d, want 5 (7 posts, 2 malformed)", len(got))
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_rejected_total", map[string]string{"source": Name, "reason": "malformed"}); v != 2 {
		t.Errorf("malformed counted %v, want 2", v)
	}
	golden(t, "testdata/search_tweets.golden.json", got)
}

func golden(t *testing.T, path string, got []*mention.Mention) {
	t.Helper()
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != string(data) {
		t.Errorf("mentions differ from %s (run with -update and review the diff):\n%s", path, data)
	}
}

// A bad signature (401, code 32) is not retried; with nothing else to
// run, Run says so.
func TestSearchUnauthorized(t *testing.T) {
	h := newHarness(t)
	cfg := searchConfig(h)
	cfg.AccessTokenSecret = "wrong-secret-value"
	err := h.run(h.newSource(cfg), func(context.CancelFunc) {})
	if err == nil || !strings.Contains(err.Error(), "every query failed") {
		t.Fatalf("Run = %v", err)
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_requests_total", map[string]string{"source": Name}); v != 1 {
		t.Errorf("%v requests, want 1", v)
	}
	if g := h.gaps.All(); len(g) != 1 || g[0].Reason != httpsrc.ReasonRejected {
		t.Errorf("gaps %+v", g)
	}
}

// A page whose JSON has a field of the wrong type still yields the posts
// that decoded.
func TestSearchPartlyMalformedPage(t *testing.T) {
	h := newHarness(t)
	h.fake.searchHook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n > 0 {
			writeJSON(w, http.StatusOK, map[string]any{"statuses": []any{}, "search_metadata": map[string]any{}})
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"statuses":[
 {"created_at":"Thu Nov 14 06:01:12 +0000 2024","id":1857193941348634625,"id_str":"1857193941348634625","full_text":"ok #AirFrance","user":{"id":1,"id_str":"1","screen_name":"a","followers_count":3},"retweet_count":0,"lang":"fr"},
 {"created_at":"Thu Nov 14 06:01:13 +0000 2024","id":"oops","full_text":"id is a string","user":{"id":2,"id_str":"2","screen_name":"b"},"retweet_count":0}
],"search_metadata":{"count":100}}`))
		return true
	}
	if err := h.run(h.newSource(searchConfig(h)), h.cancelAfterPolls(1, time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := collectortest.SortedIDs(collectortest.Mentions(h.t, h.b)); !slices.Equal(got, []string{"twitter:1857193941348634625"}) {
		t.Fatalf("published %q", got)
	}
}
