package twitter

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	gotwitter "github.com/dghubble/go-twitter/twitter"

	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

type discardPub struct{}

func (discardPub) Publish(context.Context, *mention.Mention) error { return nil }
func (discardPub) Flush(context.Context) error                     { return nil }

func bareSource(tb testing.TB) *Source {
	m, err := httpsrc.NewMetrics(nil)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2024, 11, 14, 7, 0, 0, 0, time.UTC)
	return &Source{log: slog.New(slog.DiscardHandler), m: m, now: func() time.Time { return now },
		onDelete: func(context.Context, string) {}, gaps: logGaps{slog.New(slog.DiscardHandler)}}
}

// Any search page: no panic, only valid records published.
func FuzzSearchPage(f *testing.F) {
	page, err := os.ReadFile("testdata/search_tweets.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(page)
	f.Add([]byte(`{"statuses":[{"id":-1,"user":{}},{"retweeted_status":{"user":null}},null]}`))
	s := bareSource(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p gotwitter.Search
		_ = json.Unmarshal(data, &p) // partly decoded pages are used too
		pub := &checkPub{}
		if _, err := s.publishTweets(context.Background(), pub, p.Statuses, feedSearch); err != nil {
			t.Fatal(err)
		}
		if pub.bad != "" {
			t.Fatal(pub.bad)
		}
	})
}

// Any stream body, through go-twitter's reader and demuxer.
func FuzzStreamMessage(f *testing.F) {
	f.Add(bytes.Join(fixtureLines(f), []byte("\r\n\r\n")))
	for _, l := range fixtureLines(f) {
		f.Add(l)
	}
	f.Add([]byte(`{"limit":null}`))
	f.Add([]byte(`{"delete":{}}`))
	f.Add([]byte(`{"id_str":"1","created_at":"x","user":5}`))
	s := bareSource(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		pub := &checkPub{}
		st := &streamState{lastSave: s.now()}
		for _, msg := range demux(body) {
			if err := s.handle(context.Background(), pub, msg, st); err != nil {
				t.Fatal(err)
			}
		}
		if pub.bad != "" {
			t.Fatal(pub.bad)
		}
	})
}

// demux decodes one stream body through go-twitter's own reader and
// demuxer: a stream served from memory, read to its end.
func demux(body []byte) []any {
	rt := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(body)), Header: http.Header{}}, nil
	})
	once := &onceTransport{next: rt}
	stream, err := gotwitter.NewClient(&http.Client{Transport: once}).Streams.Filter(&gotwitter.StreamFilterParams{Track: []string{"x"}})
	if err != nil {
		return nil
	}
	var out []any
	for m := range stream.Messages {
		if _, ok := m.(*url.Error); !ok {
			out = append(out, m)
		}
	}
	stream.Stop()
	return out
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// onceTransport answers the first request only, as streamConn does.
type onceTransport struct {
	next http.RoundTripper
	used atomic.Bool
}

func (o *onceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if o.used.Swap(true) {
		return nil, errStreamEnded
	}
	return o.next.RoundTrip(r)
}

type checkPub struct{ bad string }

func (c *checkPub) Publish(_ context.Context, m *mention.Mention) error {
	if c.bad == "" && (!strings.HasPrefix(m.ID, IDPrefix) || m.Source != MentionSource || m.CreatedAt.IsZero() || !utf8.ValidString(m.Text)) {
		c.bad = "invalid record published: " + m.ID
	}
	return nil
}
func (c *checkPub) Flush(context.Context) error { return nil }

func FuzzBuildQueries(f *testing.F) {
	f.Add("air france", "grève", "airfrance", "air_france", "fr", 500)
	f.Add(`"quoted" phrase\`, "OR", "#", "@x@y", "zz-ZZ", 64)
	f.Fuzz(func(t *testing.T, phrase, term, tag, handle, lang string, max int) {
		max = 64 + (max&0x7fffffff)%4033
		up := watch.Upstream{Terms: []string{term}, Phrases: []string{phrase}, Hashtags: []string{tag}, Handles: []string{handle}, Langs: []string{lang}}
		p, _ := buildSearch(up, max)
		for _, q := range p.queries {
			if utf8.RuneCountInString(q) > max || strings.Count(q, `"`)%2 != 0 {
				t.Fatalf("bad query %q (max %d)", q, max)
			}
		}
		sp, _ := buildStream([]watch.Upstream{up})
		for _, tr := range sp.track {
			if len(tr) > maxTrackBytes || tr == "" || strings.Contains(tr, ",") {
				t.Fatalf("bad track phrase %q", tr)
			}
		}
	})
}

func BenchmarkSearchPage(b *testing.B) {
	page, err := os.ReadFile("testdata/search_tweets.json")
	if err != nil {
		b.Fatal(err)
	}
	s := bareSource(b)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		var p gotwitter.Search
		if err := json.Unmarshal(page, &p); err != nil {
			b.Fatal(err)
		}
		if _, err := s.publishTweets(context.Background(), discardPub{}, p.Statuses, feedSearch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*7)/b.Elapsed().Seconds(), "posts/s")
}

// A stream message as the demuxer hands it over: decode + convert +
// normalize (go-twitter decodes every message twice: into a map, then
// into its type).
func BenchmarkStreamTweet(b *testing.B) {
	line := fixtureLines(b)[0]
	s := bareSource(b)
	st := &streamState{lastSave: s.now()}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		var data map[string]any
		if err := json.Unmarshal(line, &data); err != nil {
			b.Fatal(err)
		}
		t := new(gotwitter.Tweet)
		if err := json.Unmarshal(line, t); err != nil {
			b.Fatal(err)
		}
		if err := s.handle(context.Background(), discardPub{}, t, st); err != nil {
			b.Fatal(err)
		}
	}
}
