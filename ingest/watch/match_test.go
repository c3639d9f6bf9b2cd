package watch

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// matchOne compiles query as the only watch and matches d, and checks
// that the reference matcher agrees.
func matchOne(t *testing.T, query string, d Doc, lang ...string) bool {
	t.Helper()
	specs := []Spec{{ID: "w", Kind: KindTopic, Query: query, Lang: lang}}
	m, err := Compile(specs)
	if err != nil {
		t.Fatalf("Compile(%q): %v", query, err)
	}
	got := len(m.Match(&d, nil)) == 1
	if ref := len(refMatch(t, specs, &d)) == 1; ref != got {
		t.Errorf("%q on %+v: matcher says %v, reference says %v", query, d, got, ref)
	}
	return got
}

func text(s string) Doc { return Doc{Text: s} }

func TestMatch(t *testing.T) {
	tests := []struct {
		name  string
		query string
		doc   Doc
		want  bool
	}{
		// Operators.
		{"and", `air france`, text("Air France en grève"), true},
		{"and any order", `air france`, text("France, air pur"), true},
		{"and missing", `air france`, text("air seulement"), false},
		{"or", `air OR train`, text("le train"), true},
		{"or none", `air OR train`, text("le bus"), false},
		{"not excludes", `air NOT france`, text("air france"), false},
		{"not absent", `air NOT france`, text("air libre"), true},
		// Precedence: NOT > AND > OR.
		{"or of and 1", `a OR b AND c`, text("a"), true},
		{"or of and 2", `a OR b AND c`, text("b"), false},
		{"or of and 3", `a OR b AND c`, text("c b"), true},
		{"parens", `(a OR b) AND c`, text("a"), false},
		{"parens 2", `(a OR b) AND c`, text("a c"), true},
		{"not binds tight 1", `NOT a AND b OR c`, text("a b"), false},
		{"not binds tight 2", `NOT a AND b OR c`, text("b"), true},
		{"not binds tight 3", `NOT a AND b OR c`, text("a c"), true},
		{"not group", `x NOT (a OR b)`, text("x b"), false},
		{"not group 2", `x NOT (a AND b)`, text("x b"), true},
		// Case, accents, ligatures, whole words.
		{"accents", `societe generale`, text("Société Générale"), true},
		{"accents phrase", `"Société Générale"`, text("SOCIETE GENERALE"), true},
		{"phrase order", `"société générale"`, text("générale société"), false},
		{"phrase gap", `"société générale"`, text("la société de transport générale"), false},
		{"grave", `Grève`, text("greve"), true},
		{"whole word", `greve`, text("GRÈVES"), false},
		{"ligature", `oeuvre`, text("Œuvre"), true},
		{"eszett", `strasse`, text("Straße"), true},
		{"no substring", `air`, text("airfrance"), false},
		// Elisions.
		{"elision", `oreal`, text("l'Oréal"), true},
		{"elision curly", `oreal`, text("L’Oréal"), true},
		{"elision phrase", `"l'oréal"`, text("L’OREAL"), true},
		{"elision term", `l'oréal`, text("L’Oréal Paris"), true},
		{"elision joined", `l'oréal`, text("loreal"), false},
		// Hashtags.
		{"split name", `"air france"`, text("airfrance"), false},
		{"hashtag", `#airfrance`, text("vol #AirFrance"), true},
		{"word in hashtag", `airfrance`, text("vol #AirFrance"), true},
		{"split hashtag", `"air france"`, text("#airfrance"), false},
		{"hashtag not word", `#airfrance`, text("airfrance"), false},
		{"hashtag list", `#airfrance`, Doc{Text: "vol", Hashtags: []string{"AirFrance"}}, true},
		{"hashtag list sigil", `#airfrance`, Doc{Hashtags: []string{"#airfrance"}}, true},
		{"hashtag accent", `#grève`, text("#greve"), true},
		{"hashtag underscore", `#air_france`, text("#Air_France"), true},
		{"hashtag prefix", `#boycott*`, text("#BoycottAirFrance"), true},
		// Handles.
		{"handle in text", `@airfrance`, text("merci @AirFrance !"), true},
		{"handle list", `@airfrance`, Doc{Mentions: []string{"AirFrance"}}, true},
		{"handle author", `@airfrance`, Doc{AuthorHandle: "@AirFrance"}, true},
		{"handle not word", `@airfrance`, text("airfrance"), false},
		{"handle not email", `@airfrance`, text("contact@airfrance.fr"), false},
		{"word in handle", `airfrance`, text("@AirFrance"), true},
		{"handle local", `@alex`, Doc{AuthorHandle: "alex@mamot.fr"}, true},
		{"handle full", `@alex@mamot.fr`, text("@alex@mamot.fr bonjour"), true},
		{"handle full vs local", `@alex@mamot.fr`, Doc{AuthorHandle: "alex"}, false},
		{"handle other instance", `@alex@mamot.fr`, Doc{Mentions: []string{"alex@piaille.fr"}}, false},
		{"handle prefix", `@air*`, Doc{Mentions: []string{"airfrance"}}, true},
		{"handle dots", `@jen.bsky.social`, text("@jen.bsky.social."), true},
		// Wildcards.
		{"prefix", `grev*`, text("les grévistes"), true},
		{"prefix exact", `grev*`, text("greve"), true},
		{"prefix stem only", `grev*`, text("grev"), true},
		{"prefix start", `grev*`, text("agreve"), false},
		{"prefix short", `grev*`, text("gre"), false},
		{"prefix phrase", `"air fr*"`, text("Air France"), true},
		{"prefix phrase miss", `"air fr*"`, text("air liquide"), false},
		{"prefix and exact", `rembours* remboursement`, text("remboursement"), true},
		// NEAR.
		{"near", `retard NEAR/2 train`, text("retard du train"), true},
		{"near reversed over", `retard NEAR/2 train`, text("le train est toujours en retard"), false},
		{"near reversed in", `retard NEAR/2 train`, text("train en retard"), true},
		{"near limit", `a NEAR/2 b`, text("a x y b"), true},
		{"near over", `a NEAR/2 b`, text("a x y z b"), false},
		{"near limit reversed", `a NEAR/2 b`, text("b x y a"), true},
		{"near over reversed", `a NEAR/2 b`, text("b x y z a"), false},
		{"near 0", `a NEAR/0 b`, text("b a"), true},
		{"near 0 gap", `a NEAR/0 b`, text("a x b"), false},
		{"near second pair", `a NEAR/1 b`, text("a x x x b x a"), true},
		{"near phrase", `"air france" NEAR/3 grève`, text("grève chez Air France"), true},
		{"near phrase limit", `"air france" NEAR/1 grève`, text("Air France : la grève continue"), true},
		{"near phrase over", `"air france" NEAR/0 grève`, text("Air France : la grève continue"), false},
		{"near overlap", `france NEAR/3 "air france"`, text("air france"), false},
		{"near two", `france NEAR/3 "air france"`, text("france air france"), true},
		{"near groups", `(retard* OR annul*) NEAR/3 (vol OR train)`, text("vol annulé"), true},
		{"near groups miss", `(retard* OR annul*) NEAR/3 (vol OR train)`, text("train supprimé"), false},
		{"near groups mixed", `("service client" OR sav) NEAR/2 (injoignable OR "ne répond pas")`,
			text("le service client ne répond pas"), true},
		{"near hashtag", `#airfrance NEAR/2 grève`, text("grève #AirFrance"), true},
		{"near hashtag list", `#airfrance NEAR/2 grève`, Doc{Text: "grève", Hashtags: []string{"airfrance"}}, false},
		{"not near", `vol NOT vol NEAR/2 annulé`, text("vol annulé"), false},
		// Fields.
		{"lang", `airfrance lang:fr`, Doc{Text: "airfrance", Lang: "fr"}, true},
		{"lang region", `airfrance lang:fr`, Doc{Text: "airfrance", Lang: "fr-CA"}, true},
		{"lang case", `airfrance lang:fr`, Doc{Text: "airfrance", Lang: "FR"}, true},
		{"lang other", `airfrance lang:fr`, Doc{Text: "airfrance", Lang: "en"}, false},
		{"lang unknown", `airfrance lang:fr`, Doc{Text: "airfrance"}, false},
		{"not lang", `airfrance NOT lang:en`, Doc{Text: "airfrance", Lang: "en"}, false},
		{"not lang other", `airfrance NOT lang:en`, Doc{Text: "airfrance", Lang: "fr"}, true},
		{"source", `airfrance source:mastodon`, Doc{Text: "airfrance", Source: "Mastodon"}, true},
		{"source other", `airfrance source:mastodon`, Doc{Text: "airfrance", Source: "twitter"}, false},
		{"author", `author:airfrance`, Doc{AuthorHandle: "@AirFrance"}, true},
		{"author not mention", `author:airfrance`, Doc{AuthorHandle: "bob", Text: "@airfrance"}, false},
		{"author prefix", `author:air*`, Doc{AuthorHandle: "AirFrance_FR"}, true},
		// Edge cases.
		{"empty doc", `airfrance`, Doc{}, false},
		{"repeated", `"a a"`, text("a a"), true},
		{"repeated miss", `"a a"`, text("a b a"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchOne(t, tt.query, tt.doc); got != tt.want {
				t.Errorf("%q on %+v = %v, want %v", tt.query, tt.doc, got, tt.want)
			}
		})
	}
}

