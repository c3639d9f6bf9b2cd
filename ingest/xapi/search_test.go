package xapi

import (
	"context"
	"encoding/json"
	"errors"
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

// cancelAfterPolls cancels the run at the n-th poll interval.
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

func searchConfig(h *harness) Config {
	cfg := h.config()
	cfg.Search = &SearchConfig{Interval: time.Minute, MaxResults: 100}
	return cfg
}

// Search: the first poll takes the newest page; a restart resumes from
// the checkpoint, paginates, and a run cancelled in the middle of the
// pages costs neither a gap nor a duplicate.
func TestSearchCheckpointRestart(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2024, 11, 14, 5, 0, 0, 0, time.UTC)
	h.fake.addTweets(start, 0, 150)
	cfg := searchConfig(h)

	// Run 1: no checkpoint, one page of the 100 newest.
	if err := h.run(h.newSource(cfg), h.cancelAfterPolls(1, time.Minute)); err != nil {
		t.Fatal(err)
	}
	all := h.fake.ids()
	got := collectortest.Mentions(h.t, h.b)
	if want := all[50:]; !slices.Equal(collectortest.SortedIDs(got), slices.Sorted(slices.Values(want))) {
		t.Fatalf("run 1 published %d mentions, want the 100 newest", len(got))
	}
	cp, err := h.kv.Load(context.Background(), "xapi/search/airfrance/0")
	if err != nil || cp == nil {
		t.Fatalf("no checkpoint after run 1 (err %v)", err)
	}
	var c checkpoint
	if err := json.Unmarshal(cp, &c); err != nil || IDPrefix+c.SinceID != all[149] {
		t.Fatalf("checkpoint %s, want since_id of the newest post %s", cp, all[149])
	}
	q := h.fake.searchCalls[0]
	if q.Get("expansions") != expansions || !strings.Contains(q.Get("tweet.fields"), "public_metrics") ||
		q.Get("user.fields") != userFields || q.Get("max_results") != "100" || q.Get("since_id") != "" {
		t.Errorf("first request parameters: %v", q)
	}
	if !strings.Contains(q.Get("query"), `"air france"`) || !strings.Contains(q.Get("query"), "from:airfrance") {
		t.Errorf("query %q", q.Get("query"))
	}

	// Run 2: 110 new posts (two pages); cancelled while asking page 2.
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
	if got := h.fake.searchCalls[calls].Get("since_id"); IDPrefix+got != all[149] {
		t.Fatalf("run 2 since_id = %q, want %s", got, all[149])
	}

	// Run 3: resumes from run 1's checkpoint, reads both pages again.
	h.fake.searchHook = nil
	calls = len(h.fake.searchCalls)
	if err := h.run(h.newSource(cfg), h.cancelAfterPolls(1, time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.searchCalls) - calls; n != 2 {
		t.Errorf("run 3 made %d requests, want 2 pages", n)
	}
	if tok := h.fake.searchCalls[calls+1].Get("pagination_token"); tok != "next-100" {
		t.Errorf("page 2 pagination_token = %q", tok)
	}
	all = h.fake.ids()
	n, _ := h.b.StreamMsgs(context.Background(), bus.StreamMentions)
	got = collectortest.Mentions(h.t, h.b)
	if want := slices.Sorted(slices.Values(all[50:])); n != uint64(len(want)) || !slices.Equal(collectortest.SortedIDs(got), want) {
		t.Fatalf("MENTIONS holds %d messages (%d distinct ids read), want %d: a gap or a duplicate", n, len(got), len(want))
	}
	for _, g := range h.gaps.All() {
		t.Errorf("unexpected gap %+v", g)
	}
}

// A 429 is waited out until x-rate-limit-reset, reported as a gap, and
// the same request is sent again.
func TestSearchRateLimited(t *testing.T) {
	h := newHarness(t)
	h.fake.addTweets(time.Date(2024, 11, 14, 5, 0, 0, 0, time.UTC), 0, 5)
	reset := h.clock.Now().Add(14*time.Minute + 30*time.Second)
	h.fake.searchHook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n > 0 {
			return false
		}
		writeFile(t, w, http.StatusTooManyRequests, "error_429.json", http.Header{
			"X-Rate-Limit-Limit": {"450"}, "X-Rate-Limit-Remaining": {"0"},
			"X-Rate-Limit-Reset": {strconv.FormatInt(reset.Unix(), 10)},
		})
		return true
	}
	before := h.clock.Now()
	if err := h.run(h.newSource(searchConfig(h)), h.cancelAfterPolls(1, time.Minute)); err != nil {
		t.Fatal(err)
	}
	waits := h.sl.recorded()
	if want := reset.Sub(before) + time.Second; len(waits) == 0 || waits[0] != want {
		t.Fatalf("waits %v, want first %s (until x-rate-limit-reset)", waits, want)
	}
	gaps := h.gaps.All()
	if len(gaps) != 1 || gaps[0].Reason != httpsrc.ReasonRateLimited || !gaps[0].From.Equal(before) ||
		!gaps[0].To.Equal(before.Add(waits[0])) || gaps[0].Source != Name || gaps[0].Feed != "search:airfrance/0" {
		t.Fatalf("gaps %+v", gaps)
	}
	if n := len(collectortest.Mentions(h.t, h.b)); n != 5 {
		t.Fatalf("published %d, want 5 after the wait", n)
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_requests_total", map[string]string{"source": Name, "code": "429"}); v != 1 {
		t.Errorf("429 requests counted %v", v)
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_backoff_seconds_total", map[string]string{"reason": httpsrc.ReasonRateLimited}); v != waits[0].Seconds() {
		t.Errorf("backoff seconds %v, want %v", v, waits[0].Seconds())
	}
}

