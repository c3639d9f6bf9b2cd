package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/config/secret"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/mention"
)

const (
	advocacyToken = "tok-advocacy-0123456789abcdef"
	toolsToken    = "tok-tools-0123456789abcdef"
	intranetKey   = "hmac-intranet-0123456789abcdef"
)

var now0 = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

func testConfig() Config {
	return Config{Clients: []Client{
		{Name: "advocacy", Token: advocacyToken, Source: "linkedin", AllowedSources: []string{"linkedin", "facebook"}},
		{Name: "tools", Token: toolsToken},
		{Name: "intranet", HMACKey: intranetKey, Source: "intranet"},
	}}
}

// env is a webhook Source running on a real embedded NATS.
type env struct {
	t      *testing.T
	b      *bus.Bus
	src    *Source
	reg    *prometheus.Registry
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := &env{t: t, b: bustest.New(t), reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := New(cfg, ingest.Deps{Log: log, Registerer: e.reg, Now: func() time.Time { return now0 }})
	if err != nil {
		t.Fatal(err)
	}
	e.src = src
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan error, 1)
	go func() { e.done <- src.Run(ctx, e.b.NewMentionPublisher()) }()
	t.Cleanup(e.stop)
	waitFor(t, src.running)
	return e
}

func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	if err := <-e.done; err != nil {
		e.t.Errorf("Run = %v", err)
	}
	e.cancel = nil
}

// waitFor waits for a goroutine to reach a state; it is a synchronisation,
// not a timing assertion.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
	}
}

type request struct {
	body        string
	contentType string
	token       string
	hmacKey     string
	ts          time.Time // signing time; zero = now0
	header      map[string]string
	chunked     bool
}

type response struct {
	code int
	body string
	hdr  http.Header
}

