package twitter

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
	"github.com/vigie-project/vigie/config/secret"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/ingest/watch"
)

// A fake Twitter API v1.1 speaking the documented wire format:
// search/tweets with since_id and max_id, users/lookup, statuses/filter.
// It checks the OAuth 1.0a signature of every request.

var testCreds = oauth1Credentials{
	consumerKey: "xvz1evFS4wEEPTGEFPHBog", consumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
	token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", tokenSecret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
}

const snowflakeEpoch = 1288834974657

func snowflake(t time.Time, seq int) int64 {
	return (t.UnixMilli()-snowflakeEpoch)<<22 | int64(seq&0x3fffff)
}

type fakeTweet struct {
	id  int64
	raw json.RawMessage
}

type fakeTwitter struct {
	t   testing.TB
	srv *httptest.Server

	mu          sync.Mutex
	tweets      []fakeTweet // oldest first
	users       map[string]json.RawMessage
	searchCalls []url.Values
	searchHook  func(n int, w http.ResponseWriter, r *http.Request) bool
	lookups     []string
	filters     []url.Values
	streamHook  func(n int, w http.ResponseWriter, r *http.Request)
	badAuth     int
}

func newFakeTwitter(t testing.TB) *fakeTwitter {
	f := &fakeTwitter{t: t, users: map[string]json.RawMessage{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /1.1/search/tweets.json", f.search)
	mux.HandleFunc("GET /1.1/users/lookup.json", f.lookup)
	mux.HandleFunc("POST /1.1/statuses/filter.json", f.filter)
	f.srv = httptest.NewServer(f.auth(mux))
	t.Cleanup(func() {
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	f.users["airfrance"] = json.RawMessage(`{"id":98117632,"id_str":"98117632","name":"Air France","screen_name":"airfrance","followers_count":1170023,"verified":true}`)
	return f
}

// auth checks the OAuth 1.0a header: every parameter present and the
// signature the one the test credentials give.
func (f *fakeTwitter) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.signed(r) {
			f.mu.Lock()
			f.badAuth++
			f.mu.Unlock()
			writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]any{{"code": 32, "message": "Could not authenticate you."}}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f *fakeTwitter) signed(r *http.Request) bool {
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "OAuth ")
	if !ok {
		return false
	}
	oauth := map[string]string{}
	for _, part := range strings.Split(h, ", ") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return false
		}
		v, err := url.PathUnescape(strings.Trim(v, `"`))
		if err != nil {
			return false
		}
		oauth[k] = v
	}
	if err := r.ParseForm(); err != nil {
		return false
	}
	params := url.Values{}
	for k, v := range r.Form {
		params[k] = v
	}
	for k, v := range oauth {
		if k != "oauth_signature" {
			params.Set(k, v)
		}
	}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	signer := &oauth1Signer{creds: testCreds}
	return oauth["oauth_consumer_key"] == testCreds.consumerKey.Reveal() && oauth["oauth_token"] == testCreds.token.Reveal() &&
		oauth["oauth_signature_method"] == "HMAC-SHA1" && oauth["oauth_nonce"] != "" &&
		oauth["oauth_signature"] == signer.sign(r.Method, &u, params)
}

// addTweets appends n posts in the v1.1 format, one every 10 s from start.
func (f *fakeTwitter) addTweets(start time.Time, from, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := from; i < from+n; i++ {
		ts := start.Add(time.Duration(i) * 10 * time.Second)
		id := snowflake(ts, i)
		uid := 1000 + i%7
		text := fmt.Sprintf("Message %d à propos de @airfrance #AirFrance", i)
		raw, _ := json.Marshal(map[string]any{
			"created_at": ts.UTC().Format(time.RubyDate), "id": id, "id_str": strconv.FormatInt(id, 10),
			"full_text": text, "truncated": false, "display_text_range": []int{0, len([]rune(text))},
			"entities": map[string]any{
				"hashtags":      []map[string]any{{"text": "AirFrance", "indices": []int{33, 43}}},
				"user_mentions": []map[string]any{{"screen_name": "airfrance", "name": "Air France", "id": 98117632, "id_str": "98117632", "indices": []int{22, 32}}},
				"urls":          []any{}, "symbols": []any{},
			},
			"in_reply_to_status_id": nil, "in_reply_to_status_id_str": nil,
			"user": map[string]any{"id": uid, "id_str": strconv.Itoa(uid), "name": "User " + strconv.Itoa(uid),
				"screen_name": "user" + strconv.Itoa(uid), "followers_count": 100 + i, "verified": false},
			"coordinates": nil, "is_quote_status": false, "retweet_count": i % 3, "favorite_count": i % 5,
			"favorited": false, "retweeted": false, "lang": "fr",
		})
		f.tweets = append(f.tweets, fakeTweet{id: id, raw: raw})
	}
}

