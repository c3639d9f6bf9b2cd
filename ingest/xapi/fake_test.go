package xapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/ingest/watch"
)

// A fake X API v2 speaking the documented wire format: recent search with
// since_id and pagination tokens, stream rules, the filtered stream.

const testToken = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F"

const snowflakeEpoch = 1288834974657

// snowflake returns the id X would give a post created at t.
func snowflake(t time.Time, seq int) string {
	return strconv.FormatInt((t.UnixMilli()-snowflakeEpoch)<<22|int64(seq&0x3fffff), 10)
}

type fakeTweet struct {
	id  string
	raw json.RawMessage
}

type fakeX struct {
	t   testing.TB
	srv *httptest.Server

	mu          sync.Mutex
	tweets      []fakeTweet // oldest first
	users       map[string]json.RawMessage
	searchCalls []url.Values
	searchHook  func(n int, w http.ResponseWriter, r *http.Request) bool
	rules       []rule
	nextRule    int
	ruleCalls   []string
	streamConns int
	streamHook  func(n int, w http.ResponseWriter, r *http.Request)
}

func newFakeX(t testing.TB) *fakeX {
	f := &fakeX{t: t, users: map[string]json.RawMessage{}, nextRule: 1856901234567890100}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathSearch, f.search)
	mux.HandleFunc("GET "+pathRules, f.getRules)
	mux.HandleFunc("POST "+pathRules, f.postRules)
	mux.HandleFunc("GET "+pathStream, f.stream)
	f.srv = httptest.NewServer(f.auth(mux))
	t.Cleanup(func() {
		// Streams still open would make Close wait for ever.
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	return f
}

func (f *fakeX) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			writeFile(f.t, w, http.StatusUnauthorized, "error_401.json", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// addTweets appends n generated posts, one every 10 s from start.
func (f *fakeX) addTweets(start time.Time, from, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := from; i < from+n; i++ {
		at := start.Add(time.Duration(i) * 10 * time.Second)
		id := snowflake(at, i)
		author := strconv.Itoa(1000 + i%7)
		raw, _ := json.Marshal(map[string]any{
			"id": id, "text": fmt.Sprintf("Message %d à propos de @airfrance #AirFrance", i),
			"author_id": author, "created_at": at.UTC().Format("2006-01-02T15:04:05.000Z"), "lang": "fr",
			"conversation_id": id, "edit_history_tweet_ids": []string{id},
			"public_metrics": map[string]int{"retweet_count": i % 3, "reply_count": 0, "like_count": i % 5, "quote_count": 0, "bookmark_count": 0, "impression_count": 10 * i},
			"entities": map[string]any{
				"mentions": []map[string]any{{"start": 22, "end": 32, "username": "airfrance", "id": "98117632"}},
				"hashtags": []map[string]any{{"start": 33, "end": 43, "tag": "AirFrance"}},
			},
		})
		f.tweets = append(f.tweets, fakeTweet{id: id, raw: raw})
		if _, ok := f.users[author]; !ok {
			f.users[author], _ = json.Marshal(map[string]any{"id": author, "name": "User " + author, "username": "user" + author,
				"verified": false, "public_metrics": map[string]int{"followers_count": 100 + i, "following_count": 10, "tweet_count": 5, "listed_count": 0}})
		}
	}
}

func (f *fakeX) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.tweets))
	for i, t := range f.tweets {
		out[i] = IDPrefix + t.id
	}
	return out
}