func (e *env) do(rq request) response {
	e.t.Helper()
	var body io.Reader = strings.NewReader(rq.body)
	if rq.chunked {
		body = io.MultiReader(strings.NewReader(rq.body)) // hides the length
	}
	r := httptest.NewRequest(http.MethodPost, Path, body)
	if rq.chunked {
		r.ContentLength = -1
	}
	ct := rq.contentType
	if ct == "" {
		ct = ContentTypeJSON
	}
	r.Header.Set("Content-Type", ct)
	if rq.token != "" {
		r.Header.Set("Authorization", "Bearer "+rq.token)
	}
	if rq.hmacKey != "" {
		ts := rq.ts
		if ts.IsZero() {
			ts = now0
		}
		tsh, sig := Sign([]byte(rq.hmacKey), ts, []byte(rq.body))
		r.Header.Set(HeaderTimestamp, tsh)
		r.Header.Set(HeaderSignature, sig)
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.src.Handler().ServeHTTP(w, r)
	return response{code: w.Code, body: strings.TrimSpace(w.Body.String()), hdr: w.Header()}
}

// mentions reads back everything in the MENTIONS stream.
func (e *env) mentions() []*mention.Mention {
	e.t.Helper()
	ctx := context.Background()
	n, err := e.b.StreamMsgs(ctx, bus.StreamMentions)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.b.Consumer(ctx, bus.StreamMentions, fmt.Sprintf("test%d", time.Now().UnixNano()))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*mention.Mention
	for uint64(len(out)) < n {
		msgs, err := bus.Fetch(ctx, c, int(n)-len(out), 5*time.Second)
		if err != nil || len(msgs) == 0 {
			e.t.Fatalf("fetched %d of %d: %v", len(out), n, err)
		}
		for _, msg := range msgs {
			m, err := mention.Unmarshal(msg.Data())
			if err != nil {
				e.t.Fatal(err)
			}
			out = append(out, m)
			_ = msg.Ack()
		}
	}
	return out
}

func rec(id string, extra string) string {
	return `{"id":"` + id + `","created_at":"2026-11-02T08:15:00+01:00","text":"Fière de notre équipe à Lyon ! https://www.acme.fr/lyon","author":{"handle":"@jdupont","name":"Jeanne Dupont","followers":1200}` + extra + `}`
}

func TestSingleArrayAndNDJSON(t *testing.T) {
	e := newEnv(t, testConfig())

	r := e.do(request{token: advocacyToken, body: rec("urn:li:activity:1", `,"lang":"FR","hashtags":["#Lyon"]`)})
	if r.code != http.StatusAccepted || r.body != `{"accepted":1}` {
		t.Fatalf("single object: %d %s", r.code, r.body)
	}
	r = e.do(request{token: advocacyToken, body: "[" + rec("2", "") + ",\n" + rec("3", `,"source":"facebook"`) + "]"})
	if r.code != http.StatusAccepted || r.body != `{"accepted":2}` {
		t.Fatalf("array: %d %s", r.code, r.body)
	}
	nd := rec("t1", `,"source":"sociabble"`) + "\r\n\n" + rec("tools:t2", `,"source":"tools"`) + "\n"
	r = e.do(request{token: toolsToken, contentType: ContentTypeNDJSON, body: nd})
	if r.code != http.StatusAccepted || r.body != `{"accepted":2}` {
		t.Fatalf("ndjson: %d %s", r.code, r.body)
	}

	got := map[string]*mention.Mention{}
	for _, m := range e.mentions() {
		got[m.ID] = m
	}
	for _, id := range []string{"linkedin:urn:li:activity:1", "linkedin:2", "facebook:3", "sociabble:t1", "tools:t2"} {
		if got[id] == nil {
			t.Errorf("%s not in the stream (got %v)", id, keys(got))
		}
	}
	if len(got) != 5 {
		t.Errorf("stream holds %d mentions, want 5", len(got))
	}
	m := got["linkedin:urn:li:activity:1"]
	if m == nil {
		t.FailNow()
	}
	want := time.Date(2026, 11, 2, 7, 15, 0, 0, time.UTC)
	if m.Source != "linkedin" || !m.CreatedAt.Equal(want) || m.CreatedAt.Location() != time.UTC ||
		!m.CollectedAt.Equal(now0) || m.Lang != "fr" || m.Author.Handle != "jdupont" ||
		m.Author.Followers != 1200 || len(m.Hashtags) != 1 || m.Hashtags[0] != "lyon" {
		t.Errorf("mention = %+v", m)
	}
	if v := testutil.ToFloat64(e.src.metrics.records.WithLabelValues("advocacy", "accepted")); v != 3 {
		t.Errorf("accepted records for advocacy = %v, want 3", v)
	}
	if v := testutil.ToFloat64(e.src.metrics.requests.WithLabelValues("tools", "202")); v != 1 {
		t.Errorf("202 requests for tools = %v, want 1", v)
	}
}

func keys(m map[string]*mention.Mention) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBadRecordPublishesNothing(t *testing.T) {
	e := newEnv(t, testConfig())
	var recs []string
	for i := 0; i < 6; i++ {
		recs = append(recs, rec(fmt.Sprintf("b%d", i), ""))
	}
	recs[3] = `{"id":"b3","text":"no date"}`
	r := e.do(request{token: advocacyToken, body: "[" + strings.Join(recs, ",") + "]"})
	if r.code != http.StatusBadRequest {
		t.Fatalf("code = %d, want 400", r.code)
	}
	if want := `{"error":"record 3: field created_at: is required","index":3,"field":"created_at"}`; r.body != want {
		t.Fatalf("body = %s\nwant   %s", r.body, want)
	}
	// The same in NDJSON.
	r = e.do(request{token: advocacyToken, contentType: ContentTypeNDJSON, body: strings.Join(recs, "\n")})
	if r.code != http.StatusBadRequest || !strings.Contains(r.body, `"index":3,"field":"created_at"`) {
		t.Fatalf("ndjson: %d %s", r.code, r.body)
	}
	if n, err := e.b.StreamMsgs(context.Background(), bus.StreamMentions); err != nil || n != 0 {
		t.Fatalf("stream holds %d messages (%v) after refused batches, want 0", n, err)
	}
	if v := testutil.ToFloat64(e.src.metrics.records.WithLabelValues("advocacy", "rejected")); v != 2 {
		t.Errorf("rejected = %v, want 2", v)
	}
}

func TestRecordErrors(t *testing.T) {
	e := newEnv(t, testConfig())
	for _, tc := range []struct {
		name, body, ct string
		index          int
		field, msg     string
	}{
		{"syntax", `[` + rec("a", "") + `, {"id": "b",]`, "", 1, "", "record 1: invalid JSON"},
		{"truncated", `[` + rec("a", ""), "", 1, "", "record 1: invalid JSON"},
		{"not an object", `[1]`, "", 0, "", "record 0: must be a JSON object, got a JSON number"},
		{"scalar body", `"hello"`, "", 0, "", "record 0: the body must be a JSON object or an array of objects"},
		{"empty body", ``, "", 0, "", "record 0: the body is empty"},
		{"empty ndjson", "\n\n", ContentTypeNDJSON, 0, "", "record 0: the body is empty"},
		{"trailing data", rec("a", "") + rec("b", ""), "", 1, "", "unexpected data after the JSON value"},
		{"unknown field", rec("a", `,"createdAt":"2026-11-02T08:00:00Z"`), "", 0, "createdAt", "record 0: field createdAt: unknown field"},
		{"unknown author field", `[` + rec("a", "") + `,` + rec("b", `,"author":{"employee_id":"E1"}`) + `]`, "", 1, "author.employee_id", "unknown field"},
		{"wrong type", rec("a", `,"likes":"12"`), "", 0, "likes", "record 0: field likes: must be an integer, got a JSON string"},
		{"wrong nested type", `{"id":"a","created_at":"2026-11-02T08:00:00Z","text":"x","author":{"followers":"many"}}`, "", 0, "author.followers", "must be an integer"},
		{"author not object", `{"id":"a","created_at":"2026-11-02T08:00:00Z","text":"x","author":"jd"}`, "", 0, "author", "must be a JSON object"},
		{"bad date", `{"id":"a","created_at":"02/11/2026","text":"x"}`, "", 0, "created_at", "is not an RFC 3339 time"},
		{"future date", `{"id":"a","created_at":"2026-11-09T08:00:00Z","text":"x"}`, "", 0, "created_at", "in the future"},
		{"no id", `{"created_at":"2026-11-02T08:00:00Z","text":"x"}`, "", 0, "id", "record 0: field id: is required"},
		{"id with space", `{"id":"a b","created_at":"2026-11-02T08:00:00Z","text":"x"}`, "", 0, "id", "without spaces"},
		{"no text", `{"id":"a","created_at":"2026-11-02T08:00:00Z"}`, "", 0, "text", "is required"},
		{"negative", rec("a", `,"reposts":-1`), "", 0, "reposts", "is negative"},
		{"source not allowed", rec("a", `,"source":"twitter"`), "", 0, "source", `"twitter" is not allowed for this client`},
		{"bad source", rec("a", `,"source":"Linked In"`), "", 0, "source", "lower-case"},
		{"bad geo", rec("a", `,"geo":{"lat":91,"lon":2}`), "", 0, "geo.lat", "between -90 and 90"},
		{"ndjson array line", `[` + rec("a", "") + `]`, ContentTypeNDJSON, 0, "", "each line must be one JSON object"},
		{"ndjson two per line", rec("a", "") + " " + rec("b", ""), ContentTypeNDJSON, 0, "", "unexpected data"},
		{"ndjson second line", rec("a", "") + "\n" + `{"id":"b","created_at":"2026-11-02T08:00:00Z","text":"x","views":1.5}`, ContentTypeNDJSON, 1, "views", "must be an integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(request{token: advocacyToken, body: tc.body, contentType: tc.ct})
			if r.code != http.StatusBadRequest {
				t.Fatalf("code = %d (%s), want 400", r.code, r.body)
			}
			var eb struct {
				Error string
				Index *int
				Field string
			}
			if err := json.Unmarshal([]byte(r.body), &eb); err != nil {
				t.Fatal(err)
			}
			if eb.Index == nil || *eb.Index != tc.index || eb.Field != tc.field || !strings.Contains(eb.Error, tc.msg) {
				t.Fatalf("body = %s, want index %d, field %q, error containing %q", r.body, tc.index, tc.field, tc.msg)
			}
		})
	}
	if n, _ := e.b.StreamMsgs(context.Background(), bus.StreamMentions); n != 0 {
		t.Fatalf("stream holds %d messages, want 0", n)
	}
}