func (f *fakeTwitter) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.tweets))
	for i, t := range f.tweets {
		out[i] = IDPrefix + strconv.FormatInt(t.id, 10)
	}
	return out
}

func (f *fakeTwitter) search(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := len(f.searchCalls)
	f.searchCalls = append(f.searchCalls, r.URL.Query())
	hook := f.searchHook
	f.mu.Unlock()
	if hook != nil && hook(n, w, r) {
		return
	}
	q := r.URL.Query()
	since, _ := strconv.ParseInt(q.Get("since_id"), 10, 64)
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	count, _ := strconv.Atoi(q.Get("count"))
	if count == 0 {
		count = 15
	}
	f.mu.Lock()
	var cand []json.RawMessage // newest first
	var last int64
	more := false
	for i := len(f.tweets) - 1; i >= 0; i-- {
		t := f.tweets[i]
		if t.id <= since || (maxID > 0 && t.id > maxID) {
			continue
		}
		if len(cand) == count {
			more = true
			break
		}
		cand = append(cand, t.raw)
		last = t.id
	}
	f.mu.Unlock()
	meta := map[string]any{"completed_in": 0.012, "count": count, "query": url.QueryEscape(q.Get("q")), "since_id": since, "since_id_str": strconv.FormatInt(since, 10)}
	if more {
		meta["next_results"] = fmt.Sprintf("?max_id=%d&q=%s&count=%d&include_entities=1&result_type=recent", last-1, url.QueryEscape(q.Get("q")), count)
	}
	if cand == nil {
		cand = []json.RawMessage{}
	}
	w.Header().Set("x-rate-limit-limit", "180")
	w.Header().Set("x-rate-limit-remaining", "179")
	w.Header().Set("x-rate-limit-reset", strconv.FormatInt(time.Now().Add(15*time.Minute).Unix(), 10))
	writeJSON(w, http.StatusOK, map[string]any{"statuses": cand, "search_metadata": meta})
}

func (f *fakeTwitter) lookup(w http.ResponseWriter, r *http.Request) {
	names := strings.Split(r.URL.Query().Get("screen_name"), ",")
	f.mu.Lock()
	f.lookups = append(f.lookups, names...)
	var found []json.RawMessage
	for _, n := range names {
		if u, ok := f.users[strings.ToLower(n)]; ok {
			found = append(found, u)
		}
	}
	f.mu.Unlock()
	if len(found) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": []map[string]any{{"code": 17, "message": "No user matches for specified terms."}}})
		return
	}
	writeJSON(w, http.StatusOK, found)
}

func (f *fakeTwitter) filter(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := len(f.filters)
	f.filters = append(f.filters, r.PostForm)
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

// writeStream sends messages as Twitter does: "\r\n" after each, with a
// blank keep-alive line before each.
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
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeFile(t testing.TB, w http.ResponseWriter, code int, name string) {
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Error(err)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(data)
}

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

type sleeper struct {
	clock   *fakeClock
	mu      sync.Mutex
	waits   []time.Duration
	onSleep func(d time.Duration)
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

type harness struct {
	t     *testing.T
	b     *bus.Bus
	kv    *bus.KVStore
	gaps  *collectortest.Gaps
	reg   *prometheus.Registry
	clock *fakeClock
	sl    *sleeper
	fake  *fakeTwitter
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
		t: t, b: b, kv: kv, clock: clock, sl: &sleeper{clock: clock}, fake: newFakeTwitter(t), w: w,
		gaps: collectortest.NewGaps(b.NewGapReporter(bustest.Logger(t), nil)),
		reg:  prometheus.NewRegistry(),
	}
}

func (h *harness) config() Config {
	return Config{
		APIURL: h.fake.srv.URL, StreamURL: h.fake.srv.URL, Watches: []string{"airfrance"},
		ConsumerKey: testCreds.consumerKey, ConsumerSecret: testCreds.consumerSecret,
		AccessToken: testCreds.token, AccessTokenSecret: secret.Secret(testCreds.tokenSecret),
	}
}

func (h *harness) newSource(cfg Config, opts ...Option) *Source {
	h.t.Helper()
	s, err := New(cfg, ingest.Deps{
		Log: bustest.Logger(h.t), Checkpoints: h.kv, Gaps: h.gaps, HTTP: h.fake.srv.Client(),
		Watches: h.w, Registerer: h.reg, Now: h.clock.Now,
	}, append([]Option{WithSleep(h.sl.sleep)}, opts...)...)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) run(s *Source, stop func(cancel context.CancelFunc)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stop(cancel)
	return s.Run(ctx, h.b.NewMentionPublisher())
}

func (h *harness) cancelAfterPolls(n int, interval time.Duration) func(context.CancelFunc) {
	return func(cancel context.CancelFunc) {
		polls := 0
		h.sl.onSleep = func(d time.Duration) {
			if d == interval {
				if polls++; polls >= n {
					cancel()
				}
			}
		}
	}
}
