package xapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

type discardPub struct{}

func (discardPub) Publish(context.Context, *mention.Mention) error { return nil }
func (discardPub) Flush(context.Context) error                     { return nil }

// countPub counts and checks what it is given.
type countPub struct {
	n   int
	bad error
}

func (c *countPub) Publish(_ context.Context, m *mention.Mention) error {
	c.n++
	if c.bad == nil && (!strings.HasPrefix(m.ID, IDPrefix) || m.Source != MentionSource || m.CreatedAt.IsZero()) {
		c.bad = &mention.FieldError{Field: "id", Reason: m.ID}
	}
	return nil
}
func (c *countPub) Flush(context.Context) error { return nil }

// bareSource is a Source with only what parsing needs.
func bareSource(tb testing.TB) *Source {
	m, err := httpsrc.NewMetrics(nil)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2024, 11, 14, 7, 0, 0, 0, time.UTC)
	return &Source{log: slog.New(slog.DiscardHandler), m: m, now: func() time.Time { return now }}
}

func FuzzSearchPage(f *testing.F) {
	page, err := os.ReadFile("testdata/search_recent.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(page)
	f.Add([]byte(`{"data":[{"id":"1","created_at":"2024-01-01T00:00:00Z","referenced_tweets":[{"type":"retweeted","id":"2"}]}],"includes":{"tweets":[{"id":"2","text":"x"}]}}`))
	f.Add([]byte(`{"data":[null,1,"x",{}],"includes":{"users":[null,{"id":"x"}]}}`))
	s := bareSource(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p searchPage
		if json.Unmarshal(data, &p) != nil {
			return
		}
		var pub countPub
		st, err := s.publishTweets(context.Background(), &pub, p.Data, p.Includes, feedSearch)
		if err != nil {
			t.Fatal(err)
		}
		if pub.bad != nil {
			t.Fatal(pub.bad)
		}
		if st.published != pub.n || pub.n > len(p.Data) {
			t.Fatalf("published %d, counted %d, of %d", st.published, pub.n, len(p.Data))
		}
	})
}

func FuzzStreamBody(f *testing.F) {
	lines, err := os.ReadFile("testdata/stream.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.ReplaceAll(lines, []byte("\n"), []byte("\r\n\r\n")))
	f.Add([]byte("\r\n\r\n{\"errors\":[{}]}\r\n{\"data\":null}\r\n"))
	s := bareSource(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var pub countPub
		err := s.readStream(context.Background(), &pub, bufio.NewReaderSize(bytes.NewReader(body), 64))
		if err != errStreamEnded {
			t.Fatalf("readStream = %v, want the end of the stream", err)
		}
		if pub.bad != nil {
			t.Fatal(pub.bad)
		}
	})
}

func FuzzBuildQueries(f *testing.F) {
	f.Add("air france", "grève", "airfrance", "air_france", "fr", 512)
	f.Add(`"quoted" phrase\`, "OR", "#", "@x@y", "zz-ZZ", 64)
	f.Fuzz(func(t *testing.T, phrase, term, tag, handle, lang string, max int) {
		max = 64 + (max&0x7fffffff)%4033
		up := watch.Upstream{Terms: []string{term}, Phrases: []string{phrase}, Hashtags: []string{tag}, Handles: []string{handle}, Langs: []string{lang}}
		qs, _ := buildQueries(up, max)
		for _, q := range qs {
			if utf8.RuneCountInString(q) > max {
				t.Fatalf("%q over %d characters", q, max)
			}
			if strings.Count(q, `"`)%2 != 0 {
				t.Fatalf("%q has unbalanced quotes", q)
			}
		}
	})
}

func BenchmarkSearchPage(b *testing.B) {
	page, err := os.ReadFile("testdata/search_recent.json")
	if err != nil {
		b.Fatal(err)
	}
	s := bareSource(b)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		var p searchPage
		if err := json.Unmarshal(page, &p); err != nil {
			b.Fatal(err)
		}
		if _, err := s.publishTweets(context.Background(), discardPub{}, p.Data, p.Includes, feedSearch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*8)/b.Elapsed().Seconds(), "posts/s")
}

func BenchmarkStream(b *testing.B) {
	lines, err := os.ReadFile("testdata/stream.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	msg := bytes.Split(lines, []byte("\n"))[0] // a post with its includes
	var body bytes.Buffer
	const n = 1000
	for range n {
		body.Write(msg)
		body.WriteString("\r\n")
	}
	s := bareSource(b)
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.readStream(context.Background(), discardPub{}, bufio.NewReader(bytes.NewReader(body.Bytes()))); err != errStreamEnded {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "posts/s")
}
