package bluesky

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/ingest/watch"
)

const (
	searchPath  = "bsky.social /xrpc/app.bsky.feed.searchPosts"
	createPath  = "bsky.social /xrpc/com.atproto.server.createSession"
	refreshPath = "bsky.social /xrpc/com.atproto.server.refreshSession"
	profilePath = "bsky.social /xrpc/app.bsky.actor.getProfiles"
)

func ids(did string, rkeys ...string) []string {
	var out []string
	for _, r := range rkeys {
		out = append(out, "bluesky:"+did+"/"+r)
	}
	return out
}

// The posts of the fixtures.
var (
	idP1   = ids("did:plc:lea5t7k2yq3mzv6n4xw2bc7d", "3m4qz2kd7xs2a")[0]
	idP2   = ids("did:plc:sam3vq7x2kz5n6m4w7y2tr3p", "3m4qyx6fk2c2b")[0]
	idP4   = ids("did:plc:nws4k7q2m6x3z5v2n7y4bd2k", "3m4qyt2pl6s2d")[0]
	idN1   = ids("did:plc:jul2m5q7x4k6z3v2n7w4yc5h", "3m4r2h5kx7c2e")[0]
	idN2   = ids("did:plc:nws4k7q2m6x3z5v2n7y4bd2k", "3m4r24qdz3s2f")[0]
	idLate = ids("did:plc:mrc7x2k5q3m6z4v7n2w5yd3j", "3m4qz23mx4k2g")[0]
)

func tokens(t *testing.T, file string) (access, refresh string) {
	var s struct{ AccessJwt, RefreshJwt string }
	if err := json.Unmarshal(collectortest.ReadFixture(t, file), &s); err != nil {
		t.Fatal(err)
	}
	return s.AccessJwt, s.RefreshJwt
}

