package reddit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
)

const (
	tokenPath  = "www.reddit.com /api/v1/access_token"
	newPath    = "oauth.reddit.com /r/france/new.json"
	searchPath = "oauth.reddit.com /search.json"
	query      = `"air france" OR airfrance`
)

func accessToken(t *testing.T, file string) string {
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(collectortest.ReadFixture(t, file), &tok); err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func redditIDs(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "reddit:" + id
	}
	slices.Sort(out)
	return out
}

func TestPoll(t *testing.T) {
	e := collectortest.NewEnv(t, testNow)
	api := newAPIServer(t)
	var resetAt time.Time
	api.Script(tokenPath, collectortest.Reply{File: "token.json"}, collectortest.Reply{File: "token_renewed.json"})
	api.Script(newPath,
		collectortest.Reply{File: "new_france_1.json"},
		collectortest.Reply{File: "new_france_2.json"},
		collectortest.Reply{Status: http.StatusServiceUnavailable, Body: `<html><body><h1>503 Service Unavailable</h1></body></html>`},
		collectortest.Reply{File: "new_france_3.json"},
	)
	api.Script(searchPath,
		collectortest.Reply{Status: http.StatusUnauthorized, Body: `{"message": "Unauthorized", "error": 401}`},
		collectortest.Reply{File: "search_1.json"},
		collectortest.Reply{Serve: func(w http.ResponseWriter, r *http.Request) {
			resetAt = e.Clock.Now().Add(30 * time.Second)
			w.Header().Set("X-Ratelimit-Used", "600")
			w.Header().Set("X-Ratelimit-Remaining", "0.0")
			w.Header().Set("X-Ratelimit-Reset", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"message": "Too Many Requests", "error": 429}`))
		}},
		collectortest.Reply{File: "search_2.json"},
	)
	reached := make(chan struct{})
	e.Clock.OnSleep = collectortest.ParkAfter(2, time.Minute, reached)
	no := false
	src, err := New(Config{
		ClientID: "p-jcoLKBynTLew", ClientSecret: "csecret", UserAgent: "server:vigie-test:v1 (by /u/vigie_test)",
		Subreddits: []string{"france"}, Queries: []string{query}, FromWatches: &no, PollInterval: time.Minute,
	}, e.Deps(api.Client()), WithSleep(e.Clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-reached; cancel() }()
	collectortest.Run(t, ctx, src, e.Pub)

	got := e.StreamMentions(t)
	// 1gk7x60 came late: older than the checkpoint, within the overlap.
	want := redditIDs("1gk7x5a", "1gk7x1m", "1gk7x6q", "1gk7w9e", "1gk7y2b", "1gk7xz9", "1gk7x9c", "1gk7x7k", "1gk7y5p", "1gk7x60")
	if keys := collectortest.SortedKeys(got); !slices.Equal(keys, want) {
		t.Fatalf("MENTIONS ids %q\nwant %q", keys, want)
	}
	if m := got["reddit:1gk7y5p"]; !slices.Equal(m.Links, []string{"https://www.reuters.com/business/aerospace-defense/air-france-strike-2026-11-02/"}) || m.Likes != 310 {
		t.Errorf("link post = %+v", m)
	}
	for id, n := range e.Pub.Counts() {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}

	// OAuth: the app's credentials for a token, renewed after a 401.
	t1, t2 := accessToken(t, "token.json"), accessToken(t, "token_renewed.json")
	var seq []string
	for _, r := range api.Requests() {
		if r.Header.Get("User-Agent") != "server:vigie-test:v1 (by /u/vigie_test)" {
			t.Errorf("%s: User-Agent %q", r.URL.Path, r.Header.Get("User-Agent"))
		}
		a := r.Header.Get("Authorization")
		switch a {
		case "Basic " + basicAuth("p-jcoLKBynTLew", "csecret"):
			a = "basic"
		case "Bearer " + t1:
			a = "t1"
		case "Bearer " + t2:
			a = "t2"
		}
		seq = append(seq, r.URL.Path+":"+a)
	}
	if want := "/api/v1/access_token:basic /r/france/new.json:t1 /search.json:t1 /api/v1/access_token:basic /search.json:t2 /r/france/new.json:t2"; !strings.HasPrefix(strings.Join(seq, " "), want) {
		t.Errorf("requests:\n%s\nwant them to start with\n%s", strings.Join(seq, " "), want)
	}

	q := api.Queries(newPath)
	// The last page goes on past the checkpoint within the overlap (5m).
	if len(q) != 5 || q[0] != "limit=100&raw_json=1" || q[1] != q[0] || q[2] != "after=t3_1gk7x9c&limit=100&raw_json=1" || q[3] != q[2] ||
		q[4] != "after=t3_1gk7x3z&limit=100&raw_json=1" {
		t.Errorf("subreddit queries = %q", q)
	}
	q = api.Queries(searchPath)
	v, _ := url.ParseQuery(q[3])
	if len(q) != 5 || v.Get("q") != query || v.Get("sort") != "new" || v.Get("type") != "link" || v.Has("include_over_18") ||
		!strings.HasPrefix(q[4], "after=t3_1gk7x6q&") {
		t.Errorf("search queries = %q", q)
	}

	var rate, outage int
	for _, g := range e.Gaps.All() {
		switch {
		case g.Reason == "rate_limited" && g.Feed == "search/"+query && !g.To.Before(resetAt) && !g.To.After(resetAt.Add(time.Second)):
			rate++
		case g.Reason == "http_5xx" && g.Feed == "r/france/new" && g.To.After(g.From):
			outage++
		default:
			t.Errorf("unexpected gap %+v (reset at %v)", g, resetAt)
		}
	}
	if rate != 1 || outage != 1 {
		t.Errorf("gaps = %+v", e.Gaps.All())
	}
	waited := false
	for _, d := range e.Clock.Slept() {
		waited = waited || d >= 30*time.Second && d <= 31*time.Second
	}
	if !waited {
		t.Errorf("sleeps %v: none honours X-Ratelimit-Reset", e.Clock.Slept())
	}
	for key, want := range map[string]string{
		"reddit/r/france/new":    `{"newest":"t3_1gk7y2b","newest_at":"2026-11-02T08:57:40Z"}`,
		"reddit/search/" + query: `{"newest":"t3_1gk7y5p","newest_at":"2026-11-02T08:58:20Z"}`,
	} {
		if v, _ := e.KV.Load(context.Background(), key); string(v) != want {
			t.Errorf("checkpoint %s = %s, want %s", key, v, want)
		}
	}
	if w := testutil.ToFloat64(src.met.Waited.WithLabelValues("search", "rate_limited")); w < 30 || w > 31 {
		t.Errorf("rate-limit wait = %vs", w)
	}
	for name, c := range map[string]struct{ got, want float64 }{
		"token requests":   {testutil.ToFloat64(src.met.Requests.WithLabelValues("access_token", "200")), 2},
		"collected r/new":  {testutil.ToFloat64(src.met.Collected.WithLabelValues("r/france/new")), 6},
		"collected search": {testutil.ToFloat64(src.met.Collected.WithLabelValues("search/" + query)), 4},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", name, c.got, c.want)
		}
	}
	for reason, want := range map[string]float64{"over_18": 1, "malformed": 1} {
		if n := testutil.ToFloat64(src.met.Rejected.WithLabelValues(reason)); n != want {
			t.Errorf("rejected %s = %v, want %v", reason, n, want)
		}
	}
}

func TestMetricsShared(t *testing.T) {
	// Two collectors on one registry share the series, told apart by source.
	e := collectortest.NewEnv(t, testNow)
	cfg := Config{ClientID: "a", ClientSecret: "b", Subreddits: []string{"france"}}
	for range 2 {
		if _, err := New(cfg, e.Deps(http.DefaultClient)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRestartResumesAfter: a catch-up longer than max_pages saves the
// listing's after cursor; a new Source on the same checkpoints goes on
// from there down to the old newest post: no gap, nothing twice.
func TestRestartResumesAfter(t *testing.T) {
	e := collectortest.NewEnv(t, testNow)
	api := newAPIServer(t)
	api.Script(tokenPath, collectortest.Reply{File: "token.json"}, collectortest.Reply{File: "token.json"})
	api.Script(newPath, collectortest.Reply{File: "new_france_1.json"}, collectortest.Reply{File: "new_france_2.json"}, collectortest.Reply{File: "new_france_3.json"})
	no := false
	cfg := Config{ClientID: "id", ClientSecret: "s", Subreddits: []string{"france"}, FromWatches: &no, PollInterval: time.Minute, MaxPages: 1, Overlap: time.Second}
	for i, polls := range []int{2, 1} {
		reached := make(chan struct{})
		e.Clock.OnSleep = collectortest.ParkAfter(polls, time.Minute, reached)
		src, err := New(cfg, e.Deps(api.Client()), WithSleep(e.Clock.Sleep))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-reached; cancel() }()
		collectortest.Run(t, ctx, src, e.Pub)
		if i == 0 {
			if v, _ := e.KV.Load(context.Background(), "reddit/r/france/new"); string(v) != `{"newest":"t3_1gk7x5a","newest_at":"2026-11-02T08:50:00Z","after":"t3_1gk7x9c","head":"t3_1gk7y2b","head_at":"2026-11-02T08:57:40Z"}` {
				t.Fatalf("checkpoint after the first run = %s", v)
			}
		}
	}
	if q := api.Queries(newPath); len(q) != 3 || q[2] != "after=t3_1gk7x9c&limit=100&raw_json=1" {
		t.Fatalf("queries = %q", q)
	}
	want := redditIDs("1gk7x5a", "1gk7x1m", "1gk7y2b", "1gk7xz9", "1gk7x9c", "1gk7x7k")
	if keys := collectortest.SortedKeys(e.StreamMentions(t)); !slices.Equal(keys, want) {
		t.Fatalf("MENTIONS ids %q, want %q", keys, want)
	}
	for id, n := range e.Pub.Counts() {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
	if v, _ := e.KV.Load(context.Background(), "reddit/r/france/new"); string(v) != `{"newest":"t3_1gk7y2b","newest_at":"2026-11-02T08:57:40Z"}` {
		t.Errorf("final checkpoint = %s", v)
	}
	if gaps := e.Gaps.All(); len(gaps) != 0 {
		t.Errorf("gaps = %+v", gaps)
	}
}