func TestTimestampsAndSources(t *testing.T) {
	e := newEnv(t, testConfig())
	body := `[{"id":"1","created_at":1793611800,"text":"a"},{"id":"2","created_at":1793611800500,"text":"b"},` +
		`{"id":"3","created_at":"2026-11-02T08:00:00.123456789Z","text":"c","source":"linkedin"},{"id":"4","created_at":"2026-11-02T08:00:00Z","repost_of":"linkedin:9"}]`
	r := e.do(request{token: advocacyToken, body: body})
	if r.code != http.StatusAccepted {
		t.Fatalf("%d %s", r.code, r.body)
	}
	got := map[string]time.Time{}
	for _, m := range e.mentions() {
		got[m.ID] = m.CreatedAt
	}
	want := map[string]time.Time{
		"linkedin:1": time.Unix(1793611800, 0).UTC(),
		"linkedin:2": time.Unix(1793611800, 500e6).UTC(),
		"linkedin:3": time.Date(2026, 11, 2, 8, 0, 0, 123456789, time.UTC),
		"linkedin:4": time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC),
	}
	for id, w := range want {
		if !got[id].Equal(w) {
			t.Errorf("%s created_at = %s, want %s", id, got[id], w)
		}
	}
	// A client without a source: records must carry one.
	r = e.do(request{token: toolsToken, body: rec("x", "")})
	if r.code != http.StatusBadRequest || !strings.Contains(r.body, `"field":"source"`) {
		t.Fatalf("no source: %d %s", r.code, r.body)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, testConfig())
	body := rec("auth1", "")
	for _, tc := range []struct {
		name string
		rq   request
		code int
	}{
		{"no credentials", request{body: body}, 401},
		{"wrong token", request{body: body, token: "tok-advocacy-0123456789abcdeX"}, 401},
		{"token prefix", request{body: body, token: advocacyToken[:10]}, 401},
		{"hmac key as token", request{body: body, token: intranetKey}, 401},
		{"basic auth", request{body: body, header: map[string]string{"Authorization": "Basic YTpi"}}, 401},
		{"lower-case bearer", request{body: body, header: map[string]string{"Authorization": "bearer " + toolsToken}}, 400}, // authenticated; no source
		{"signed", request{body: body, hmacKey: intranetKey}, 202},
		{"signed with another key", request{body: body, hmacKey: "hmac-other-0123456789abcdef"}, 401},
		{"stale timestamp", request{body: body, hmacKey: intranetKey, ts: now0.Add(-6 * time.Minute)}, 401},
		{"future timestamp", request{body: body, hmacKey: intranetKey, ts: now0.Add(6 * time.Minute)}, 401},
		{"within tolerance", request{body: rec("auth2", ""), hmacKey: intranetKey, ts: now0.Add(-4 * time.Minute)}, 202},
		{"bad timestamp", request{body: body, hmacKey: intranetKey, header: map[string]string{HeaderTimestamp: "yesterday"}}, 401},
		{"no timestamp", request{body: body, header: map[string]string{HeaderSignature: "sha256=00"}}, 401},
		{"bad signature format", request{body: body, hmacKey: intranetKey, header: map[string]string{HeaderSignature: "md5=abc"}}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.rq)
			if r.code != tc.code {
				t.Fatalf("code = %d (%s), want %d", r.code, r.body, tc.code)
			}
			if tc.code == 401 {
				if r.body != `{"error":"unauthorized"}` {
					t.Errorf("401 body = %s: it must not say why", r.body)
				}
				if r.hdr.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			}
		})
	}

	// A signed body that was changed in transit.
	ts, sig := Sign([]byte(intranetKey), now0, []byte(body))
	tampered := strings.Replace(body, "Lyon", "Lille", 1)
	r := e.do(request{body: tampered, header: map[string]string{HeaderTimestamp: ts, HeaderSignature: sig}})
	if r.code != 401 {
		t.Fatalf("tampered body: %d", r.code)
	}
	// The signature binds the timestamp: the same signature with another one fails.
	r = e.do(request{body: body, header: map[string]string{HeaderTimestamp: fmt.Sprint(now0.Unix() + 1), HeaderSignature: sig}})
	if r.code != 401 {
		t.Fatalf("moved timestamp: %d", r.code)
	}

	ids := map[string]bool{}
	for _, m := range e.mentions() {
		ids[m.ID] = true
	}
	if len(ids) != 2 || !ids["intranet:auth1"] || !ids["intranet:auth2"] {
		t.Fatalf("stream holds %v, want intranet:auth1 and intranet:auth2", ids)
	}
	for _, s := range []string{advocacyToken, toolsToken, intranetKey, advocacyToken[:10]} {
		if strings.Contains(e.logs.String(), s) {
			t.Fatalf("a secret is in the logs:\n%s", e.logs.String())
		}
	}
	if v := testutil.ToFloat64(e.src.metrics.authFailures.WithLabelValues(authStale)); v != 2 {
		t.Errorf("stale auth failures = %v, want 2", v)
	}
	if v := testutil.ToFloat64(e.src.metrics.requests.WithLabelValues("unknown", "401")); v < 10 {
		t.Errorf("401 requests = %v", v)
	}
}