func TestSearch(t *testing.T) {
	e := collectortest.NewEnv(t, testNow)
	api := newAPIServer(t)
	var resetAt time.Time
	api.Script(createPath, collectortest.Reply{File: "create_session.json"})
	api.Script(refreshPath, collectortest.Reply{File: "refresh_session.json"})
	api.Script(profilePath, collectortest.Reply{File: "get_profiles.json"}, collectortest.Reply{File: "get_profiles.json"})
	api.Script(searchPath,
		collectortest.Reply{Status: http.StatusBadRequest, Body: `{"error":"ExpiredToken","message":"Token has expired"}`},
		collectortest.Reply{File: "search_first.json"},
		collectortest.Reply{File: "search_new.json"},
		collectortest.Reply{Serve: func(w http.ResponseWriter, r *http.Request) {
			resetAt = e.Clock.Now().Add(30 * time.Second)
			w.Header().Set("RateLimit-Limit", "3000")
			w.Header().Set("RateLimit-Remaining", "0")
			w.Header().Set("RateLimit-Reset", strconv.FormatInt(resetAt.Unix(), 10))
			w.Header().Set("RateLimit-Policy", "3000;w=300")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`))
		}},
		collectortest.Reply{File: "search_older.json"},
	)
	reached := make(chan struct{})
	e.Clock.OnSleep = collectortest.ParkAfter(2, time.Minute, reached)
	no := false
	src, err := New(Config{
		Identifier: "vigie-bot.bsky.social", AppPassword: "app-pass-word",
		Queries: []Query{{Q: `"air france"`}}, FromWatches: &no,
		PollInterval: time.Minute, MaxPages: 3,
	}, e.Deps(api.Client()), WithSleep(e.Clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-reached; cancel() }()
	collectortest.Run(t, ctx, src, e.Pub)

	got := e.StreamMentions(t)
	want := []string{idP1, idP2, idP4, idN1, idN2, idLate}
	slices.Sort(want)
	if keys := collectortest.SortedKeys(got); !slices.Equal(keys, want) {
		t.Fatalf("MENTIONS ids:\n%s\nwant\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	if m := got[idP4]; m.Author.Followers != 1250000 || !m.Author.Verified || m.Author.Handle != "lemonde.fr" {
		t.Errorf("author = %+v, want the profile's follower count", m.Author)
	}
	if m := got[idLate]; m.Author.Followers != 4021 || !m.CollectedAt.After(testNow) {
		t.Errorf("late post = %+v", m)
	}
	for id, n := range e.Pub.Counts() {
		if n != 1 {
			t.Errorf("%s published %d times (the overlap must skip what was published)", id, n)
		}
	}

	// The session: login, an expired token renewed with the refresh
	// token, the new access token on the next requests.
	a1, r1 := tokens(t, "create_session.json")
	a2, _ := tokens(t, "refresh_session.json")
	var auth []string
	for _, r := range api.Requests() {
		path := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		h := r.Header.Get("Authorization")
		switch h {
		case "Bearer " + a1:
			h = "a1"
		case "Bearer " + a2:
			h = "a2"
		case "Bearer " + r1:
			h = "r1"
		}
		auth = append(auth, path+":"+h)
	}
	if want := "com.atproto.server.createSession: app.bsky.feed.searchPosts:a1 com.atproto.server.refreshSession:r1 app.bsky.feed.searchPosts:a2 app.bsky.actor.getProfiles:a2"; !strings.HasPrefix(strings.Join(auth, " "), want) {
		t.Errorf("requests:\n%s\nwant them to start with\n%s", strings.Join(auth, " "), want)
	}

	// Queries: latest first; the second poll from the checkpoint minus the
	// overlap, then with the cursor, again after the 429.
	q := api.Queries(searchPath)
	if len(q) != 5 {
		t.Fatalf("searches = %q", q)
	}
	v, _ := url.ParseQuery(q[1])
	if v.Get("q") != `"air france"` || v.Get("sort") != "latest" || v.Get("limit") != "100" || v.Has("since") || v.Has("cursor") {
		t.Errorf("first search = %q", q[1])
	}
	v, _ = url.ParseQuery(q[2])
	if v.Get("since") != "2026-11-02T08:54:10Z" || v.Has("cursor") {
		t.Errorf("second poll = %q", q[2])
	}
	v, _ = url.ParseQuery(q[3])
	if v.Get("cursor") != "p2" || q[4] != q[3] {
		t.Errorf("next pages = %q, %q", q[3], q[4])
	}

	// The 429: a gap up to the reset, and a wait that honoured it.
	gaps := e.Gaps.All()
	if len(gaps) != 1 || gaps[0].Reason != "rate_limited" || gaps[0].Feed != `search/"air france"` ||
		gaps[0].To.Before(resetAt) || gaps[0].To.After(resetAt.Add(time.Second)) {
		t.Errorf("gaps = %+v, want one rate_limited up to %v", gaps, resetAt)
	}
	waited := false
	for _, d := range e.Clock.Slept() {
		waited = waited || d >= 29*time.Second && d <= 31*time.Second
	}
	if !waited {
		t.Errorf("sleeps %v: none honours the reset", e.Clock.Slept())
	}
	cp, _ := e.KV.Load(context.Background(), `bluesky/search/"air france"`)
	if string(cp) != `{"newest":"2026-11-02T08:58:00Z"}` {
		t.Errorf("checkpoint = %s", cp)
	}
	if n := testutil.ToFloat64(src.met.Rejected.WithLabelValues("malformed")); n != 1 {
		t.Errorf("rejected = %v, want 1 (the post without an at:// URI)", n)
	}
	if w := testutil.ToFloat64(src.met.Waited.WithLabelValues("search_posts", "rate_limited")); w < 29 || w > 31 {
		t.Errorf("rate-limit wait = %vs", w)
	}
	if n := testutil.ToFloat64(src.met.Requests.WithLabelValues("create_session", "200")); n != 1 {
		t.Errorf("logins = %v", n)
	}
	if n := testutil.ToFloat64(src.met.Collected.WithLabelValues(`search/"air france"`)); n != 6 {
		t.Errorf("collected = %v, want 6", n)
	}
}

// TestRestartResumesCursor: a catch-up longer than max_pages saves its
// cursor; a new Source on the same checkpoints resumes there, so the
// posts between the old checkpoint and the new head are not lost, and
// none is published twice.
func TestRestartResumesCursor(t *testing.T) {
	e := collectortest.NewEnv(t, testNow)
	api := newAPIServer(t)
	const path = "api.bsky.app /xrpc/app.bsky.feed.searchPosts"
	api.Script(path, collectortest.Reply{File: "search_first.json"}, collectortest.Reply{File: "search_new.json"}, collectortest.Reply{File: "search_older.json"})
	no := false
	cfg := Config{Queries: []Query{{Q: `"air france"`}}, FromWatches: &no, AuthorFollowers: &no, PollInterval: time.Minute, MaxPages: 1}
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
			cp, _ := e.KV.Load(context.Background(), `bluesky/search/"air france"`)
			if string(cp) != `{"newest":"2026-11-02T08:55:10.412Z","cursor":"p2","head":"2026-11-02T08:58:00Z"}` {
				t.Fatalf("checkpoint after the first run = %s", cp)
			}
		}
	}
	q := api.Queries(path)
	if len(q) != 3 {
		t.Fatalf("searches = %q", q)
	}
	v, _ := url.ParseQuery(q[2])
	if v.Get("cursor") != "p2" || v.Get("since") != "2026-11-02T08:54:10Z" {
		t.Errorf("the second run asked %q, want the saved cursor", q[2])
	}
	got := e.StreamMentions(t)
	want := []string{idP1, idP2, idP4, idN1, idN2, idLate}
	slices.Sort(want)
	if keys := collectortest.SortedKeys(got); !slices.Equal(keys, want) {
		t.Fatalf("MENTIONS ids %q, want %q", keys, want)
	}
	for id, n := range e.Pub.Counts() {
		if n != 1 {
			t.Errorf("%s published %d times", id, n)
		}
	}
	if cp, _ := e.KV.Load(context.Background(), `bluesky/search/"air france"`); string(cp) != `{"newest":"2026-11-02T08:58:00Z"}` {
		t.Errorf("final checkpoint = %s", cp)
	}
	if gaps := e.Gaps.All(); len(gaps) != 0 {
		t.Errorf("gaps = %+v", gaps)
	}
}

func TestJetstream(t *testing.T) {
	e := collectortest.NewEnv(t, testNow)
	api := newAPIServer(t)
	const path = "jetstream2.us-east.bsky.network /subscribe"
	lines := strings.Split(strings.TrimSpace(string(collectortest.ReadFixture(t, "jetstream.jsonl"))), "\n")
	pong := make(chan string, 1)
	second := make(chan string, 1)
	api.Script(path,
		collectortest.Reply{Serve: func(w http.ResponseWriter, r *http.Request) {
			conn, brw := wsUpgrade(t, w, r)
			if conn == nil {
				return
			}
			defer conn.Close()
			for i, l := range lines {
				brw.Write(serverFrame(true, opText, []byte(l)))
				if i == 2 {
					brw.Write(serverFrame(true, opPing, []byte("ka")))
				}
			}
			brw.Flush()
			if op, p, err := readClientFrame(brw.Reader); err == nil && op == opPong {
				pong <- string(p)
			}
			brw.Write(serverFrame(true, opClose, []byte{0x03, 0xE9}))
			brw.Flush()
			readClientFrame(brw.Reader) // the client's close
		}},
		collectortest.Reply{Serve: func(w http.ResponseWriter, r *http.Request) {
			conn, brw := wsUpgrade(t, w, r)
			if conn == nil {
				return
			}
			defer conn.Close()
			// The relay resumes an hour after the cursor: a gap.
			brw.Write(serverFrame(true, opText, []byte(`{"did":"did:plc:rnd2x7k5q3m6z4v7n2w5yd3a","time_us":1793613300000000,"kind":"identity","identity":{"did":"did:plc:rnd2x7k5q3m6z4v7n2w5yd3a","handle":"coffee.bsky.social","seq":7123456999,"time":"2026-11-02T09:55:00.000Z"}}`)))
			brw.Flush()
			second <- r.URL.RawQuery
			for {
				if _, _, err := readClientFrame(brw.Reader); err != nil {
					return
				}
			}
		}},
	)
	m, err := watch.Compile([]watch.Spec{{ID: "airfrance", Kind: watch.KindBrand, Query: `"air france" OR airfrance`}})
	if err != nil {
		t.Fatal(err)
	}
	deps := e.Deps(api.Client())
	deps.Watches = m
	no := false
	src, err := New(Config{FromWatches: &no, Jetstream: Jetstream{Enabled: true}}, deps, WithSleep(e.Clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var secondQuery string
	go func() {
		secondQuery = <-second
		for { // the client reads the event and saves its cursor
			cp, _ := e.KV.Load(context.Background(), "bluesky/jetstream")
			if len(e.Gaps.All()) > 0 && string(cp) == "1793613300000000" {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	collectortest.Run(t, ctx, src, e.Pub)

	got := e.StreamMentions(t)
	fr := "bluesky:did:plc:pau6k2m7x3q5z4v7n2w5yd7c/3m4qz3ab5kc2h"
	en := "bluesky:did:plc:tnk5x7k5q3m6z4v7n2w5yd3d/3m4qz3af9kg2l"
	if keys := collectortest.SortedKeys(got); !slices.Equal(keys, []string{fr, en}) {
		t.Fatalf("MENTIONS ids %q, want the two posts about Air France", keys)
	}
	if m := got[en]; m.Lang != "en" || !slices.Equal(m.Hashtags, []string{"airfrance"}) || m.Author.ID != "did:plc:tnk5x7k5q3m6z4v7n2w5yd3d" ||
		m.URL != "https://bsky.app/profile/did:plc:tnk5x7k5q3m6z4v7n2w5yd3d/post/3m4qz3af9kg2l" {
		t.Errorf("update = %+v", m)
	}
	if p := <-pong; p != "ka" {
		t.Errorf("pong = %q", p)
	}
	if q := api.Queries(path); len(q) != 2 || q[0] != "wantedCollections=app.bsky.feed.post" {
		t.Errorf("queries = %q", q)
	}
	const last = 1793609700007000
	if want := "wantedCollections=app.bsky.feed.post&cursor=" + strconv.FormatInt(last-5_000_000, 10); secondQuery != want {
		t.Errorf("reconnected with %q, want %q", secondQuery, want)
	}
	gaps := e.Gaps.All()
	if len(gaps) != 1 || gaps[0].Reason != "stream_gap" || gaps[0].Feed != "jetstream" ||
		!gaps[0].From.Equal(time.UnixMicro(last).UTC()) || !gaps[0].To.Equal(time.Date(2026, 11, 2, 9, 55, 0, 0, time.UTC)) {
		t.Errorf("gaps = %+v, want the hour the relay skipped", gaps)
	}
	if cp, _ := e.KV.Load(context.Background(), "bluesky/jetstream"); string(cp) != "1793613300000000" {
		t.Errorf("checkpoint = %s", cp)
	}
	for ev, want := range map[string]float64{"post": 3, "identity": 2, "account": 1, "delete": 1} {
		if got := testutil.ToFloat64(src.met.StreamEvents.WithLabelValues(ev)); got != want {
			t.Errorf("events %s = %v, want %v", ev, got, want)
		}
	}
	if n := testutil.ToFloat64(src.met.Rejected.WithLabelValues("malformed")); n != 1 {
		t.Errorf("rejected = %v, want 1", n)
	}
	if n := testutil.ToFloat64(src.met.Deletions); n != 1 {
		t.Errorf("deletions = %v, want 1", n)
	}
}