func TestMatchLangRestriction(t *testing.T) {
	tests := []struct {
		lang []string
		doc  string
		want bool
	}{
		{nil, "en", true},
		{[]string{"fr"}, "fr", true},
		{[]string{"fr"}, "FR-fr", true},
		{[]string{"FR"}, "fr", true},
		{[]string{"fr"}, "en", false},
		{[]string{"fr"}, "", false},
		{[]string{"fr", "en"}, "en", true},
	}
	for _, tt := range tests {
		d := Doc{Text: "Air France", Lang: tt.doc}
		if got := matchOne(t, `"air france"`, d, tt.lang...); got != tt.want {
			t.Errorf("Lang %q, doc lang %q: match = %v, want %v", tt.lang, tt.doc, got, tt.want)
		}
	}
}

func TestMatchNameAsQuery(t *testing.T) {
	m, err := Compile([]Spec{{ID: "af", Name: "Air France", Kind: KindBrand}})
	if err != nil {
		t.Fatal(err)
	}
	for doc, want := range map[string]bool{"vol AIR FRANCE": true, "France air": false, "airfrance": false} {
		if got := len(m.Match(&Doc{Text: doc}, nil)) == 1; got != want {
			t.Errorf("name query on %q = %v, want %v", doc, got, want)
		}
	}
}

