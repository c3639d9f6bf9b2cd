package watch

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseNormalizes(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		// Words, adjacency, operators.
		{`airfrance`, `airfrance`},
		{`Air France`, `air AND france`},
		{`air AND france`, `air AND france`},
		{`air OR france`, `air OR france`},
		{`air NOT france`, `air AND NOT france`},
		{`air not france`, `air AND not AND france`}, // keywords are upper-case only
		{`"rock AND roll"`, `"rock and roll"`},
		// Precedence: NOT > AND > OR.
		{`a b OR c`, `a AND b OR c`},
		{`a OR b c`, `a OR b AND c`},
		{`(a OR b) c`, `(a OR b) AND c`},
		{`a AND NOT b OR c`, `a AND NOT b OR c`},
		{`NOT (a OR b) c`, `NOT (a OR b) AND c`},
		{`NOT (a AND b) c`, `NOT (a AND b) AND c`},
		{`NOT a b`, `NOT a AND b`},
		{`(a NOT b) OR c`, `a AND NOT b OR c`},
		{`NOT NOT a`, `a`},
		{`a AND (b AND c)`, `a AND b AND c`},
		{`(a OR (b OR c))`, `a OR b OR c`},
		{`((a))`, `a`},
		// Folding, phrases, elisions.
		{`Société Générale`, `societe AND generale`},
		{`"Société Générale"`, `"societe generale"`},
		{`« Air France »`, `"air france"`},
		{`“Air France”`, `"air france"`},
		{`"  Air   France "`, `"air france"`},
		{`"airfrance"`, `airfrance`},
		{`l'Oréal`, `"l oreal"`},
		{`L’Oréal`, `"l oreal"`},
		{`saint-gobain`, `"saint gobain"`},
		{`"Air France - KLM"`, `"air france klm"`},
		{`Œuvre Straße`, `oeuvre AND strasse`},
		{`x/#tag`, `"x #tag"`},
		// Hashtags, handles, wildcards.
		{`#AirFrance`, `#airfrance`},
		{`#grève_sncf`, `#greve_sncf`},
		{`"#AirFrance"`, `#airfrance`},
		{`@AirFrance`, `@airfrance`},
		{`@Alex@Mamot.fr`, `@alex@mamot.fr`},
		{`@jen.bsky.social`, `@jen.bsky.social`},
		{`grev*`, `grev*`},
		{`Grév*`, `grev*`},
		{`#boycott*`, `#boycott*`},
		{`"grev* sncf"`, `"grev* sncf"`},
		{`"air fr*"`, `"air fr*"`},
		// NEAR.
		{`a NEAR/3 b`, `a NEAR/3 b`},
		{`"Air France" NEAR/0 grève`, `"air france" NEAR/0 greve`},
		{`(retard* OR annul*) NEAR/5 (vol OR "train de nuit")`, `(retard* OR annul*) NEAR/5 (vol OR "train de nuit")`},
		{`(air) NEAR/2 france`, `air NEAR/2 france`},
		{`x NEAR/1 y OR z`, `x NEAR/1 y OR z`},
		{`NOT x NEAR/1 y z`, `NOT x NEAR/1 y AND z`},
		// Fields.
		{`lang:FR airfrance`, `lang:fr AND airfrance`},
		{`airfrance source:Mastodon`, `airfrance AND source:mastodon`},
		{`author:@AirFrance`, `author:airfrance`},
		{`Author:air*`, `author:air*`},
		// The README's examples.
		{`Air France OR #AirFrance NOT Grève`, `air AND france OR #airfrance AND NOT greve`},
		{`« Société Générale » (grève OR préavis)`, `"societe generale" AND (greve OR preavis)`},
		{`l’Oréal NOT NOT lang:FR`, `"l oreal" AND lang:fr`},
		{`(Retard* OR annulé) NEAR/5 (vol)`, `(retard* OR annule) NEAR/5 vol`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.query)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.query, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.query, got, tt.want)
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Errorf("Parse(%q) (from %q): %v", e.String(), tt.query, err)
			continue
		}
		if again.String() != e.String() {
			t.Errorf("round trip of %q: %q, then %q", tt.query, e.String(), again.String())
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		{``, `column 1: empty query`},
		{`   `, `column 1: empty query`},
		{`(air OR franc`, `column 14: expected ")"`},
		{`"Société Générale" (x`, `column 22: expected ")"`}, // columns count characters
		{`air france)`, `column 11: unexpected ")" without a matching "("`},
		{`()`, `column 2: empty parentheses`},
		{`air AND`, `column 5: AND needs a term on its right`},
		{`élan AND`, `column 6: AND needs a term on its right`},
		{`air AND OR b`, `column 5: AND needs a term on its right`},
		{`OR air`, `column 1: OR needs a term on its left`},
		{`AND air`, `column 1: AND needs a term on its left`},
		{`air OR OR b`, `column 5: OR needs a term on its right`},
		{`(air OR) b`, `column 6: OR needs a term on its right`},
		{`NOT`, `column 1: NOT needs a term after it`},
		{`air AND NOT`, `column 9: NOT needs a term after it`},
		{`air ""`, `column 5: empty phrase: put words between the quotes`},
		{`air " ! "`, `column 5: empty phrase: put words between the quotes`},
		{`air "france`, `column 5: unterminated phrase: missing closing "`},
		{`air « france`, `column 5: unterminated phrase: missing closing »`},
		{`air NEAR france`, `column 5: NEAR needs a distance, like NEAR/5`},
		{`air NEAR/x france`, `column 10: bad NEAR distance "x": want a number from 0 to 100, like NEAR/5`},
		{`air NEAR/101 b`, `column 10: bad NEAR distance "101": want a number from 0 to 100, like NEAR/5`},
		{`air NEAR/ b`, `column 10: bad NEAR distance "": want a number from 0 to 100, like NEAR/5`},
		{`air NEAR/3`, `column 5: NEAR/3 needs a word, phrase or (a OR b) of them on its right`},
		{`air NEAR/3 NOT b`, `column 5: NEAR/3 needs a word, phrase or (a OR b) of them on its right`},
		{`NEAR/3 air`, `column 1: NEAR/3 needs a word, phrase or (a OR b) of them on its left`},
		{`(a AND b) NEAR/3 c`, `column 2: NEAR/3 needs a word, phrase or (a OR b) of them on its left`},
		{`c NEAR/3 (a OR NOT b)`, `column 11: NEAR/3 needs a word, phrase or (a OR b) of them on its right`},
		{`lang:fr NEAR/3 c`, `column 1: NEAR/3 needs a word, phrase or (a OR b) of them on its left`},
		{`a NEAR/2 b NEAR/2 c`, `column 12: NEAR cannot be chained: join NEAR pairs with AND`},
		{`foo:bar`, `column 1: unknown field "foo": use lang:, source: or author:`},
		{`x https://example.com`, `column 3: unknown field "https": use lang:, source: or author:`},
		{`x lang:french`, `column 8: lang: "french" is not a language code like fr or en`},
		{`x lang:`, `column 8: lang: needs a value, like lang:fr`},
		{`x source:Mast!`, `column 10: source: "Mast!" is not a source name (letters, digits, - and _)`},
		{`author:@`, `column 9: handle must start with a letter or digit`},
		{`NOT airfrance`, `column 1: NOT only excludes: add a term to look for, like "airfrance NOT greve"`},
		{`airfrance OR NOT greve`, `column 14: NOT only excludes: add a term to look for, like "airfrance NOT greve"`},
		{`NOT a NOT b`, `column 1: NOT only excludes: add a term to look for, like "airfrance NOT greve"`},
		{`lang:fr`, `column 1: lang: and source: only filter: add a word, phrase, hashtag, @handle or author: to look for`},
		{`NOT x lang:fr`, `column 7: lang: and source: only filter: add a word, phrase, hashtag, @handle or author: to look for`},
		{`x OR source:rss`, `column 6: lang: and source: only filter: add a word, phrase, hashtag, @handle or author: to look for`},
		{`gr*ve`, `column 3: wildcard * only goes at the end of a word`},
		{`g*`, `column 2: wildcard needs at least 2 letters before *`},
		{`air-*`, `column 5: wildcard * must follow a letter or digit`},
		{`*`, `column 1: wildcard * must follow a letter or digit`},
		{`-greve`, `column 1: "-" is not an operator: use NOT to exclude a term`},
		{`#`, `column 2: hashtag must start with a letter or digit`},
		{`#air-france`, `column 5: hashtag cannot hold '-': use letters, digits and _`},
		{`@airfrance.`, `column 11: handle cannot hold '.': use letters, digits, _ . - and one @`},
		{`@a@b@c`, `column 5: handle cannot hold '@': use letters, digits, _ . - and one @`},
		{`!!!`, `column 1: "!!!" has no letters or digits to look for`},
		{strings.Repeat("a", 65), `column 1: word "` + strings.Repeat("a", 65) + `" is 65 characters long; the limit is 64`},
		{strings.Repeat("(", 33) + "a" + strings.Repeat(")", 33), `column 33: nested deeper than 32 levels`},
		{strings.Repeat("NOT ", 40) + "a", `column 129: nested deeper than 32 levels`},
		{strings.Repeat("a ", 2049), `column 4097: query is 4098 characters long; the limit is 4096`},
		{"air \xff", `column 5: invalid UTF-8`},
		{"\"air \xff\"", `column 6: invalid UTF-8`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.query)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want error %q", tt.query, e, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q):\n got: %v\nwant: %s", tt.query, err, tt.want)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): error %T, want *SyntaxError", tt.query, err)
		}
	}
}

