package simulate

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTemplates renders every template of both languages and sectors:
// no slot is left, and every template about a brand names it.
func TestTemplates(t *testing.T) {
	bs := &brandState{Brand: Brand{ID: "airfrance", Name: "Air France"}, forms: []string{"Air France"}, formal: []string{"Air France"}}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, lex := range []*lexicon{frenchLexicon(), englishLexicon()} {
		for sector := range nSectors {
			v := newVocab(lex, sector)
			s := &slots{rng: rng, v: v, brand: bs, comp: "Lufthansa", tag: "#boycott", inc: v.incidents[0], to: "@someone", at: monday, host: "news"}
			named := map[string][]string{"official": v.official.all, "media": v.media, "care": lex.care,
				"statement": {v.statement}, "advocacy": lex.empAdvocacy, "complaint": lex.empComplaint,
				"idea": lex.empIdea, "risky": lex.empRisky}
			for tn := range nTones {
				named["core"] = append(named["core"], v.core[tn].all...)
				named["crisis"] = append(named["crisis"], v.crisis[tn].all...)
				named["employee crisis"] = append(named["employee crisis"], lex.empCrisis[tn]...)
				if len(v.core[tn].solo) == 0 || len(v.crisis[tn].all) == 0 || len(lex.openers[tn]) == 0 || len(lex.tails[tn]) == 0 {
					t.Errorf("lang %d sector %d tone %d: an empty list", lex.lang, sector, tn)
				}
			}
			for list, tmpls := range named {
				for _, tmpl := range tmpls {
					out := string(render(nil, tmpl, s))
					if strings.ContainsAny(out, "{}") || strings.Contains(out, "  ") || out != strings.TrimSpace(out) {
						t.Errorf("%s %q renders as %q", list, tmpl, out)
					}
					if !strings.Contains(out, "Air France") {
						t.Errorf("%s %q does not name the brand", list, tmpl)
					}
				}
			}
			for _, tmpl := range lex.switchers {
				if out := string(render(nil, tmpl, s)); !strings.Contains(out, "Lufthansa") {
					t.Errorf("switcher %q renders as %q", tmpl, out)
				}
			}
		}
	}
}

func TestElision(t *testing.T) {
	for _, tc := range []struct {
		lang       int
		word, name string
		want       string
	}{
		{fr, "de", "Air France", "d'Air France"},
		{fr, "de", "easyJet", "d'easyJet"},
		{fr, "de", "Lufthansa", "de Lufthansa"},
		{fr, "que", "Orange", "qu'Orange"},
		{fr, "de", "Élysée", "d'Élysée"},
		{fr, "de", "@airfrance", "de @airfrance"},
		{fr, "de", "#airfrance", "de #airfrance"},
		{fr, "de", "", "de "},
		{en, "de", "Air France", "Air France"},
	} {
		if got := string(appendElided(nil, tc.lang, tc.word, tc.name)); got != tc.want {
			t.Errorf("appendElided(%q, %q) = %q, want %q", tc.word, tc.name, got, tc.want)
		}
	}
}

func TestCapitalizeSentences(t *testing.T) {
	for _, tc := range []struct {
		in    string
		first bool
		want  string
	}{
		{"honteux. la direction se tait", true, "Honteux. La direction se tait"},
		{"honteux. la direction se tait", false, "honteux. La direction se tait"},
		{"été pourri ? ça arrive", true, "Été pourri ? Ça arrive"},
		{"vu. https://x.example/a ok", true, "Vu. https://x.example/a ok"},
		{"#airfrance. @airfrance! ok", true, "#airfrance. @airfrance! Ok"},
		{"ſtar. ıstanbul", true, "ſtar. ıstanbul"}, // would not lower-case back
		{"", true, ""},
	} {
		if got := string(capitalizeSentences([]byte(tc.in), 0, tc.first)); got != tc.want {
			t.Errorf("capitalizeSentences(%q, %v) = %q, want %q", tc.in, tc.first, got, tc.want)
		}
	}
}