func (f *fakeX) search(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := len(f.searchCalls)
	f.searchCalls = append(f.searchCalls, r.URL.Query())
	hook := f.searchHook
	f.mu.Unlock()
	if hook != nil && hook(n, w, r) {
		return
	}
	q := r.URL.Query()
	since := q.Get("since_id")
	max, _ := strconv.Atoi(q.Get("max_results"))
	if max == 0 {
		max = 10
	}
	off := 0
	if tok := q.Get("pagination_token"); tok != "" {
		off, _ = strconv.Atoi(strings.TrimPrefix(tok, "next-"))
	}
	f.mu.Lock()
	var cand []fakeTweet // newest first
	for i := len(f.tweets) - 1; i >= 0; i-- {
		if since == "" || newerID(f.tweets[i].id, since) {
			cand = append(cand, f.tweets[i])
		}
	}
	page := cand[min(off, len(cand)):min(off+max, len(cand))]
	ans := map[string]any{}
	meta := map[string]any{"result_count": len(page)}
	if len(page) > 0 {
		var data, users []json.RawMessage
		seen := map[string]bool{}
		for _, t := range page {
			data = append(data, t.raw)
			var a struct {
				AuthorID string `json:"author_id"`
			}
			_ = json.Unmarshal(t.raw, &a)
			if !seen[a.AuthorID] {
				seen[a.AuthorID] = true
				users = append(users, f.users[a.AuthorID])
			}
		}
		ans["data"] = data
		ans["includes"] = map[string]any{"users": users}
		meta["newest_id"], meta["oldest_id"] = page[0].id, page[len(page)-1].id
		if off+max < len(cand) {
			meta["next_token"] = "next-" + strconv.Itoa(off+max)
		}
	}
	f.mu.Unlock()
	ans["meta"] = meta
	w.Header().Set("x-rate-limit-limit", "450")
	w.Header().Set("x-rate-limit-remaining", "449")
	w.Header().Set("x-rate-limit-reset", strconv.FormatInt(time.Now().Add(15*time.Minute).Unix(), 10))
	writeJSON(w, http.StatusOK, ans)
}

func (f *fakeX) getRules(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ruleCalls = append(f.ruleCalls, "get")
	ans := map[string]any{"meta": map[string]any{"sent": "2024-11-14T06:00:00.000Z", "result_count": len(f.rules)}}
	if len(f.rules) > 0 {
		ans["data"] = f.rules
	}
	writeJSON(w, http.StatusOK, ans)
}

