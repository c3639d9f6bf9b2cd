package sentiment

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vigie-project/vigie/mention"
)

// sharedAnalyzer serves every test: an Analyzer is immutable.
var sharedAnalyzer = sync.OnceValues(New)

func newTestAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	a, err := sharedAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLabels(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		lang, text, want string
	}{
		// Crisis and complaint vocabulary.
		{"fr", "Vol annulé, aucune info, c'est une honte", mention.Negative},
		{"fr", "Encore une grève, encore un retard", mention.Negative},
		{"fr", "Arnaque totale, je porte plainte", mention.Negative},
		{"fr", "Plan social : 400 licenciements, scandaleux", mention.Negative},
		{"fr", "service client lamentable, boycott", mention.Negative},
		{"fr", "c'est nul, l'appli plante encore", mention.Negative},
		{"fr", "quelle galère, trop relou", mention.Negative},
		{"fr", "dégoûté de ce service naze", mention.Negative},
		{"fr", "Le site ne fonctionne pas depuis ce matin", mention.Negative},
		{"fr", "Toujours pas remboursé", mention.Negative},
		{"fr", "c'est n'importe quoi", mention.Negative},
		{"fr", "ras le bol de ces suppressions de trains", mention.Negative},
		// Praise.
		{"fr", "Service au top, merci !", mention.Positive},
		{"fr", "Génial, bravo à toute l'équipe", mention.Positive},
		{"fr", "Trop bien ce nouveau forfait", mention.Positive},
		{"fr", "ouf, vol maintenu", mention.Positive},
		{"fr", "Ravie de rejoindre cette équipe 🚀", mention.Positive},
		{"fr", "pas mal du tout", mention.Positive},
		// Neutral.
		{"fr", "Le train part à 18h12 voie 4", mention.Neutral},
		{"fr", "Quelqu'un sait si l'agence est ouverte samedi ?", mention.Neutral},
		{"fr", "Bon, j'arrive dans 10 minutes", mention.Neutral},
		{"en", "The meeting is at 3pm in room B", mention.Neutral},
		// English.
		{"en", "Worst customer service ever", mention.Negative},
		{"en", "Flight cancelled again, what a scam", mention.Negative},
		{"en", "Great job team, thanks!", mention.Positive},
		{"en", "I love this app", mention.Positive},
	}
	for _, tt := range tests {
		got := a.Score(tt.text, tt.lang)
		if got.Label != tt.want {
			t.Errorf("Score(%q, %q) = %s %+.3f %v, want %s", tt.text, tt.lang, got.Label, got.Score, got.Terms, tt.want)
		}
	}
}

// sign is -1, 0 or +1 as the label says.
func sign(label string) int {
	switch label {
	case mention.Negative:
		return -1
	case mention.Positive:
		return 1
	}
	return 0
}

func TestNegation(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		lang, text string
		want       int // expected sign of the score
	}{
		{"fr", "c'est bon", 1},
		{"fr", "ce n'est pas bon", -1},
		{"fr", "c’est pas bon", -1}, // without "ne", curly apostrophe
		{"fr", "j'aime", 1},
		{"fr", "je n'aime pas", -1},
		{"fr", "j'aime pas", -1}, // "pas" after the verb
		{"fr", "je le recommande pas", -1},
		{"fr", "je ne le recommande pas", -1},
		{"fr", "jamais satisfait", -1},
		{"fr", "je n'ai jamais été satisfait", -1},
		{"fr", "je ne suis plus content", -1},         // ne … plus
		{"fr", "plus rapide et plus efficace", 1},     // "plus" alone is "more"
		{"fr", "rien de génial", -1},                  // rien
		{"fr", "aucun intérêt", -1},                   // aucun
		{"fr", "sans intérêt", -1},                    // sans
		{"fr", "sans souci, livraison rapide", 1},     // idiom
		{"fr", "aucun problème avec la livraison", 1}, // idiom
		{"fr", "zéro respect pour les clients", -1},
		{"fr", "pas de retard, personnel génial", 1}, // the comma ends the scope
		{"fr", "pas du tout satisfait", -1},
		{"fr", "je n'ai jamais été aussi bien conseillé", 1}, // jamais … aussi boosts
		{"fr", "ça ne marche pas", -1},                       // the expression holds the negation
		{"en", "good", 1},
		{"en", "not good", -1},
		{"en", "isn't good", -1},
		{"en", "I don’t like it", -1},
		{"en", "never good", -1},
		{"en", "without any doubt", 1},
		{"en", "never so happy", 1}, // VADER's "never so"
		{"en", "no electricity again", -1},
	}
	for _, tt := range tests {
		got := a.Score(tt.text, tt.lang)
		if sign(got.Label) != tt.want {
			t.Errorf("Score(%q) = %s %+.3f %v, want sign %d", tt.text, got.Label, got.Score, got.Terms, tt.want)
		}
	}
}

