package mastodon

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/mention"
)

var testNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// convertPage decodes a fixture page and converts every status that
// decodes, in page order.
func convertPage(t *testing.T, name string) (ms []*mention.Mention, bad int) {
	t.Helper()
	page, err := decodePage(collectortest.ReadFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	c := converter{host: "mastodon.social", now: testNow}
	for _, raw := range page {
		st, err := decodeStatus(raw)
		if err != nil {
			bad++
			continue
		}
		if !public(st) {
			continue
		}
		for _, m := range c.mentions(st) {
			if err := mention.Normalize(m, mention.Limits{}, testNow); err != nil {
				t.Fatalf("%s: %v", m.ID, err)
			}
			ms = append(ms, m)
		}
	}
	return ms, bad
}

func TestConvertTagTimeline(t *testing.T) {
	ms, bad := convertPage(t, "tag_airfrance_newest.json")
	if bad != 1 || len(ms) != 2 {
		t.Fatalf("got %d mentions and %d bad statuses, want 2 and 1", len(ms), bad)
	}
	reply, lea := ms[0], ms[1]
	if reply.ID != "mastodon:mastodon.social:115496811320435711" || reply.Source != "mastodon" {
		t.Errorf("id/source = %s/%s", reply.ID, reply.Source)
	}
	if reply.ReplyTo != "mastodon:mastodon.social:115496790112233445" {
		t.Errorf("reply_to = %q", reply.ReplyTo)
	}
	if want := "@lea same here, CDG to JFK cancelled twice this week. #AirFrance & no refund yet"; reply.Text != want {
		t.Errorf("text = %q, want %q", reply.Text, want)
	}
	if reply.Lang != "en" || !reply.CreatedAt.Equal(time.Date(2026, 11, 2, 8, 41, 7, 512e6, time.UTC)) || !reply.CollectedAt.Equal(testNow) {
		t.Errorf("lang %q created %v collected %v", reply.Lang, reply.CreatedAt, reply.CollectedAt)
	}
	wantAuthor := mention.Author{ID: "mastodon.social:109876543210987654", Handle: "travelwithsam@mastodon.social", Name: "Sam 🌍", Followers: 1834}
	if reply.Author != wantAuthor {
		t.Errorf("author = %+v, want %+v", reply.Author, wantAuthor)
	}
	if !slices.Equal(reply.Mentions, []string{"lea@piaille.fr"}) || !slices.Equal(reply.Hashtags, []string{"airfrance"}) {
		t.Errorf("mentions %q hashtags %q", reply.Mentions, reply.Hashtags)
	}
	if reply.Likes != 4 || reply.Reposts != 1 || reply.Replies != 0 {
		t.Errorf("engagement %d/%d/%d", reply.Likes, reply.Reposts, reply.Replies)
	}

	const article = "https://www.lemonde.fr/economie/article/2026/11/02/greve-des-pilotes-air-france_6123456_3234.html"
	if !strings.HasPrefix(lea.Text, "Encore un vol annulé à la dernière minute, on nous propose un bon d'achat") ||
		!strings.Contains(lea.Text, "\n\n#AirFrance #grève\nDétails : "+article) {
		t.Errorf("text = %q", lea.Text)
	}
	if !slices.Equal(lea.Links, []string{article}) {
		t.Errorf("links = %q", lea.Links)
	}
	if lea.URL != "https://piaille.fr/@lea/115496790098765432" || lea.Author.Handle != "lea@piaille.fr" {
		t.Errorf("url %q handle %q", lea.URL, lea.Author.Handle)
	}
	if !slices.Equal(lea.Hashtags, []string{"airfrance", "grève"}) || lea.Likes != 27 || lea.Reposts != 12 || lea.Replies != 3 {
		t.Errorf("hashtags %q engagement %d/%d/%d", lea.Hashtags, lea.Likes, lea.Reposts, lea.Replies)
	}
}

func TestConvertQuoteAndSpoiler(t *testing.T) {
	ms, bad := convertPage(t, "tag_airfrance_after.json")
	if bad != 0 || len(ms) != 2 {
		t.Fatalf("got %d mentions and %d bad", len(ms), bad)
	}
	if ms[0].QuoteOf != "mastodon:mastodon.social:115496790112233445" {
		t.Errorf("quote_of = %q", ms[0].QuoteOf)
	}
	if ms[0].Text != "Pilots' strike: Air France cancels 30% of long-haul flights tomorrow. #AirFrance" {
		t.Errorf("text = %q", ms[0].Text)
	}
	if want := "coup de gueule\n\n3h d'attente au comptoir #AirFrance, personne ne sait rien.\nMerci pour rien."; ms[1].Text != want {
		t.Errorf("text = %q, want %q", ms[1].Text, want)
	}
}

func TestConvertReblogAndPrivate(t *testing.T) {
	ms, _ := convertPage(t, "account_statuses.json")
	// reblogged original, the relay, the public status; the private one is left out.
	if len(ms) != 3 {
		t.Fatalf("got %d mentions, want 3", len(ms))
	}
	orig, relay := ms[0], ms[1]
	if orig.ID != "mastodon:mastodon.social:115496790112233445" || orig.Author.Handle != "lea@piaille.fr" {
		t.Errorf("original = %s by %s", orig.ID, orig.Author.Handle)
	}
	if relay.ID != "mastodon:mastodon.social:115496828000000001" || relay.RepostOf != orig.ID {
		t.Errorf("relay = %s repost_of %s", relay.ID, relay.RepostOf)
	}
	if relay.Author.Handle != "airfrance@mastodon.social" || relay.Author.Followers != 48210 || relay.Text != orig.Text || relay.Lang != "fr" {
		t.Errorf("relay = %+v", relay)
	}
	if !slices.Equal(ms[2].Links, []string{"https://wwws.airfrance.fr/information/vol"}) {
		t.Errorf("links = %q", ms[2].Links)
	}
}

func TestDecodeStatusRejects(t *testing.T) {
	for _, in := range []string{
		`{}`, `{"id":"1"}`, `{"id":"1","created_at":"yesterday"}`, `{"id":{},"created_at":"2026-11-02T08:00:00Z"}`,
		`{"id":"1","created_at":"2026-11-02T08:00:00Z","favourites_count":"many"}`, `[]`, `null`, `nul`,
	} {
		if st, err := decodeStatus([]byte(in)); err == nil {
			t.Errorf("decodeStatus(%s) = %+v, want an error", in, st)
		}
	}
	st, err := decodeStatus([]byte(`{"id":115,"created_at":"2026-11-02T08:00:00Z","in_reply_to_id":null,"language":null,"url":null}`))
	if err != nil || st.ID != "115" {
		t.Fatalf("numeric id: %+v, %v", st, err)
	}
}

func TestNewerID(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"115496811320435711", "115496790112233445", true},
		{"115496790112233445", "115496811320435711", false},
		{"100", "99", true},
		{"099", "100", false},
		{"5", "5", false},
		{"b", "a", true},
		{"9", "a", false},
	} {
		if got := newerID(tc.a, tc.b); got != tc.want {
			t.Errorf("newerID(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// FuzzStatus feeds arbitrary JSON to the decoder and converter: no panic,
// and whatever Normalize accepts has the collector's id and source.
func FuzzStatus(f *testing.F) {
	page, _ := decodePage(collectortest.ReadFixture(f, "tag_airfrance_newest.json"))
	for _, raw := range page {
		f.Add([]byte(raw))
	}
	acc, _ := decodePage(collectortest.ReadFixture(f, "account_statuses.json"))
	f.Add([]byte(acc[0]))
	f.Add([]byte(`{"id":"1","created_at":"2026-11-02T08:00:00Z","reblog":{"id":"2","created_at":"2026-11-02T07:00:00Z"},"quote":{"quoted_status_id":"3"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		st, err := decodeStatus(raw)
		if err != nil {
			return
		}
		for _, m := range (converter{host: "h.example", now: testNow}).mentions(st) {
			if mention.Normalize(m, mention.Limits{}, testNow) != nil {
				continue
			}
			if m.Source != Name || !strings.HasPrefix(m.ID, "mastodon:h.example:") {
				t.Fatalf("bad identity %q %q", m.Source, m.ID)
			}
		}
	})
}

func BenchmarkConvertPage(b *testing.B) {
	body := collectortest.ReadFixture(b, "tag_airfrance_newest.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	c := converter{host: "mastodon.social", now: testNow}
	for b.Loop() {
		page, _ := decodePage(body)
		for _, raw := range page {
			if st, err := decodeStatus(raw); err == nil {
				for _, m := range c.mentions(st) {
					_ = mention.Normalize(m, mention.Limits{}, testNow)
				}
			}
		}
	}
}