func TestMatchOrderAndAppend(t *testing.T) {
	m, err := Compile([]Spec{
		{ID: "c", Kind: KindTopic, Query: "grève"},
		{ID: "a", Kind: KindBrand, Query: `"air france"`},
		{ID: "z", Kind: KindTopic, Query: "train"},
		{ID: "b", Kind: KindCompetitor, Query: "klm OR #airfrance"},
	})
	if err != nil {
		t.Fatal(err)
	}
	dst := []string{"kept"}
	got := m.Match(&Doc{Text: "#AirFrance : grève chez Air France et KLM"}, dst)
	if want := []string{"kept", "c", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("Match = %q, want %q", got, want)
	}
	var nilM *Matcher
	if got := nilM.Match(&Doc{Text: "x"}, nil); got != nil {
		t.Errorf("nil Matcher: Match = %q, want nil", got)
	}
	if got := m.Match(nil, dst[:1]); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("nil Doc: Match = %q, want dst unchanged", got)
	}
}

func TestCompileErrors(t *testing.T) {
	ok := Spec{ID: "af", Kind: KindBrand, Query: "airfrance"}
	tests := []struct {
		name  string
		specs []Spec
		want  string
		field string
	}{
		{"id", []Spec{{ID: "Air France", Kind: KindBrand, Query: "x"}},
			`watches[0] (id "Air France"): id: want 1 to 64 lower-case letters, digits, - or _`, "id"},
		{"empty id", []Spec{{Kind: KindBrand, Query: "x"}},
			`watches[0] (id ""): id: want 1 to 64 lower-case letters, digits, - or _`, "id"},
		{"duplicate", []Spec{ok, ok},
			`watches[1] (id "af"): id: duplicate of watches[0]`, "id"},
		{"kind", []Spec{{ID: "af", Kind: "brnd", Query: "x"}},
			`watches[0] (id "af"): kind: "brnd" is not brand, competitor or topic`, "kind"},
		{"no kind", []Spec{{ID: "af", Query: "x"}},
			`watches[0] (id "af"): kind: "" is not brand, competitor or topic`, "kind"},
		{"lang", []Spec{{ID: "af", Kind: KindBrand, Query: "x", Lang: []string{"fr", "french"}}},
			`watches[0] (id "af"): lang[1]: "french" is not a language code like fr or en`, "lang[1]"},
		{"query", []Spec{ok, ok, ok, {ID: "airfrance", Kind: KindBrand, Query: "(air OR franc"}},
			`watches[1] (id "af"): id: duplicate of watches[0]` + "\n" +
				`watches[2] (id "af"): id: duplicate of watches[0]` + "\n" +
				`watches[3] (id "airfrance"): query: column 14: expected ")"`, "id"},
		{"duplicate of a bad spec", []Spec{{ID: "af", Kind: "x", Query: "a"}, ok},
			`watches[0] (id "af"): kind: "x" is not brand, competitor or topic` + "\n" +
				`watches[1] (id "af"): id: duplicate of watches[0]`, "kind"},
		{"no name", []Spec{{ID: "af", Kind: KindBrand}},
			`watches[0] (id "af"): name: empty, and so is query: set one of them`, "name"},
		{"name without words", []Spec{{ID: "af", Kind: KindBrand, Name: "!!"}},
			`watches[0] (id "af"): name: "!!" has no letters or digits to look for; set query`, "name"},
		{"several fields", []Spec{{ID: "A", Kind: "x", Query: "NOT a"}},
			`watches[0] (id "A"): id: want 1 to 64 lower-case letters, digits, - or _` + "\n" +
				`watches[0] (id "A"): kind: "x" is not brand, competitor or topic` + "\n" +
				`watches[0] (id "A"): query: column 1: NOT only excludes: add a term to look for, like "airfrance NOT greve"`, "id"},
	}
	for _, tt := range tests {
		m, err := Compile(tt.specs)
		if err == nil {
			t.Errorf("%s: Compile = %v, want error", tt.name, m)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%s:\n got: %v\nwant: %s", tt.name, err, tt.want)
		}
		var se *SpecError
		if !errors.As(err, &se) || se.Field != tt.field {
			t.Errorf("%s: first SpecError %+v, want field %q", tt.name, se, tt.field)
		}
	}
	_, err := Compile([]Spec{{ID: "airfrance", Kind: KindBrand, Query: "(air OR franc"}})
	var syn *SyntaxError
	if !errors.As(err, &syn) || syn.Col != 14 {
		t.Errorf("Compile: error %v, want a *SyntaxError at column 14", err)
	}
}