func TestExtract(t *testing.T) {
	for _, tc := range []struct {
		text                 string
		tags, handles, links []string
	}{
		{"RT @AirFrance: Vol annulé #Grève #grève #CDG. https://lnk.example/Ab3, bof",
			[]string{"grève", "cdg"}, []string{"airfrance"}, []string{"https://lnk.example/Ab3"}},
		{"mail moi à a@b.example, C# c'est bien #1er", []string{"1er"}, nil, nil},
		{"https://mastodon.example/@bob/12#top @bob_2!", nil, []string{"bob_2"}, []string{"https://mastodon.example/@bob/12#top"}},
		{"(#boycott) «@airfrance» # @ ##", []string{"boycott"}, []string{"airfrance"}, nil},
		{"", nil, nil, nil},
	} {
		tags, handles, links := extract(tc.text)
		if !slices.Equal(tags, tc.tags) || !slices.Equal(handles, tc.handles) || !slices.Equal(links, tc.links) {
			t.Errorf("extract(%q) = %q %q %q, want %q %q %q", tc.text, tags, handles, links, tc.tags, tc.handles, tc.links)
		}
	}
}

func TestParisOffset(t *testing.T) {
	for _, tc := range []struct {
		utc  string
		want time.Duration
	}{
		{"2026-01-15T12:00:00Z", time.Hour},
		{"2026-03-29T00:59:59Z", time.Hour},     // last Sunday of March, before 01:00 UTC
		{"2026-03-29T01:00:00Z", 2 * time.Hour}, // summer time starts
		{"2026-07-14T12:00:00Z", 2 * time.Hour},
		{"2026-10-25T00:59:59Z", 2 * time.Hour},
		{"2026-10-25T01:00:00Z", time.Hour}, // winter time starts
		{"2027-03-28T01:00:00Z", 2 * time.Hour},
		{"2025-10-26T00:30:00Z", 2 * time.Hour},
	} {
		at, _ := time.Parse(time.RFC3339, tc.utc)
		if got := parisOffset(at); got != tc.want {
			t.Errorf("parisOffset(%s) = %s, want %s", tc.utc, got, tc.want)
		}
	}
}

func TestPoisson(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, lam := range []float64{0.05, 0.8, 7, 45, 260} {
		const n = 20000
		var sum, sq float64
		for range n {
			k := float64(poisson(rng, lam))
			sum += k
			sq += k * k
		}
		mean := sum / n
		variance := sq/n - mean*mean
		// Five standard errors of the mean; the variance of a Poisson equals its mean.
		if se := math.Sqrt(lam / n); math.Abs(mean-lam) > 5*se || math.Abs(variance/lam-1) > 0.1 {
			t.Errorf("poisson(%v): mean %.3f, variance %.3f", lam, mean, variance)
		}
	}
	for _, bad := range []float64{0, -1, math.NaN()} {
		if k := poisson(rng, bad); k != 0 {
			t.Errorf("poisson(%v) = %d", bad, k)
		}
	}
}

func TestCrisisCurve(t *testing.T) {
	c := &crisisCurve{onset: monday, ramp: time.Hour, peak: 20, halfLife: 90 * time.Minute}
	for _, tc := range []struct {
		at   time.Duration
		want float64
	}{
		{-time.Minute, 1}, {0, 1}, {10 * time.Minute, math.Pow(20, 1.0/6)}, {30 * time.Minute, math.Sqrt(20)}, {time.Hour, 20},
		{time.Hour + 90*time.Minute, 10.5}, {time.Hour + 15*time.Hour, 1 + 19.0/1024},
	} {
		if got := c.factor(monday.Add(tc.at)); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("factor(onset%+v) = %v, want %v", tc.at, got, tc.want)
		}
	}
	prev := 1.0
	for m := range 60 {
		f := c.factor(monday.Add(time.Duration(m) * time.Minute))
		if f < prev {
			t.Fatalf("the ramp goes down at minute %d", m)
		}
		prev = f
	}
	var none *crisisCurve
	if none.factor(monday) != 1 || none.progress(monday) != 0 {
		t.Error("a nil curve is not neutral")
	}
}

func TestActivity(t *testing.T) {
	// Tuesday 7 July 2026: 04:00 in Paris is 02:00 UTC, noon is 10:00 UTC.
	night := activity(time.Date(2026, 7, 7, 2, 0, 0, 0, time.UTC))
	noon := activity(time.Date(2026, 7, 7, 10, 0, 0, 0, time.UTC))
	sunday := activity(time.Date(2026, 7, 5, 10, 0, 0, 0, time.UTC))
	if night != 0.05 || noon != 1 || sunday != 0.62 {
		t.Errorf("activity: 04h %v, noon %v, Sunday noon %v", night, noon, sunday)
	}
	if m, sq := meanActivity(1), meanActivity(2); m < 0.4 || m > 0.8 || sq < m*m || sq > m {
		t.Errorf("meanActivity: %v, of squares %v", m, sq)
	}
}