// postRules adds or deletes rules as X does: duplicates and rules
// containing "forbidden" (standing for invalid syntax) are refused one by
// one in "errors", the others applied.
func (f *fakeX) postRules(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Add    []rule `json:"add"`
		Delete *struct {
			IDs []string `json:"ids"`
		} `json:"delete"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"title": "Invalid Request", "detail": err.Error(), "type": "https://api.twitter.com/2/problems/invalid-request"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	summary := map[string]int{}
	var errs []map[string]any
	var created []rule
	if body.Delete != nil {
		f.ruleCalls = append(f.ruleCalls, "delete "+strings.Join(body.Delete.IDs, ","))
		for _, id := range body.Delete.IDs {
			i := slices.IndexFunc(f.rules, func(r rule) bool { return r.ID == id })
			if i < 0 {
				summary["not_deleted"]++
				continue
			}
			f.rules = slices.Delete(f.rules, i, i+1)
			summary["deleted"]++
		}
	}
	for _, a := range body.Add {
		f.ruleCalls = append(f.ruleCalls, "add "+a.Value)
		if i := slices.IndexFunc(f.rules, func(r rule) bool { return r.Value == a.Value }); i >= 0 {
			errs = append(errs, map[string]any{"value": a.Value, "id": f.rules[i].ID, "title": "DuplicateRule", "type": "https://api.twitter.com/2/problems/duplicate-rules"})
			summary["not_created"]++
			summary["invalid"]++
			continue
		}
		if strings.Contains(a.Value, "forbidden") {
			errs = append(errs, map[string]any{"value": a.Value, "details": []string{"Reference to invalid operator 'forbidden'"}, "title": "Invalid Rule", "type": "https://api.twitter.com/2/problems/invalid-rules"})
			summary["not_created"]++
			summary["invalid"]++
			continue
		}
		f.nextRule++
		nr := rule{ID: strconv.Itoa(f.nextRule), Value: a.Value, Tag: a.Tag}
		f.rules = append(f.rules, nr)
		created = append(created, nr)
		summary["created"]++
		summary["valid"]++
	}
	ans := map[string]any{"meta": map[string]any{"sent": "2024-11-14T06:00:00.000Z", "summary": summary}}
	if len(created) > 0 {
		ans["data"] = created
	}
	if len(errs) > 0 {
		ans["errors"] = errs
	}
	writeJSON(w, http.StatusOK, ans)
}

func (f *fakeX) stream(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := f.streamConns
	f.streamConns++
	hook := f.streamHook
	f.mu.Unlock()
	if hook != nil {
		hook(n, w, r)
		return
	}
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

// writeStream sends lines as X does: "\r\n" after each message, with a
// keep-alive (a bare "\r\n") before each.
func writeStream(w http.ResponseWriter, lines [][]byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	fl.Flush()
	for _, l := range lines {
		_, _ = w.Write([]byte("\r\n"))
		_, _ = w.Write(append(l, '\r', '\n'))
		fl.Flush()
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeFile(t testing.TB, w http.ResponseWriter, code int, name string, h http.Header) {
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Error(err)
	}
	for k, v := range h {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(data)
}

// fakeClock is the collector's clock in tests; sleeps advance it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sleeper records waits and advances the clock instead of sleeping.
type sleeper struct {
	clock   *fakeClock
	mu      sync.Mutex
	waits   []time.Duration
	onSleep func(d time.Duration) // may cancel the run
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	hook := s.onSleep
	s.mu.Unlock()
	s.clock.advance(d)
	if hook != nil {
		hook(d)
	}
	return ctx.Err()
}

func (s *sleeper) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

// harness is a real embedded NATS with the collector's dependencies.
type harness struct {
	t     *testing.T
	b     *bus.Bus
	kv    *bus.KVStore
	gaps  *collectortest.Gaps
	reg   *prometheus.Registry
	clock *fakeClock
	sl    *sleeper
	fake  *fakeX
	w     *watch.Matcher
}

var testWatches = []watch.Spec{
	{ID: "airfrance", Name: "Air France", Kind: watch.KindBrand,
		Query: `("Air France" OR #airfrance OR @airfrance OR author:airfrance) NOT (recrutement OR #job)`},
	{ID: "greve", Name: "Grève Air France", Kind: watch.KindTopic, Lang: []string{"fr"},
		Query: `("Air France" OR #airfrance) AND (grève OR grev* OR "mouvement social")`},
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	b := bustest.New(t)
	kv, err := b.NewKVStore(context.Background(), bus.BucketCheckpoints)
	if err != nil {
		t.Fatal(err)
	}
	w, err := watch.Compile(testWatches)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2024, 11, 14, 7, 0, 0, 0, time.UTC)}
	return &harness{
		t: t, b: b, kv: kv, clock: clock, sl: &sleeper{clock: clock}, fake: newFakeX(t), w: w,
		gaps: collectortest.NewGaps(b.NewGapReporter(bustest.Logger(t), nil)),
		reg:  prometheus.NewRegistry(),
	}
}

func (h *harness) config() Config {
	return Config{BaseURL: h.fake.srv.URL, BearerToken: testToken, Watches: []string{"airfrance"}}
}

func (h *harness) newSource(cfg Config) *Source {
	h.t.Helper()
	s, err := New(cfg, ingest.Deps{
		Log: bustest.Logger(h.t), Checkpoints: h.kv, Gaps: h.gaps, HTTP: h.fake.srv.Client(),
		Watches: h.w, Registerer: h.reg, Now: h.clock.Now,
	}, WithSleep(h.sl.sleep))
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// run runs s until it returns; stop is called with the run's cancel.
func (h *harness) run(s *Source, stop func(cancel context.CancelFunc)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stop(cancel)
	return s.Run(ctx, h.b.NewMentionPublisher())
}