func TestNegationScope(t *testing.T) {
	a := newTestAnalyzer(t)
	// Within 3 tokens the negator applies; further away it does not.
	near := a.Score("ce n'est pas génial", "fr")
	far := a.Score("pas de chance pour ce truc génial", "fr")
	if near.Score >= 0 {
		t.Errorf("near negation: %+v", near)
	}
	if far.Score <= 0 {
		t.Errorf("negation beyond its scope: %+v", far)
	}
	// A negated term is reported with its negator, in reading order.
	for text, term := range map[string]string{
		"ce n'est pas génial": "pas génial",
		"je n'aime":           "n'aime",
		"j'aime pas":          "aime pas",
		"I don't like it":     "not like",
	} {
		lang := "fr"
		if strings.HasPrefix(text, "I ") {
			lang = "en"
		}
		got := a.Score(text, lang)
		if !slices.ContainsFunc(got.Terms, func(t mention.Term) bool { return t.Term == term && t.Weight < 0 }) {
			t.Errorf("%q: terms %v lack %q", text, got.Terms, term)
		}
	}
}

// stronger reports whether x is further from zero than y, on the same side.
func stronger(x, y float64) bool { return math.Abs(x) > math.Abs(y) && x*y > 0 }

func TestIntensifiers(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		lang, strong, weak string
	}{
		{"fr", "c'est très bon", "c'est bon"},
		{"fr", "trop nul", "nul"},
		{"fr", "vraiment déçu", "déçu"},
		{"fr", "tellement génial", "génial"},
		{"fr", "super content", "content"},
		{"fr", "déçu", "un peu déçu"},
		{"fr", "bien", "assez bien"},
		{"fr", "content", "plutôt content"},
		{"en", "so good", "good"},
		{"en", "really bad", "bad"},
		{"en", "good", "barely good"},
		{"en", "good", "kind of good"},
		{"en", "very happy", "happy"},
	}
	for _, tt := range tests {
		s, w := a.Score(tt.strong, tt.lang), a.Score(tt.weak, tt.lang)
		if !stronger(s.Score, w.Score) {
			t.Errorf("%q (%+.3f) should be stronger than %q (%+.3f)", tt.strong, s.Score, tt.weak, w.Score)
		}
	}
}

func TestDualIntensifier(t *testing.T) {
	a := newTestAnalyzer(t)
	// "super" alone is a sentiment word; before one it is an intensifier.
	alone := a.Score("c'est super", "fr")
	boost := a.Score("super content", "fr")
	if alone.Label != mention.Positive || boost.Label != mention.Positive {
		t.Fatalf("super: %+v / %+v", alone, boost)
	}
	if slices.ContainsFunc(boost.Terms, func(t mention.Term) bool { return t.Term == "super" }) {
		t.Errorf("intensifier reported as a term: %v", boost.Terms)
	}
	// "grave" after a word intensifies it (slang), alone it is negative.
	if got := a.Score("je kiffe grave", "fr"); got.Label != mention.Positive {
		t.Errorf("je kiffe grave: %+v", got)
	}
	if got := a.Score("c'est grave", "fr"); got.Label != mention.Negative {
		t.Errorf("c'est grave: %+v", got)
	}
}

