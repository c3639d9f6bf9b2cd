package twitter

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigie-project/vigie/ingest/watch"
)

func upstream(t *testing.T, query string, lang ...string) watch.Upstream {
	t.Helper()
	m, err := watch.Compile([]watch.Spec{{ID: "w", Name: "w", Kind: watch.KindTopic, Query: query, Lang: lang}})
	if err != nil {
		t.Fatal(err)
	}
	return m.Upstream("w")
}

func TestBuildSearch(t *testing.T) {
	p, out := buildSearch(upstream(t, `("Air France" OR #airfrance OR @airfrance) AND (grève OR grev*)`, "fr"), 500)
	if want := []string{`grève OR "air france" OR #airfrance OR @airfrance OR from:airfrance`}; !slices.Equal(p.queries, want) || p.lang != "fr" {
		t.Errorf("plan %+v, want %q lang fr", p, want)
	}
	if len(out) != 1 || out[0].Term != "grev*" {
		t.Errorf("dropped %+v", out)
	}
	p, _ = buildSearch(upstream(t, `alpha OR bravo OR charlie OR delta`, "fr", "en"), 20)
	if want := []string{"alpha OR bravo", "charlie OR delta"}; !slices.Equal(p.queries, want) || p.lang != "" {
		t.Errorf("plan %+v, want %q and no lang (two languages)", p, want)
	}
	for _, q := range p.queries {
		if utf8.RuneCountInString(q) > 20 {
			t.Errorf("%q over the limit", q)
		}
	}
}

func TestBuildStream(t *testing.T) {
	p, out := buildStream([]watch.Upstream{
		upstream(t, `("Air France" OR #airfrance OR @AirFrance) NOT recrutement`),
		upstream(t, `"mouvement social" OR grève OR "Société Générale - groupe"`, "fr"),
	})
	want := []string{"air france", "airfrance", "grève", "greve", "mouvement social", "société générale groupe", "societe generale groupe"}
	if !slices.Equal(p.track, want) {
		t.Errorf("track %q, want %q", p.track, want)
	}
	if !slices.Equal(p.handles, []string{"airfrance"}) || p.langs != nil || len(out) != 0 {
		t.Errorf("handles %q langs %q dropped %+v", p.handles, p.langs, out)
	}
	p, _ = buildStream([]watch.Upstream{upstream(t, "a", "fr"), upstream(t, "b", "en", "fr")})
	if !slices.Equal(p.langs, []string{"fr", "en"}) {
		t.Errorf("langs %q: every watch has languages, their union", p.langs)
	}
}

func TestTrackLimits(t *testing.T) {
	var terms []string
	for i := range 450 {
		terms = append(terms, fmt.Sprintf("term%d", i))
	}
	p, out := buildStream([]watch.Upstream{{Terms: terms}})
	if len(p.track) != maxTrack || len(out) != 50 {
		t.Errorf("%d tracked, %d dropped; want 400 and 50", len(p.track), len(out))
	}
	long := trackPhrase("un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze")
	if len(long) > maxTrackBytes || !strings.HasPrefix(long, "un deux trois") {
		t.Errorf("trackPhrase = %q (%d bytes)", long, len(long))
	}
}
