package xapi

import (
	"github.com/vigie-project/vigie/ingest/internal/tweetquery"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigie-project/vigie/ingest/watch"
)

func TestBuildQueries(t *testing.T) {
	for _, c := range []struct {
		name    string
		query   string
		lang    []string
		max     int
		want    []string
		dropped []string
	}{
		{
			name:  "brand",
			query: `("Air France" OR #airfrance OR @airfrance OR author:airfrance) NOT (recrutement OR #job)`,
			max:   512,
			want:  []string{`"air france" OR #airfrance OR @airfrance OR from:airfrance`},
		},
		{
			name:    "topic with language and wildcard",
			query:   `("Air France" OR #airfrance) AND (grève OR grev* OR "mouvement social")`,
			lang:    []string{"fr"},
			max:     512,
			want:    []string{`(grève OR "air france" OR "mouvement social" OR #airfrance) lang:fr`},
			dropped: []string{"grev*"},
		},
		{
			name:  "two languages, one term",
			query: `klm lang:fr OR klm lang:nl`,
			max:   512,
			want:  []string{`klm (lang:fr OR lang:nl)`},
		},
		{
			name:  "split at the length limit",
			query: `alpha OR bravo OR charlie OR delta OR echo OR foxtrot`,
			lang:  []string{"en"},
			max:   40,
			want:  []string{`(alpha OR bravo OR charlie) lang:en`, `(delta OR echo OR foxtrot) lang:en`},
		},
		{
			name:    "not X accounts",
			query:   `@alex@mamot.fr OR @a_very_long_handle_name OR vigie`,
			max:     512,
			want:    []string{`vigie`},
			dropped: []string{"@alex@mamot.fr", "@a_very_long_handle_name"},
		},
		{
			name:  "operators and punctuation are quoted",
			query: `OR_ OR "l'Oréal" OR saint-gobain`,
			max:   512,
			want:  []string{`or_ OR "l'oréal" OR "saint-gobain"`},
		},
		{
			name:    "only a wildcard",
			query:   `rembours*`,
			max:     512,
			dropped: []string{"rembours*"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := watch.Compile([]watch.Spec{{ID: "w", Name: "w", Kind: watch.KindTopic, Query: c.query, Lang: c.lang}})
			if err != nil {
				t.Fatal(err)
			}
			got, dropped := buildQueries(m.Upstream("w"), c.max)
			if !slices.Equal(got, c.want) {
				t.Errorf("queries\n got %q\nwant %q", got, c.want)
			}
			var terms []string
			for _, d := range dropped {
				terms = append(terms, d.Term)
			}
			if !slices.Equal(terms, c.dropped) {
				t.Errorf("dropped %q, want %q", terms, c.dropped)
			}
			for _, q := range got {
				if n := utf8.RuneCountInString(q); n > c.max {
					t.Errorf("%q is %d characters, over %d", q, n, c.max)
				}
			}
		})
	}
}

// Every item lands in exactly one query, none over the limit.
func TestPackKeepsEveryItem(t *testing.T) {
	var items []string
	for i := range 300 {
		items = append(items, strings.Repeat("é", 1+i%17))
	}
	for _, max := range []int{64, 100, 512, 1024} {
		qs, tooLong := pack(items, " lang:fr", max)
		if len(tooLong) != 0 {
			t.Fatalf("max %d: dropped %q", max, tooLong)
		}
		n := 0
		for _, q := range qs {
			if utf8.RuneCountInString(q) > max {
				t.Errorf("max %d: %q too long", max, q)
			}
			n += len(strings.Split(strings.TrimSuffix(strings.Trim(q, "()"), ") lang:fr"), " OR "))
		}
		if n != len(items) {
			t.Errorf("max %d: %d items in the queries, want %d", max, n, len(items))
		}
	}
}

func TestKeyword(t *testing.T) {
	for in, want := range map[string]string{
		"greve": "greve", "grève": "grève", "or": `"or"`, "AND": `"AND"`, "a-b": `"a-b"`,
		`say"hi`: `"say hi"`, "東京": "東京", "snake_case": "snake_case",
	} {
		if got := tweetquery.Keyword(in); got != want {
			t.Errorf("tweetquery.Keyword(%q) = %s, want %s", in, got, want)
		}
	}
}