func TestContrast(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		lang, text string
		want       int
	}{
		{"fr", "Le produit est bien mais le service est nul", -1},
		{"fr", "Le service est nul mais le produit est génial", 1},
		{"fr", "Belle appli, pourtant elle plante tout le temps", -1},
		{"fr", "Personnel sympa, cependant les prix sont délirants", -1},
		{"fr", "Un peu d'attente, par contre l'accueil était parfait", 1},
		{"en", "The food was good but the service was terrible", -1},
		{"en", "It was a bad start, however the team was amazing", 1},
		// Concession: the clause after "malgré" weighs less.
		{"fr", "Super équipe malgré la grève", 1},
	}
	for _, tt := range tests {
		got := a.Score(tt.text, tt.lang)
		if sign(got.Label) != tt.want {
			t.Errorf("Score(%q) = %s %+.3f %v, want sign %d", tt.text, got.Label, got.Score, got.Terms, tt.want)
		}
	}
}

func TestElisionsAndApostrophes(t *testing.T) {
	a := newTestAnalyzer(t)
	pairs := [][2]string{
		{"c'est l'horreur", "c’est l’horreur"},
		{"j'adore", "j’adore"},
		{"n'importe quoi", "n’importe quoi"},
		{"qu'il est nul", "qu’il est nul"},
		{"d'une tristesse", "d’une tristesse"},
	}
	for _, p := range pairs {
		x, y := a.Score(p[0], "fr"), a.Score(p[1], "fr")
		if x.Score == 0 || x.Score != y.Score {
			t.Errorf("%q = %+.3f, %q = %+.3f: want equal and non-zero", p[0], x.Score, p[1], y.Score)
		}
	}
	if got := a.Score("c'est l'horreur", "fr"); !hasTerm(got, "horreur") {
		t.Errorf("elision not split: %v", got.Terms)
	}
	if got := a.Score("the airline's service is awful", "en"); got.Label != mention.Negative {
		t.Errorf("English possessive: %+v", got)
	}
}

func hasTerm(s mention.Sentiment, term string) bool {
	return slices.ContainsFunc(s.Terms, func(t mention.Term) bool { return t.Term == term })
}

func TestEmojiAndEmoticons(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		text string
		want int
	}{
		{"merci :)", 1},
		{"encore en retard :(", -1},
		{"bof :-/", -1},
		{"<3", 1},
		{"😡😡", -1},
		{"😍", 1},
		{"👍🏽", 1},          // skin tone
		{"❤️", 1},          // variation selector
		{"🤦‍♂️", -1},       // ZWJ sequence
		{"RDV à 10:30", 0}, // a time, not ":3" or ":("
		{"voir https://example.com/x", 0},
		{"Génial. 🙃", -1}, // irony marker turns the praise
	}
	for _, tt := range tests {
		got := a.Score(tt.text, "fr")
		if sign(got.Label) != tt.want {
			t.Errorf("Score(%q) = %s %+.3f %v, want sign %d", tt.text, got.Label, got.Score, got.Terms, tt.want)
		}
	}
}

func TestRepeatedLettersAndCaps(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		lang, strong, weak string
	}{
		{"fr", "c'est nuuuul", "c'est nul"},
		{"fr", "géniaaaal", "génial"},
		{"en", "soooo good", "good"},
		{"en", "goooood", "good"},
		{"fr", "le service est NUL", "le service est nul"},
		{"en", "the service is GREAT", "the service is great"},
		{"fr", "génial !!!", "génial"},
	}
	for _, tt := range tests {
		s, w := a.Score(tt.strong, tt.lang), a.Score(tt.weak, tt.lang)
		if !stronger(s.Score, w.Score) {
			t.Errorf("%q (%+.3f %v) should be stronger than %q (%+.3f)", tt.strong, s.Score, s.Terms, tt.weak, w.Score)
		}
	}
	// A text in capitals throughout shouts nothing in particular (VADER).
	if x, y := a.Score("C'EST NUL", "fr"), a.Score("c'est nul", "fr"); x.Score != y.Score {
		t.Errorf("all caps %+.3f != lower case %+.3f", x.Score, y.Score)
	}
	if got := a.Score("génial !!!", "fr"); !hasTerm(got, "!!!") {
		t.Errorf("exclamation emphasis not reported: %v", got.Terms)
	}
}

