package bluesky

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

func decodeFixturePosts(t testing.TB, name string) (posts []*postView, bad int) {
	t.Helper()
	sp, err := decodeSearchPage(collectortest.ReadFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range sp.Posts {
		p, err := decodePost(raw)
		if err != nil {
			bad++
			continue
		}
		posts = append(posts, p)
	}
	return posts, bad
}

func TestConvertSearchPosts(t *testing.T) {
	posts, bad := decodeFixturePosts(t, "search_first.json")
	if len(posts) != 3 || bad != 1 {
		t.Fatalf("%d posts, %d bad; want 3 and 1", len(posts), bad)
	}
	var ms []*mention.Mention
	for _, p := range posts {
		m := p.toMention(testNow, 1000)
		if err := mention.Normalize(m, mention.Limits{}, testNow); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	lea, sam, news := ms[0], ms[1], ms[2]
	if lea.ID != "bluesky:did:plc:lea5t7k2yq3mzv6n4xw2bc7d/3m4qz2kd7xs2a" || lea.Source != "bluesky" ||
		lea.URL != "https://bsky.app/profile/lea.bsky.social/post/3m4qz2kd7xs2a" {
		t.Errorf("identity: %s %s %s", lea.ID, lea.Source, lea.URL)
	}
	if !lea.CreatedAt.Equal(time.Date(2026, 11, 2, 8, 55, 10, 412e6, time.UTC)) || lea.Lang != "fr" ||
		!slices.Equal(lea.Hashtags, []string{"airfrance"}) || lea.Likes != 14 || lea.Reposts != 6 || lea.Replies != 2 {
		t.Errorf("lea = %+v", lea)
	}
	wantAuthor := mention.Author{ID: "did:plc:sam3vq7x2kz5n6m4w7y2tr3p", Handle: "sam.travel", Name: "Sam 🌍", Followers: 1000, Verified: true}
	if sam.Author != wantAuthor {
		t.Errorf("author = %+v, want %+v", sam.Author, wantAuthor)
	}
	if sam.ReplyTo != "bluesky:did:plc:lea5t7k2yq3mzv6n4xw2bc7d/3m4qxw3bz5k2c" || !slices.Equal(sam.Mentions, []string{"lea.bsky.social"}) || sam.Lang != "en" {
		t.Errorf("sam = %+v", sam)
	}
	if news.QuoteOf != "bluesky:did:plc:lea5t7k2yq3mzv6n4xw2bc7d/3m4qxw3bz5k2c" || news.Lang != "fr" ||
		!slices.Equal(news.Links, []string{"https://www.lemonde.fr/economie/article/2026/11/02/greve-des-pilotes-air-france_6123456_3234.html"}) {
		t.Errorf("news = %+v", news)
	}

	posts, _ = decodeFixturePosts(t, "search_new.json")
	if q := posts[1].toMention(testNow, 0).QuoteOf; q != "bluesky:did:plc:nws4k7q2m6x3z5v2n7y4bd2k/3m4qyt2pl6s2d" {
		t.Errorf("recordWithMedia quote_of = %q", q)
	}
	posts, _ = decodeFixturePosts(t, "search_older.json")
	late := posts[0].toMention(testNow, 0)
	if !slices.Equal(late.Hashtags, []string{"airfrance", "grève"}) || !slices.Equal(late.Links, []string{"https://www.francetvinfo.fr/economie/greve/air-france.html"}) {
		t.Errorf("late = %+v", late)
	}
	if got := posts[0].sortAt(); !got.Equal(time.Date(2026, 11, 2, 8, 54, 30, 0, time.UTC)) {
		t.Errorf("sortAt = %v, want createdAt (earlier than indexedAt)", got)
	}
}

func TestEventTimeAndSortAt(t *testing.T) {
	p := &postView{URI: "at://did:plc:x/app.bsky.feed.post/r", IndexedAt: "2026-11-02T08:00:00Z"}
	p.Record.CreatedAt = "2030-01-01T00:00:00Z" // a client clock far ahead
	if m := p.toMention(testNow, 0); !m.CreatedAt.Equal(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("created_at = %v, want indexedAt", m.CreatedAt)
	}
	if !p.sortAt().Equal(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("sortAt = %v", p.sortAt())
	}
	p.Record.CreatedAt = "not a time"
	if m := p.toMention(testNow, 0); !m.CreatedAt.Equal(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("created_at = %v, want indexedAt", m.CreatedAt)
	}
}

func TestParseATURI(t *testing.T) {
	for in, want := range map[string]string{
		"at://did:plc:abc/app.bsky.feed.post/3k2":      "bluesky:did:plc:abc/3k2",
		"at://did:web:ex.example/app.bsky.feed.post/x": "bluesky:did:web:ex.example/x",
		"at://did:plc:abc/app.bsky.feed.like/3k2":      "",
		"at://alice.example/app.bsky.feed.post/3k2":    "",
		"at://did:plc:abc/app.bsky.feed.post":          "",
		"at://did:plc:abc/app.bsky.feed.post/a/b":      "",
		"at://did:plc:a b/app.bsky.feed.post/x":        "",
		"https://bsky.app/profile/x/post/y":            "",
		"":                                             "",
	} {
		if got := postID(in); got != want {
			t.Errorf("postID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFacetOutOfRange(t *testing.T) {
	r := &postRecord{Text: "@a", Facets: []facet{{}}}
	r.Facets[0].Index.ByteStart, r.Facets[0].Index.ByteEnd = 0, 99
	r.Facets[0].Features = append(r.Facets[0].Features, struct {
		Type string `json:"$type"`
		DID  string `json:"did"`
		URI  string `json:"uri"`
		Tag  string `json:"tag"`
	}{Type: "app.bsky.richtext.facet#mention", DID: "did:plc:a"})
	m := recordMention(atURI{did: "did:plc:x", collection: postCollection, rkey: "r"}, r, testNow)
	if !slices.Equal(m.Mentions, []string{"did:plc:a"}) {
		t.Errorf("mentions = %q", m.Mentions)
	}
}

func FuzzPost(f *testing.F) {
	for _, name := range []string{"search_first.json", "search_new.json", "search_older.json"} {
		sp, _ := decodeSearchPage(collectortest.ReadFixture(f, name))
		for _, raw := range sp.Posts {
			f.Add([]byte(raw))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := decodePost(raw)
		if err != nil {
			return
		}
		m := p.toMention(testNow, 1)
		if mention.Normalize(m, mention.Limits{}, testNow) != nil {
			return
		}
		if m.Source != Name || !strings.HasPrefix(m.ID, "bluesky:did:") || !strings.HasPrefix(m.URL, "https://bsky.app/profile/") {
			t.Fatalf("bad identity %q %q %q", m.Source, m.ID, m.URL)
		}
	})
}

func FuzzJetstreamEvent(f *testing.F) {
	for _, line := range strings.Split(strings.TrimSpace(string(collectortest.ReadFixture(f, "jetstream.jsonl"))), "\n") {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, m, err := jetPost(data, testNow)
		if err != nil || m == nil {
			return
		}
		if ev == nil || !strings.HasPrefix(m.ID, "bluesky:"+ev.DID+"/") {
			t.Fatalf("id %q for event %+v", m.ID, ev)
		}
	})
}

func BenchmarkConvertSearchPage(b *testing.B) {
	body := collectortest.ReadFixture(b, "search_first.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		sp, _ := decodeSearchPage(body)
		for _, raw := range sp.Posts {
			if p, err := decodePost(raw); err == nil {
				_ = mention.Normalize(p.toMention(testNow, 0), mention.Limits{}, testNow)
			}
		}
	}
}

func BenchmarkJetstreamEvent(b *testing.B) {
	line := []byte(strings.Split(string(collectortest.ReadFixture(b, "jetstream.jsonl")), "\n")[0])
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		_, m, err := jetPost(line, testNow)
		if err != nil || m == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJetstreamFilter is the firehose's per-event cost: decode the
// event, build the mention, match it against the watches.
func BenchmarkJetstreamFilter(b *testing.B) {
	m, err := watch.Compile([]watch.Spec{
		{ID: "airfrance", Kind: watch.KindBrand, Query: `"air france" OR airfrance OR #boycottairfrance`},
		{ID: "sncf", Kind: watch.KindBrand, Query: `sncf OR "tgv inoui" OR ouigo`},
		{ID: "orange", Kind: watch.KindBrand, Query: `(orange AND (fibre OR 5g OR livebox OR panne)) OR @orange_conseil`},
	})
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(collectortest.ReadFixture(b, "jetstream.jsonl"))), "\n")
	var events [][]byte
	for _, l := range lines {
		events = append(events, []byte(l))
	}
	var matches []string
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, mm, err := jetPost(events[i%len(events)], testNow)
		i++
		if err != nil || mm == nil {
			continue
		}
		doc := watch.DocOf(mm)
		matches = m.Match(&doc, matches[:0])
	}
}