// 5xx answers are retried with exponential backoff; the time lost is one
// gap, reported when the API answers again.
func TestSearchServerErrorsBackoff(t *testing.T) {
	h := newHarness(t)
	h.fake.addTweets(time.Date(2024, 11, 14, 5, 0, 0, 0, time.UTC), 0, 3)
	h.fake.searchHook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n >= 2 {
			return false
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html><body>Over capacity</body></html>"))
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

// A recorded page: malformed posts are skipped and counted, the rest is
// published as the golden file says (read back from NATS).
func TestSearchRecordedPageGolden(t *testing.T) {
	h := newHarness(t)
	h.fake.searchHook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 {
			writeFile(t, w, http.StatusOK, "search_recent.json", nil)
		} else {
			writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]int{"result_count": 0}})
		}
		return true
	}
	if err := h.run(h.newSource(searchConfig(h)), h.cancelAfterPolls(1, time.Minute)); err != nil {
		t.Fatal(err)
	}
	got := collectortest.Mentions(h.t, h.b)
	if len(got) != 6 {
		t.Fatalf("published %d mentions, want 6 (8 posts, 2 malformed)", len(got))
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_rejected_total", map[string]string{"source": Name, "reason": "malformed"}); v != 2 {
		t.Errorf("malformed counted %v, want 2", v)
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_collected_total", map[string]string{"source": Name, "feed": feedSearch}); v != 6 {
		t.Errorf("collected counted %v, want 6", v)
	}
	golden(t, "testdata/search_recent.golden.json", got)
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

// A since_id older than the 7 days recent search covers is refused with
// a 400: the checkpoint is dropped, the lost range reported.
func TestSearchExpiredCheckpoint(t *testing.T) {
	h := newHarness(t)
	h.fake.addTweets(time.Date(2024, 11, 14, 5, 0, 0, 0, time.UTC), 0, 4)
	old := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
	cp, _ := json.Marshal(checkpoint{SinceID: "1852000000000000000", NewestAt: old})
	if err := h.kv.Save(context.Background(), "xapi/search/airfrance/0", cp); err != nil {
		t.Fatal(err)
	}
	h.fake.searchHook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 {
			writeFile(t, w, http.StatusBadRequest, "error_400_since_id.json", nil)
			return true
		}
		return false
	}
	if err := h.run(h.newSource(searchConfig(h)), h.cancelAfterPolls(2, time.Minute)); err != nil {
		t.Fatal(err)
	}
	gaps := h.gaps.All()
	if len(gaps) != 1 || gaps[0].Reason != reasonExpired || !gaps[0].From.Equal(old) {
		t.Fatalf("gaps %+v", gaps)
	}
	if h.fake.searchCalls[1].Get("since_id") != "" {
		t.Errorf("second request still has since_id %q", h.fake.searchCalls[1].Get("since_id"))
	}
	if n := len(collectortest.Mentions(h.t, h.b)); n != 4 {
		t.Fatalf("published %d, want 4", n)
	}
}

// A 401 is not retried: the query is given up, Run says why when nothing
// else can run, and the token is in no error nor log line.
func TestSearchUnauthorized(t *testing.T) {
	h := newHarness(t)
	cfg := searchConfig(h)
	cfg.BearerToken = "wrong-token-value"
	err := h.run(h.newSource(cfg), func(context.CancelFunc) {})
	if err == nil || !strings.Contains(err.Error(), "every query failed") {
		t.Fatalf("Run = %v, want the search to give up", err)
	}
	if v := collectortest.Counter(h.t, h.reg, "vigie_ingest_requests_total", map[string]string{"source": Name}); v != 1 {
		t.Errorf("%v requests, want 1 (4xx are not retried)", v)
	}
	gaps := h.gaps.All()
	if len(gaps) != 1 || gaps[0].Reason != httpsrc.ReasonRejected {
		t.Errorf("gaps %+v", gaps)
	}
	if strings.Contains(err.Error(), "wrong-token-value") {
		t.Error("the token leaked into the error")
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		want httpsrc.FailKind
	}{
		{&httpsrc.HTTPError{Status: 429}, httpsrc.FailRateLimit},
		{&httpsrc.HTTPError{Status: 503}, httpsrc.FailServer},
		{&httpsrc.HTTPError{Status: 500}, httpsrc.FailServer},
		{&httpsrc.HTTPError{Status: 401}, httpsrc.FailFatal},
		{&httpsrc.HTTPError{Status: 400}, httpsrc.FailFatal},
		{errors.New("connection refused"), httpsrc.FailNetwork},
		{errStalled, httpsrc.FailNetwork},
		{errors.Join(httpsrc.ErrMalformed, errors.New("x")), httpsrc.FailServer},
	} {
		if got := httpsrc.Classify(c.err); got != c.want {
			t.Errorf("classify(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
