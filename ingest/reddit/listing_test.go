package reddit

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/mention"
)

func decodeFixture(t testing.TB, name string) (posts []*link, bad int) {
	t.Helper()
	l, err := decodeListing(collectortest.ReadFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range l.Data.Children {
		p, err := decodeLink(c.Data)
		if err != nil {
			bad++
			continue
		}
		posts = append(posts, p)
	}
	return posts, bad
}

func TestConvertListing(t *testing.T) {
	posts, bad := decodeFixture(t, "new_france_1.json")
	if len(posts) != 3 || bad != 0 {
		t.Fatalf("%d posts, %d bad", len(posts), bad)
	}
	self := posts[0].toMention(testNow)
	if err := mention.Normalize(self, mention.Limits{}, testNow); err != nil {
		t.Fatal(err)
	}
	if self.ID != "reddit:1gk7x5a" || self.Source != "reddit" || self.URL != "https://www.reddit.com/r/france/comments/1gk7x5a/air_france_annule_encore_mon_vol/" {
		t.Errorf("identity %s %s %s", self.ID, self.Source, self.URL)
	}
	if !strings.HasPrefix(self.Text, "Air France annule encore mon vol, des conseils pour le remboursement ?\n\nVol Paris-Montréal annulé") {
		t.Errorf("text = %q", self.Text)
	}
	if !self.CreatedAt.Equal(time.Date(2026, 11, 2, 8, 50, 0, 0, time.UTC)) || self.Lang != "" || self.Likes != 42 || self.Replies != 17 {
		t.Errorf("self = %+v", self)
	}
	if want := (mention.Author{ID: "t2_euro9x2k", Handle: "eurotrip22", Name: "eurotrip22"}); self.Author != want {
		t.Errorf("author = %+v, want %+v", self.Author, want)
	}
	if !slices.Equal(self.Links, []string{"https://www.ecologie.gouv.fr/droits-des-passagers-aeriens"}) || !slices.Equal(self.Mentions, []string{"modfrance"}) {
		t.Errorf("links %q mentions %q", self.Links, self.Mentions)
	}
	if !posts[1].Over18 {
		t.Error("over_18 not read")
	}
	cross := posts[2].toMention(testNow)
	if cross.RepostOf != "reddit:1gk6zzz" || cross.Reposts != 2 || cross.Text != "Grève des pilotes : ce que dit la direction d'Air France" ||
		!slices.Equal(cross.Links, []string{"https://www.lemonde.fr/economie/article/2026/11/02/greve-des-pilotes-air-france_6123456_3234.html"}) {
		t.Errorf("crosspost = %+v", cross)
	}

	posts, bad = decodeFixture(t, "search_1.json")
	if len(posts) != 2 || bad != 1 {
		t.Fatalf("search: %d posts, %d bad", len(posts), bad)
	}
	if m := posts[0].toMention(testNow); !slices.Equal(m.Links, []string{"https://imgur.com/a/x7Yq2Kp"}) {
		t.Errorf("links = %q", m.Links)
	}
	if m := posts[1].toMention(testNow); m.Author != (mention.Author{}) {
		t.Errorf("deleted author = %+v", m.Author)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{
		`{}`, `{"id":"1gk7x5a"}`, `{"id":"1GK","created_utc":1793609700}`, `{"id":"a b","created_utc":1}`,
		`{"id":"1gk7x5a","name":"t3_other","created_utc":1793609700}`, `{"id":"1gk7x5a","created_utc":-5}`,
		`{"id":"1gk7x5a","created_utc":"1793609700"}`, `{"id":"1gk7x5a","created_utc":1e300}`,
	} {
		if p, err := decodeLink([]byte(in)); err == nil {
			t.Errorf("decodeLink(%s) = %+v, want an error", in, p)
		}
	}
	for _, in := range []string{`[]`, `{"kind":"t3"}`, `{"kind":"Listing","data":{"children":{}}}`, `x`} {
		if _, err := decodeListing([]byte(in)); err == nil {
			t.Errorf("decodeListing(%s) accepted", in)
		}
	}
	if p, err := decodeLink([]byte(`{"id":"1gk7x5a","created_utc":1793609700.5,"score":-12}`)); err != nil || p.toMention(testNow).Likes != 0 {
		t.Errorf("negative score: %v", err)
	}
}

func TestNewerID(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"1gk7y2b", "1gk7x5a", true}, {"1gk7x5a", "1gk7y2b", false}, {"zz", "100", false}, {"100", "zz", true}, {"a", "a", false}} {
		if got := newerID(tc.a, tc.b); got != tc.want {
			t.Errorf("newerID(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

func TestTextHelpers(t *testing.T) {
	links := textLinks("see [this](https://a.example/x_(y)) and <https://b.example/p>, or http://c.example/z. Not httpx://d nor https:// alone")
	if want := []string{"https://a.example/x_(y)", "https://b.example/p", "http://c.example/z"}; !slices.Equal(links, want) {
		t.Errorf("links = %q, want %q", links, want)
	}
	if got := userMentions("thanks u/Alice_1 and /u/bob-2, not emu/xyz nor u/ab; (u/carol)"); !slices.Equal(got, []string{"alice_1", "bob-2", "carol"}) {
		t.Errorf("mentions = %q", got)
	}
}

func FuzzListing(f *testing.F) {
	for _, name := range []string{"new_france_1.json", "search_1.json", "search_2.json"} {
		f.Add(collectortest.ReadFixture(f, name))
	}
	f.Add([]byte(`{"kind":"Listing","data":{"after":null,"children":[{"kind":"t3","data":{"id":"z","created_utc":1793609700,"selftext":"u/x http://"}}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		l, err := decodeListing(body)
		if err != nil {
			return
		}
		for _, c := range l.Data.Children {
			p, err := decodeLink(c.Data)
			if err != nil {
				continue
			}
			m := p.toMention(testNow)
			if mention.Normalize(m, mention.Limits{}, testNow) != nil {
				continue
			}
			if m.ID != "reddit:"+p.ID || !strings.HasPrefix(m.URL, "https://www.reddit.com/") || m.Likes < 0 {
				t.Fatalf("bad mention %+v", m)
			}
		}
	})
}

func BenchmarkConvertListing(b *testing.B) {
	body := collectortest.ReadFixture(b, "new_france_2.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		l, _ := decodeListing(body)
		for _, c := range l.Data.Children {
			if p, err := decodeLink(c.Data); err == nil {
				_ = mention.Normalize(p.toMention(testNow), mention.Limits{}, testNow)
			}
		}
	}
}
