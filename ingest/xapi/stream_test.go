package xapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

func streamConfig(h *harness) Config {
	cfg := h.config()
	cfg.Watches = []string{"airfrance", "greve"}
	cfg.Stream = &StreamConfig{}
	return cfg
}

func fixtureLines(t *testing.T) [][]byte {
	t.Helper()
	data, err := os.ReadFile("testdata/stream.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
}

// The stream: rules synced (stale vigie rules deleted, others kept,
// missing ones added), posts published with keep-alives, a bad id and a
// truncated line skipped, an operational disconnect followed by a
// reconnection reported as a gap; a restart reports the time it was off.
func TestStreamRulesMessagesReconnect(t *testing.T) {
	h := newHarness(t)
	cfg := streamConfig(h)
	probe := h.newSource(cfg)
	wanted := probe.rules
	h.fake.rules = []rule{
		{ID: "1856901234567890001", Value: "air france OR klm", Tag: RuleTagPrefix + "gone"},
		{ID: "1856901234567890002", Value: "from:acme_marketing", Tag: "marketing"},
		{ID: "1856901234567890003", Value: wanted[0].Value, Tag: wanted[0].Tag},
	}
	lines := fixtureLines(t)
	more := []byte(`{"data":{"id":"1857193958432014337","text":"Retour à la normale pour @airfrance ?","author_id":"1201947715539415040","created_at":"2024-11-14T06:05:00.000Z","lang":"fr","edit_history_tweet_ids":["1857193958432014337"]},"includes":{"users":[{"id":"1201947715539415040","name":"sam","username":"sam_k","verified":false,"public_metrics":{"followers_count":77,"following_count":190,"tweet_count":1502,"listed_count":0}}]},"matching_rules":[{"id":"1856901234567890003","tag":"vigie:airfrance"}]}`)
	connected := make(chan int, 4)
	h.fake.streamHook = func(n int, w http.ResponseWriter, r *http.Request) {
		connected <- n
		switch n {
		case 0:
			writeStream(w, lines) // ends with the disconnect notice and a cut line, then closes
		default:
			writeStream(w, [][]byte{more})
			<-r.Context().Done()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.newSource(cfg).Run(ctx, h.b.NewMentionPublisher()) }()
	<-connected
	<-connected
	collectortest.WaitMentions(h.t, h.b, 4)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Rules.
	var values []string
	for _, r := range h.fake.rules {
		values = append(values, r.Value)
	}
	if slices.Contains(values, "air france OR klm") || !slices.Contains(values, "from:acme_marketing") {
		t.Errorf("rules after sync: %q", values)
	}
	for _, w := range wanted {
		if !slices.Contains(values, w.Value) {
			t.Errorf("wanted rule %q missing", w.Value)
		}
	}
	if h.fake.ruleCalls[0] != "get" || h.fake.ruleCalls[1] != "delete 1856901234567890001" {
		t.Errorf("rule calls %q: want get, then delete before add", h.fake.ruleCalls)
	}
	if slices.Contains(h.fake.ruleCalls, "add "+wanted[0].Value) {
		t.Error("a rule already in place was added again")
	}

	// Messages.
	got := collectortest.Mentions(h.t, h.b)
	var want []string
	for _, l := range lines[:4] {
		var m struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		_ = json.Unmarshal(l, &m)
		if isID(m.Data.ID) {
			want = append(want, IDPrefix+m.Data.ID)
		}
	}
	want = slices.Sorted(slices.Values(append(want, "twitter:1857193958432014337")))
	if ids := collectortest.SortedIDs(got); !slices.Equal(ids, want) {
		t.Fatalf("published %q, want %q", ids, want)
	}
	var rt *struct{ text, repost string }
	for _, m := range got {
		if m.RepostOf != "" {
			rt = &struct{ text, repost string }{m.Text, m.RepostOf}
			if m.Source != MentionSource || m.Likes != 0 || m.Reposts != 0 {
				t.Errorf("retweet %+v: source and counts", m)
			}
		}
	}
	if rt == nil || !strings.HasPrefix(rt.text, "RT @airfrance: Suite au mouvement social") || !strings.HasSuffix(rt.text, "avant de vous rendre à l'aéroport.") {
		t.Errorf("retweet text not rebuilt from the expanded original: %+v", rt)
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_rejected_total", map[string]string{"source": Name, "reason": "malformed"}); v != 2 {
		t.Errorf("malformed counted %v, want 2 (bad id, cut line)", v)
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_stream_reconnects_total", map[string]string{"source": Name}); v != 1 {
		t.Errorf("reconnects %v, want 1", v)
	}
	gaps := h.gaps.All()
	if len(gaps) != 1 || gaps[0].Feed != feedStream || gaps[0].Reason != httpsrc.ReasonOutage || !gaps[0].To.After(gaps[0].From) {
		t.Fatalf("gaps %+v, want one outage between the two connections", gaps)
	}
	if w := h.sl.recorded(); len(w) != 1 || w[0] > 250*time.Millisecond {
		t.Errorf("waits %v, want one short network backoff", w)
	}
	if q := h.fake.searchCalls; len(q) != 0 {
		t.Errorf("search called %d times with search off", len(q))
	}

	// Restart: the time between the two runs is reported.
	stopped := h.clock.Now()
	h.clock.advance(3 * time.Minute)
	ctx, cancel = context.WithCancel(context.Background())
	go func() { done <- h.newSource(cfg).Run(ctx, h.b.NewMentionPublisher()) }()
	<-connected
	deadline := time.Now().Add(10 * time.Second)
	for len(h.gaps.All()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	gaps = h.gaps.All()
	if len(gaps) != 2 || gaps[1].Reason != httpsrc.ReasonRestart || !gaps[1].From.Equal(stopped) || !gaps[1].To.Equal(stopped.Add(3*time.Minute)) {
		t.Fatalf("gaps after restart %+v", gaps)
	}
}

// A stream that sends nothing, not even keep-alives, is dropped after
// stall_timeout and opened again.
func TestStreamStall(t *testing.T) {
	h := newHarness(t)
	cfg := streamConfig(h)
	cfg.Stream.StallTimeout = time.Second
	connected := make(chan int, 4)
	h.fake.streamHook = func(n int, w http.ResponseWriter, r *http.Request) {
		connected <- n
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

// 429 TooManyConnections on connect: wait for x-rate-limit-reset.
func TestStreamTooManyConnections(t *testing.T) {
	h := newHarness(t)
	reset := h.clock.Now().Add(50 * time.Second)
	connected := make(chan int, 4)
	h.fake.streamHook = func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			writeFile(t, w, http.StatusTooManyRequests, "stream_429.json", http.Header{
				"X-Rate-Limit-Limit": {"50"}, "X-Rate-Limit-Remaining": {"49"},
				"X-Rate-Limit-Reset": {strconv.FormatInt(reset.Unix(), 10)},
			})
			return
		}
		connected <- n
		writeStream(w, nil)
		<-r.Context().Done()
	}
	before := h.clock.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.newSource(streamConfig(h)).Run(ctx, h.b.NewMentionPublisher()) }()
	<-connected
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if w := h.sl.recorded(); len(w) != 1 || w[0] != reset.Sub(before)+time.Second {
		t.Fatalf("waits %v, want %s", w, reset.Sub(before)+time.Second)
	}
	gaps := h.gaps.All()
	if len(gaps) != 1 || gaps[0].Reason != httpsrc.ReasonRateLimited || !gaps[0].From.Equal(before) {
		t.Fatalf("gaps %+v", gaps)
	}
}

// A rule X refuses is logged and counted; the others are added.
func TestStreamRuleRefused(t *testing.T) {
	h := newHarness(t)
	cfg := streamConfig(h)
	s := h.newSource(cfg)
	s.rules = append(s.rules, rule{Value: "forbidden:operator", Tag: RuleTagPrefix + "x"})
	if err := s.syncRules(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(h.fake.rules) != len(s.rules)-1 {
		t.Errorf("%d rules in place, want %d", len(h.fake.rules), len(s.rules)-1)
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_rejected_total", map[string]string{"reason": "rule"}); v != 1 {
		t.Errorf("refused rules counted %v", v)
	}
	// Synced twice: nothing to change.
	calls := len(h.fake.ruleCalls)
	s.rules = s.rules[:len(s.rules)-1]
	if err := s.syncRules(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.fake.ruleCalls[calls:]; len(got) != 1 || got[0] != "get" {
		t.Errorf("second sync made %q, want only a get", got)
	}
}

func TestPlanRules(t *testing.T) {
	want := []rule{{Value: "a OR b", Tag: "vigie:w1"}, {Value: "c", Tag: "vigie:w2"}, {Value: "d", Tag: "vigie:w3"}}
	cur := []rule{
		{ID: "1", Value: "a OR b", Tag: "vigie:w1"}, // kept
		{ID: "2", Value: "old", Tag: "vigie:w9"},    // stale: deleted
		{ID: "3", Value: "c", Tag: "team"},          // same value, someone else's: kept, not added
		{ID: "4", Value: "z", Tag: "team"},          // someone else's: kept
		{ID: "5", Value: "y"},                       // no tag: kept
	}
	p := planRules(cur, want)
	if !slices.Equal(p.delete, []string{"2"}) || len(p.add) != 1 || p.add[0] != (rule{Value: "d", Tag: "vigie:w3"}) || p.kept != 2 {
		t.Fatalf("plan %+v", p)
	}
}

func TestReadLine(t *testing.T) {
	in := "a\r\n\r\n" + strings.Repeat("x", 100) + "\r\nb\r\ncut"
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	var got []string
	for {
		l, tooLong, err := readLine(br, 50)
		if err != nil {
			break
		}
		if tooLong {
			got = append(got, "<too long>")
			continue
		}
		got = append(got, string(l))
	}
	want := []string{"a\r\n", "\r\n", "<too long>", "b\r\n"}
	if !slices.Equal(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
}

func TestStreamMessageFixtureDecodes(t *testing.T) {
	for i, l := range fixtureLines(t)[:5] {
		var m streamMessage
		if err := json.Unmarshal(l, &m); err != nil {
			t.Errorf("line %d: %v", i+1, err)
		}
	}
}