func TestCompileEmpty(t *testing.T) {
	m, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Match(&Doc{Text: "anything"}, nil); len(got) != 0 {
		t.Errorf("no watches: Match = %q", got)
	}
	if specs := m.Specs(); len(specs) != 0 {
		t.Errorf("Specs = %v", specs)
	}
}

func TestUpstream(t *testing.T) {
	tests := []struct {
		spec Spec
		want Upstream
	}{
		{Spec{Query: `("Air France" OR #AirFrance OR @airfrance OR author:AF_officiel) AND NOT (recrutement OR #job) AND Grèv* lang:fr`},
			Upstream{Phrases: []string{"air france"}, Hashtags: []string{"airfrance"},
				Handles: []string{"airfrance", "af_officiel"}, Prefixes: []string{"grèv"}, Langs: []string{"fr"}}},
		{Spec{Query: `Grève OR grève OR "mouvement social" OR #boycott* OR @air*`},
			Upstream{Terms: []string{"grève"}, Phrases: []string{"mouvement social"}, Prefixes: []string{"#boycott", "@air"}}},
		{Spec{Query: `(retard* OR annulé) NEAR/3 (vol OR "train de nuit")`},
			Upstream{Terms: []string{"annulé", "vol"}, Phrases: []string{"train de nuit"}, Prefixes: []string{"retard"}}},
		{Spec{Query: `l'Oréal OR loreal`}, Upstream{Terms: []string{"loreal"}, Phrases: []string{"l'oréal"}}},
		{Spec{Query: `x AND (lang:fr OR lang:en)`}, Upstream{Terms: []string{"x"}, Langs: []string{"fr", "en"}}},
		{Spec{Query: `(x AND lang:fr) OR y`}, Upstream{Terms: []string{"x", "y"}}},
		{Spec{Query: `x lang:fr`, Lang: []string{"fr", "en"}}, Upstream{Terms: []string{"x"}, Langs: []string{"fr"}}},
		{Spec{Query: `x`, Lang: []string{"FR"}}, Upstream{Terms: []string{"x"}, Langs: []string{"fr"}}},
		{Spec{Query: `x source:rss`}, Upstream{Terms: []string{"x"}}},
		{Spec{Name: "Société Générale"}, Upstream{Phrases: []string{"société générale"}}},
		{Spec{Name: "Danone"}, Upstream{Terms: []string{"danone"}}},
	}
	for i, tt := range tests {
		tt.spec.ID, tt.spec.Kind = fmt.Sprintf("w%d", i), KindTopic
		m, err := Compile([]Spec{tt.spec})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Upstream(tt.spec.ID); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Upstream of %+v:\n got %+v\nwant %+v", tt.spec, got, tt.want)
		}
	}
}