func TestLimitsAndProtocol(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBodyBytes = 2048
	cfg.MaxRecords = 3
	e := newEnv(t, cfg)
	big := rec("big", `,"url":"https://example.com/`+strings.Repeat("a", 2100)+`"`)
	for _, tc := range []struct {
		name string
		rq   request
		code int
	}{
		{"over limit, length known", request{token: advocacyToken, body: big}, 413},
		{"over limit, chunked", request{token: advocacyToken, body: big, chunked: true}, 413},
		{"over limit, unauthenticated", request{body: big}, 413},
		{"signed over limit", request{hmacKey: intranetKey, body: big, chunked: true}, 413},
		{"too many records", request{token: advocacyToken, body: "[" + rec("1", "") + "," + rec("2", "") + "," + rec("3", "") + "," + rec("4", "") + "]"}, 413},
		{"text/plain", request{token: advocacyToken, body: rec("a", ""), contentType: "text/plain"}, 415},
		{"latin-1", request{token: advocacyToken, body: rec("a", ""), contentType: "application/json; charset=iso-8859-1"}, 415},
		{"gzip", request{token: advocacyToken, body: rec("a", ""), header: map[string]string{"Content-Encoding": "gzip"}}, 415},
		{"no content type", request{token: advocacyToken, body: rec("a", ""), contentType: "garbage;;"}, 415},
		{"utf-8 charset", request{token: advocacyToken, body: rec("ok", ""), contentType: "application/json; charset=UTF-8"}, 202},
		{"unauthenticated wrong type", request{body: rec("a", ""), contentType: "text/plain"}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.do(tc.rq); r.code != tc.code {
				t.Fatalf("code = %d (%s), want %d", r.code, r.body, tc.code)
			}
		})
	}
	w := httptest.NewRecorder()
	e.src.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, Path, nil))
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
		t.Fatalf("GET: %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

func TestNotRunningAndPublishFailure(t *testing.T) {
	cfg := testConfig()
	cfg.PublishTimeout = time.Second
	e := newEnv(t, cfg)
	if r := e.do(request{token: advocacyToken, body: rec("before", "")}); r.code != 202 {
		t.Fatalf("while running: %d %s", r.code, r.body)
	}

	// NATS goes away: the batch cannot be stored, the client must retry.
	e.b.Close()
	r := e.do(request{token: advocacyToken, body: rec("lost", "")})
	if r.code != http.StatusServiceUnavailable || r.hdr.Get("Retry-After") == "" {
		t.Fatalf("publish failure: %d %s, Retry-After %q", r.code, r.body, r.hdr.Get("Retry-After"))
	}
	if !strings.Contains(e.logs.String(), "webhook_publish_failed") {
		t.Error("publish failure not logged")
	}

	e.stop()
	r = e.do(request{token: advocacyToken, body: rec("after", "")})
	if r.code != http.StatusServiceUnavailable {
		t.Fatalf("after Run returned: %d %s", r.code, r.body)
	}
}

func TestRunTwice(t *testing.T) {
	e := newEnv(t, testConfig())
	if err := e.src.Run(context.Background(), e.b.NewMentionPublisher()); err == nil {
		t.Fatal("a second Run succeeded")
	}
}

func TestConfig(t *testing.T) {
	ok := Client{Name: "a", Token: "0123456789abcdef"}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no clients", Config{}, "clients: at least one client is required"},
		{"bad name", Config{Clients: []Client{{Name: "A B", Token: "x"}}}, "clients[0].name:"},
		{"duplicate", Config{Clients: []Client{ok, ok}}, `clients[1].name: "a" is already the name of clients[0]`},
		{"no secret", Config{Clients: []Client{{Name: "a"}}}, "clients[0].token: set token, token_file, hmac_key or hmac_key_file"},
		{"both", Config{Clients: []Client{{Name: "a", Token: "x", HMACKeyFile: "/k"}}}, "clients[0].token: set a token or an hmac_key, not both"},
		{"token twice", Config{Clients: []Client{{Name: "a", Token: "x", TokenFile: "/k"}}}, "clients[0].token: set either token or token_file"},
		{"bad source", Config{Clients: []Client{{Name: "a", Token: "x", Source: "Linked In"}}}, "clients[0].source:"},
		{"bad allowed", Config{Clients: []Client{{Name: "a", Token: "x", AllowedSources: []string{"ok", "NO"}}}}, "clients[0].allowed_sources[1]:"},
		{"source not allowed", Config{Clients: []Client{{Name: "a", Token: "x", Source: "b", AllowedSources: []string{"c"}}}}, `clients[0].source: "b" is not in allowed_sources`},
		{"body", Config{Clients: []Client{ok}, MaxBodyBytes: 10}, "max_body_bytes:"},
		{"records", Config{Clients: []Client{ok}, MaxRecords: -1}, "max_records:"},
		{"text", Config{Clients: []Client{ok}, MaxTextBytes: 10}, "max_text_bytes:"},
		{"tolerance", Config{Clients: []Client{ok}, TimestampTolerance: 2 * time.Hour}, "timestamp_tolerance:"},
		{"timeout", Config{Clients: []Client{ok}, PublishTimeout: time.Millisecond}, "publish_timeout:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.SetDefaults()
			err := tc.cfg.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want it to start with %q", err, tc.want)
			}
		})
	}
	c := Config{Clients: []Client{ok}}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if c.MaxBodyBytes != 8<<20 || c.TimestampTolerance != 5*time.Minute {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestSecrets(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "hmac")
	if err := os.WriteFile(keyFile, []byte("file-key-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIE_TEST_WEBHOOK_TOKEN", "env-token-0123456789abcdef")
	cfg := Config{Clients: []Client{
		{Name: "env", Token: "${VIGIE_TEST_WEBHOOK_TOKEN}", Source: "tools"},
		{Name: "file", HMACKeyFile: keyFile, Source: "intranet"},
	}}
	literal := testConfig()
	if dump := fmt.Sprintf("%v %+v %#v", literal, literal, literal); strings.Contains(dump, advocacyToken) || strings.Contains(dump, intranetKey) {
		t.Fatalf("config dump shows a secret: %s", dump)
	}
	e := newEnv(t, cfg)
	if r := e.do(request{token: "env-token-0123456789abcdef", body: rec("e1", "")}); r.code != 202 {
		t.Fatalf("token from env: %d %s", r.code, r.body)
	}
	if r := e.do(request{hmacKey: "file-key-0123456789abcdef", body: rec("f1", "")}); r.code != 202 {
		t.Fatalf("key from file: %d %s", r.code, r.body)
	}

	for _, tc := range []struct {
		cl   Client
		want string
	}{
		{Client{Name: "a", Token: "${VIGIE_TEST_UNSET_VAR}"}, "clients[0].token: environment variable VIGIE_TEST_UNSET_VAR is not set"},
		{Client{Name: "a", HMACKeyFile: filepath.Join(dir, "none")}, "clients[0].hmac_key_file:"},
		{Client{Name: "a", Token: "short-secret"}, "clients[0].token: must be at least 16 characters"},
	} {
		_, err := New(Config{Clients: []Client{tc.cl}}, ingest.Deps{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want %q", tc.cl, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "short-secret") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
	if s := fmt.Sprint(secret.Secret("x")); s != secret.Redacted {
		t.Fatalf("secret prints as %q", s)
	}
}