func TestExprZero(t *testing.T) {
	if s := (Expr{}).String(); s != "" {
		t.Errorf("Expr{}.String() = %q, want empty", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`("Air France" OR #airfrance OR @airfrance) AND NOT (recrutement OR "offre d'emploi")`,
		`(retard* OR annul*) NEAR/5 (vol OR "train de nuit") lang:fr`,
		`author:@AirFrance OR source:mastodon x`, `l’Oréal « Société Générale »`,
		`NOT NOT a`, `a NEAR/0 b`, `"grev* sncf"`, `@alex@mamot.fr`, `x/#tag`, `(((a)))`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		e, err := Parse(q)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T, want *SyntaxError", q, err)
			}
			if n := utf8.RuneCountInString(q); se.Col < 1 || se.Col > n+1 {
				t.Fatalf("Parse(%q): column %d outside 1..%d", q, se.Col, n+1)
			}
			return
		}
		s := e.String()
		again, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", q, s, err)
		}
		if again.String() != s {
			t.Fatalf("Parse(%q) = %q, then %q", q, s, again.String())
		}
	})
}

func BenchmarkParse(b *testing.B) {
	q := `("Air France" OR #airfrance OR @airfrance) AND (grève OR annul* OR retard*) NOT (recrutement OR "offre d'emploi") lang:fr`
	for b.Loop() {
		if _, err := Parse(q); err != nil {
			b.Fatal(err)
		}
	}
}