func TestUpstreamIsACopy(t *testing.T) {
	m, err := Compile([]Spec{{ID: "a", Kind: KindBrand, Query: "x OR y", Lang: []string{"fr"}}})
	if err != nil {
		t.Fatal(err)
	}
	u := m.Upstream("a")
	u.Terms[0] = "changed"
	if got := m.Upstream("a").Terms[0]; got != "x" {
		t.Errorf("Upstream shares its slices: Terms[0] = %q after a caller's write", got)
	}
	if u := m.Upstream("missing"); u.Terms != nil || u.Langs != nil {
		t.Errorf("Upstream(missing) = %+v, want zero", u)
	}
	s := m.Specs()
	s[0].Lang[0] = "en"
	if got := m.Specs()[0].Lang[0]; got != "fr" {
		t.Errorf("Specs shares its slices: Lang[0] = %q after a caller's write", got)
	}
}

// TestMatchAgreesWithReference runs the 1,000 generated watches over the
// corpus and compares every result with the reference matcher.
func TestMatchAgreesWithReference(t *testing.T) {
	specs := genSpecs(1000)
	m, err := Compile(specs)
	if err != nil {
		t.Fatal(err)
	}
	docs := loadPosts(t)
	ref := newRefMatcher(t, specs)
	total, matched := 0, 0
	for i := range docs {
		got := m.Match(&docs[i], nil)
		want := ref.match(&docs[i])
		if !slices.Equal(got, want) {
			t.Errorf("post %d %q:\n got %q\nwant %q", i, docs[i].Text, got, want)
		}
		total += len(got)
		if len(got) > 0 {
			matched++
		}
	}
	if matched < len(docs)/2 {
		t.Errorf("only %d of %d posts matched a watch: the generated watches or corpus drifted", matched, len(docs))
	}
	t.Logf("%d posts, %d matched at least one watch, %d matches", len(docs), matched, total)
}

