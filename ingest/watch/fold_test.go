package watch

import (
	"strings"
	"testing"
	"unicode"
)

// tokStrings renders tokens as word, #tag, @handle or @user(@instance).
func tokStrings(s string) []string {
	var t tokenizer
	t.tokenize(s)
	var out []string
	for i, k := range t.toks {
		text := string(t.text(i))
		switch k.kind {
		case tokHashtag:
			text = "#" + text
		case tokHandle:
			if k.local < k.end {
				text = "@" + string(t.buf[k.start:k.local]) + "(" + string(t.buf[k.local:k.end]) + ")"
			} else {
				text = "@" + text
			}
		}
		out = append(out, text)
	}
	return out
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		text string
		want string // tokens joined by spaces
	}{
		{"", ""},
		{"Air France", "air france"},
		{"Société Générale", "societe generale"},
		{"SOCIÉTÉ GÉNÉRALE", "societe generale"},
		{"l'Oréal et L’Oréal", "l oreal et l oreal"},
		{"aujourd'hui qu’il", "aujourd hui qu il"},
		{"Œuvre, cœur, Straße, Ærø", "oeuvre coeur strasse aero"},
		{"ça déçoit à Noël", "ca decoit a noel"},
		{"Tiếng Việt", "tieng viet"},
		{"Ελληνικά Άλφα", "ελληνικα αλφα"},
		{"Москва Йошкар", "москва иошкар"},
		{"e\u0301cole", "ecole"}, // decomposed accent
		{"soft\u00adhyphen", "softhyphen"},
		{"airfrance, air-france; air_france", "airfrance air france air france"},
		{"3.5 % en 2025 !", "3 5 en 2025"},
		{"#AirFrance #grève_SNCF #", "#airfrance #greve_sncf"},
		{"C# and a#b", "c and a b"},
		{"(#tag)", "#tag"},
		{"@AirFrance: merci", "@airfrance merci"},
		{"@air_france.", "@air_france"},
		{"@jen.bsky.social hi", "@jen.bsky.social hi"},
		{"@alex@mamot.fr", "@alex(@mamot.fr)"},
		{"@alex@ x", "@alex x"},
		{"contact@airfrance.fr", "contact airfrance fr"},
		{"#@x @#y", "@x #y"},
		{"🚀✈️ vol", "vol"},
		{"naïve\u200dx", "naivex"},
		{"invalid \xff byte", "invalid byte"},
	}
	for _, tt := range tests {
		if got := strings.Join(tokStrings(tt.text), " "); got != tt.want {
			t.Errorf("tokenize(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestFoldIdempotent checks every word rune: its folded form is one word
// that folds to itself. Parse relies on it (String output must re-parse
// to the same query) and so does matching (queries and texts fold alike).
func TestFoldIdempotent(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF || classify(r) != runeWord {
			continue
		}
		once := tokStrings(string(r))
		if len(once) != 1 {
			t.Errorf("%U %q folds to %q, want one word", r, r, once)
			continue
		}
		twice := tokStrings(once[0])
		if len(twice) != 1 || twice[0] != once[0] {
			t.Errorf("%U %q folds to %q, which folds to %q", r, r, once[0], twice)
		}
	}
}

func BenchmarkTokenize(b *testing.B) {
	docs := loadPosts(b)
	var t tokenizer
	bytes := 0
	for _, d := range docs {
		bytes += len(d.Text)
	}
	b.SetBytes(int64(bytes / len(docs)))
	for i := 0; b.Loop(); i++ {
		t.reset()
		t.tokenize(docs[i%len(docs)].Text)
	}
}