func TestHashtags(t *testing.T) {
	a := newTestAnalyzer(t)
	tests := []struct {
		lang, text string
		want       int
		term       string
	}{
		{"fr", "#boycottairfrance", -1, "boycott"},
		{"fr", "#BoycottAirFrance", -1, "boycott"},
		{"fr", "#JeSuisDégoûté", -1, "dégoûté"},
		{"fr", "#greve", -1, "grève"},
		{"fr", "#honteàlasncf", -1, "honte"},
		{"fr", "#plusjamais", -1, "plus jamais"},
		{"fr", "#boycottairlutece", -1, "boycott"}, // unknown brand: partial split
		{"fr", "#JeSuisFurieuxContreFibrea", -1, "furieux"},
		{"fr", "#AirLutece", 0, ""},
		{"fr", "#Supercell", 0, ""}, // short or rule words are not taken from a partial split
		{"fr", "#Nexora", 0, ""},
		{"en", "#epicfail", -1, "fail"},
		{"en", "#lovethisteam", 1, "love"},
	}
	for _, tt := range tests {
		got := a.Score(tt.text, tt.lang)
		if sign(got.Label) != tt.want || (tt.term != "" && !hasTerm(got, tt.term)) {
			t.Errorf("Score(%q) = %s %+.3f %v, want sign %d with %q", tt.text, got.Label, got.Score, got.Terms, tt.want, tt.term)
		}
	}
}

func TestAccentsOptional(t *testing.T) {
	a := newTestAnalyzer(t)
	for _, p := range [][2]string{
		{"tres decu", "très déçu"},
		{"c'est genial", "c'est génial"},
		{"degoute", "dégoûté"},
		{"greve", "grève"},
	} {
		x, y := a.Score(p[0], "fr"), a.Score(p[1], "fr")
		if x.Score != y.Score || x.Score == 0 {
			t.Errorf("%q = %+.3f, %q = %+.3f", p[0], x.Score, p[1], y.Score)
		}
	}
	// "après" must not be read as Pattern's "âpres" (harsh).
	if got := a.Score("on se voit après", "fr"); got.Score != 0 {
		t.Errorf("après: %+v", got)
	}
}

func TestInflections(t *testing.T) {
	a := newTestAnalyzer(t)
	for _, text := range []string{"j'adorais", "une marque détruite", "des prix délirants", "des gens géniaux"} {
		if got := a.Score(text, "fr"); got.Score == 0 {
			t.Errorf("%q found no sentiment word", text)
		}
	}
}

func TestLanguageFallback(t *testing.T) {
	a := newTestAnalyzer(t)
	fr := a.Score("franchement c'est nul, quelle honte", "fr")
	for _, l := range []string{"", "es", "und"} {
		if got := a.Score("franchement c'est nul, quelle honte", l); got.Score != fr.Score {
			t.Errorf("lang %q: %+.3f, want the French score %+.3f", l, got.Score, fr.Score)
		}
	}
	if got := a.Score("this is awful", ""); got.Label != mention.Negative {
		t.Errorf("undetected English: %+v", got)
	}
	for _, code := range []string{"FR", "fr-CA", "fr_FR"} {
		if got := a.Score("c'est nul", code); got.Score != a.Score("c'est nul", "fr").Score {
			t.Errorf("language %q not read as French: %+v", code, got)
		}
	}
}

func TestTermsContract(t *testing.T) {
	a := newTestAnalyzer(t)
	text := "Vol annulé, retard, grève, arnaque, honte, scandale, galère, nul, naze, pourri, lamentable !!!"
	got := a.Score(text, "fr")
	if len(got.Terms) != MaxTerms {
		t.Fatalf("%d terms, want %d: %v", len(got.Terms), MaxTerms, got.Terms)
	}
	for i := 1; i < len(got.Terms); i++ {
		if math.Abs(got.Terms[i].Weight) > math.Abs(got.Terms[i-1].Weight) {
			t.Errorf("terms not sorted by |weight|: %v", got.Terms)
		}
	}
	// With few terms, the contributions add up to the score.
	small := a.Score("Service au top mais livraison en retard !", "fr")
	var sum float64
	for _, term := range small.Terms {
		sum += term.Weight
	}
	if math.Abs(sum-small.Score) > 1e-3 {
		t.Errorf("terms %v add up to %.4f, score %.4f", small.Terms, sum, small.Score)
	}
	// Repeated words are merged.
	rep := a.Score("nul nul nul", "fr")
	if len(rep.Terms) != 1 || rep.Terms[0].Term != "nul" {
		t.Errorf("repeated term not merged: %v", rep.Terms)
	}
}