func TestMatchConcurrent(t *testing.T) {
	m, err := Compile(genSpecs(300))
	if err != nil {
		t.Fatal(err)
	}
	docs := loadPosts(t)
	want := make([][]string, len(docs))
	for i := range docs {
		want[i] = m.Match(&docs[i], nil)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range docs {
				j := (i + g*31) % len(docs)
				if got := m.Match(&docs[j], nil); !slices.Equal(got, want[j]) {
					errs <- fmt.Sprintf("post %d: %q, want %q", j, got, want[j])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	m, err := Compile(genSpecs(1000))
	if err != nil {
		t.Fatal(err)
	}
	docs := loadPosts(t)
	dst := make([]string, 0, 64)
	for i := range docs { // warm the pool's scratch buffers
		m.Match(&docs[i], dst)
	}
	allocs := testing.AllocsPerRun(10, func() {
		for i := range docs {
			dst = m.Match(&docs[i], dst[:0])
		}
	})
	if allocs != 0 {
		t.Errorf("Match allocates: %v allocations per corpus pass", allocs)
	}
}

// TestMatchHugeDoc checks that a long text with many occurrences stays
// linear: NEAR over thousands of occurrences, phrases, prefixes.
func TestMatchHugeDoc(t *testing.T) {
	m, err := Compile([]Spec{
		{ID: "near", Kind: KindTopic, Query: `(air OR "air france") NEAR/100 (grève OR retard*)`},
		{ID: "phrase", Kind: KindTopic, Query: `"air air air x"`},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := Doc{Text: strings.Repeat("air france ", 50000) + "grève"}
	if got := m.Match(&d, nil); !slices.Equal(got, []string{"near"}) {
		t.Errorf("Match = %q, want [near]", got)
	}
	d = Doc{Text: strings.Repeat("air ", 100000)}
	if got := m.Match(&d, nil); len(got) != 0 {
		t.Errorf("Match = %q, want none", got)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add(`("Air France" OR #airfrance) NOT grève`, "Grève chez #AirFrance ! l’Oréal", "fr", "airfrance", "@AirFrance")
	f.Add(`(retard* OR annul*) NEAR/2 (vol OR "train de nuit")`, "le train de nuit est annulé", "fr-CA", "", "")
	f.Add(`@alex author:alex* lang:fr`, "@alex@mamot.fr salut", "FR", "", "alex@mamot.fr")
	f.Add(`a NEAR/0 "a a"`, "a a a b a", "", "a", "")
	f.Add(`bb* NEAR/1 "b a"`, "bbb b a aa #xxx @yyy #x @y", "fr", "xx", "z@zz")
	f.Add(`source:mastodon "x y*"`, "x yz x", "en", "x", "")
	// Fixed tricky watches, matched against every fuzzed text too.
	fixed := genSpecs(60)
	fixed = append(fixed,
		Spec{ID: "f1", Kind: KindTopic, Query: `(a OR "a b" OR bb*) NEAR/1 (b OR "b a" OR aa*)`},
		Spec{ID: "f2", Kind: KindTopic, Query: `#xx* OR @yy* OR author:z OR "#x @y"`},
		Spec{ID: "f3", Kind: KindTopic, Query: `x NOT (y OR z NEAR/3 x)`, Lang: []string{"fr"}})
	fm, err := Compile(fixed)
	if err != nil {
		f.Fatal(err)
	}
	fref := newRefMatcher(f, fixed)
	f.Fuzz(func(t *testing.T, query, txt, lang, tag, author string) {
		d := Doc{Text: txt, Lang: lang, Source: "mastodon", AuthorHandle: author, Hashtags: []string{tag}, Mentions: []string{tag}}
		if got, want := fm.Match(&d, nil), fref.match(&d); !slices.Equal(got, want) {
			t.Fatalf("fixed watches on %+v: %q, reference %q", d, got, want)
		}
		specs := []Spec{{ID: "w", Kind: KindTopic, Query: query}}
		m, err := Compile(specs)
		if err != nil {
			return
		}
		if got, want := m.Match(&d, nil), refMatch(t, specs, &d); !slices.Equal(got, want) {
			t.Fatalf("%q on %+v: %q, reference %q", query, d, got, want)
		}
	})
}