func TestEmptyAndOddInputs(t *testing.T) {
	a := newTestAnalyzer(t)
	for _, text := range oddInputs() {
		got := a.Score(text, "")
		checkSentiment(t, text, got)
		if text == "" && (got.Score != 0 || got.Label != mention.Neutral || got.Terms != nil) {
			t.Errorf("empty text: %+v", got)
		}
	}
}

// oddInputs are the inputs the fuzz test starts from.
func oddInputs() []string {
	return []string{
		"",
		strings.Repeat("Le service client est vraiment nul, ", 3000), // ~100 KB
		strings.Repeat("génial ", 20000),
		"\xff\xfe\xfd invalid \xc3\x28 utf-8 \xed\xa0\x80",
		"😡😍🤡🙃👍🏽🤦‍♂️🇫🇷❤️",
		"https://example.com/a?b=c http://x.y www.z.fr",
		"@a @b @c #d #e",
		"هذا سيء جدا ولكن الخدمة ممتازة",
		"השירות היה נורא",
		"c\u200best n\u200dul \u200c\ufeffgénial",
		"e\u0301ne\u0301rve\u0301",
		"!!!???...,,,;;;:::",
		"#" + strings.Repeat("a", 300),
		"nuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuul",
		"''''' ’’’ l' n' qu'",
		"&amp;&gt;&#39;&;&",
	}
}

// checkSentiment asserts the output contract for any input.
func checkSentiment(t *testing.T, text string, s mention.Sentiment) {
	t.Helper()
	short := text
	if len(short) > 40 {
		short = short[:40] + "…"
	}
	if math.IsNaN(s.Score) || s.Score < -1 || s.Score > 1 {
		t.Fatalf("%q: score %v out of [-1, 1]", short, s.Score)
	}
	if s.Label != labelOf(s.Score) {
		t.Fatalf("%q: label %q inconsistent with score %v", short, s.Label, s.Score)
	}
	if len(s.Terms) > MaxTerms {
		t.Fatalf("%q: %d terms", short, len(s.Terms))
	}
	for i, term := range s.Terms {
		if term.Term == "" || math.IsNaN(term.Weight) || math.IsInf(term.Weight, 0) || term.Weight == 0 {
			t.Fatalf("%q: bad term %+v", short, term)
		}
		if i > 0 && math.Abs(term.Weight) > math.Abs(s.Terms[i-1].Weight) {
			t.Fatalf("%q: terms out of order %v", short, s.Terms)
		}
	}
}

// FuzzScore starts from the odd inputs, long ones cut short (TestEmptyAndOddInputs
// runs them whole): the fuzzer explores short inputs much faster.
func FuzzScore(f *testing.F) {
	for _, s := range oddInputs() {
		if len(s) > 512 {
			s = s[:512]
		}
		f.Add(s, "fr")
		f.Add(s, "en")
	}
	f.Add("c'est pas terrible mais ok :)", "")
	a, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text, lang string) {
		checkSentiment(t, text, a.Score(text, lang))
	})
}

func TestConcurrentUse(t *testing.T) {
	a := newTestAnalyzer(t)
	want := a.Score("Vol annulé, aucune info, c'est une honte 😡 #boycott", "fr")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				got := a.Score("Vol annulé, aucune info, c'est une honte 😡 #boycott", "fr")
				if got.Score != want.Score || !slices.Equal(got.Terms, want.Terms) {
					t.Errorf("concurrent result differs: %+v", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestNewIsRepeatable(t *testing.T) {
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	a := newTestAnalyzer(t)
	for _, text := range []string{"très déçu par ce retard", "love it", "#boycottairfrance 😡"} {
		if x, y := a.Score(text, ""), b.Score(text, ""); x.Score != y.Score {
			t.Errorf("%q: %+.4f vs %+.4f", text, x.Score, y.Score)
		}
	}
}
