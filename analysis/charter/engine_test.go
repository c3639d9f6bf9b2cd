package charter

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/vigie-project/vigie/mention"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want string // normalised words, flags kept, joined by spaces
	}{
		{"L'entreprise", "le entreprise"},
		{"qu’on, jusqu'ici, aujourd'hui, don't, I'm, Acme's", "que on jusque ici aujourd hui don t i m acme s"},
		{"N’ENGAGENT que moi", "ne engagent que moi"},
		{"Œuvre de Noël à l'Hôtel-Dieu", "oeuvre de noel a le hotel dieu"},
		{"Straße ÇA ça", "strasse ca ca"},
		{"e\u0301te\u0301", "ete"}, // decomposed accents
		{"#BoycottAcme @AcmeFR", "#boycottacme @acmefr"},
		{"# not a tag, a@b C#", "not a tag a b c"},
		{"views_are_my_own", "views are my own"},
		{"CA de 3,2 M€", "ca de 3 2 m"},
		{"\xff\xfebad", "bad"},
		{"Привет МИР", "привет мир"},
		{"", ""},
	}
	for _, tt := range tests {
		buf, toks := tokenize(tt.in, nil, nil, nil)
		var words []string
		for _, tk := range toks {
			w := string(buf[tk.ns:tk.ne])
			if tk.flag != 0 {
				w = string(tk.flag) + w
			}
			words = append(words, w)
			if tk.start < 0 || tk.end > len(tt.in) || tk.start >= tk.end {
				t.Errorf("tokenize(%q): bad offsets %d..%d", tt.in, tk.start, tk.end)
			}
		}
		if got := strings.Join(words, " "); got != tt.want {
			t.Errorf("tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var st textStats
	tokenize("jean@acme.fr 06 12 34 @handle", nil, nil, &st)
	if st.digits != 6 || !st.at {
		t.Errorf("stats = %+v, want 6 digits and an e-mail '@'", st)
	}
	st = textStats{}
	tokenize("merci @acme !", nil, nil, &st)
	if st.at {
		t.Errorf("a handle counted as a possible e-mail")
	}
}

func TestAutomaton(t *testing.T) {
	b := newAutomatonBuilder()
	patterns := []string{"ne pas diffuser", "pas diffuser", "diffuser", "a b c", "b c d", "c", "#ad", "Ad", "@acme"}
	for i, p := range patterns {
		b.add(p, ref{refTrigger, int32(i)})
	}
	b.add("DIFFUSER", ref{refExcept, 0}) // same words: one pattern, two refs
	a := b.build()
	// "DIFFUSER" is "diffuser" again (one pattern, two refs); "#ad" and "Ad" differ by the flag.
	if len(a.patterns) != len(patterns) {
		t.Errorf("%d patterns, want %d", len(a.patterns), len(patterns))
	}
	tests := []struct {
		text string
		want []string // "pattern-index:first-last"
	}{
		{"Ne pas diffuser", []string{"0:0-2", "1:1-2", "2:2-2", "E0:2-2"}},
		{"a b c d", []string{"3:0-2", "5:2-2", "4:1-3"}},
		{"b c", []string{"5:1-1"}},
		{"an #ad here", []string{"6:1-1", "7:1-1"}},
		{"an ad here", []string{"7:1-1"}},
		{"@Acme et acme", []string{"8:0-0"}},
		{"rien", nil},
	}
	for _, tt := range tests {
		buf, toks := tokenize(tt.text, nil, nil, nil)
		var got []string
		for _, ev := range a.scan(buf, toks, nil) {
			prefix := ""
			if ev.kind == refExcept {
				prefix = "E"
			}
			got = append(got, fmt.Sprintf("%s%d:%d-%d", prefix, ev.idx, ev.first, ev.last))
		}
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("scan(%q) = %v, want %v", tt.text, got, want)
		}
	}
}

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(Options{
		CompanyNames:      []string{"Acme", "@AcmeFR"},
		ProductNames:      []string{"NovaBox"},
		ConfidentialTerms: []string{"Projet Orion"},
		OpenCrisisTerms:   []string{"#BoycottAcme"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func rulesOf(flags []mention.CharterFlag) []string {
	var ids []string
	for _, f := range flags {
		ids = append(ids, f.Rule)
	}
	return ids
}

func TestCheck(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name, text, lang string
		want             []string
	}{
		{"French rule on French", "Quel connard", "fr", []string{"fr-insult"}},
		{"French rule with a region", "Quel connard", "fr-CA", []string{"fr-insult"}},
		{"French rule on English", "Quel connard", "en", nil},
		{"unknown language: every rule", "Quel connard", "", []string{"fr-insult"}},
		{"other language: independent rules only", "Quel connard 06 12 34 56 78", "de", []string{"pd-phone"}},
		{"except phrase", "Un pain bâtard", "fr", nil},
		{"requires employer: absent", "C'est nul", "fr", nil},
		{"requires employer: too far", "C'est nul, vraiment nul, franchement pas terrible du tout ce week-end, rien à voir mais ma boîte déménage", "fr", nil},
		{"requires employer: near", "Ma boîte est nulle", "fr", []string{"fr-denigration-employer"}},
		{"employer by handle", "@AcmeFR est nul", "fr", []string{"fr-denigration-employer"}},
		{"none_lists: disclaimer present", "Au nom d'Acme, merci. Mes propos n'engagent que moi", "fr", nil},
		{"none_lists: disclaimer absent", "Au nom d'Acme, merci", "fr", []string{"fr-no-disclaimer"}},
		{"disclaimer in English on a French post", "Au nom d'Acme, merci (views are my own)", "fr", nil},
		{"configured term", "Le projet orion avance", "fr", []string{"conf-project-terms"}},
		{"crisis hashtag", "Le #BoycottAcme est injuste", "fr", []string{"crisis-open-topic"}},
		{"crisis word is a hashtag only", "boycottacme", "fr", nil},
		{"empty", "", "fr", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rulesOf(e.Check(tt.text, tt.lang, nil))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Check(%q, %q) = %v, want %v", tt.text, tt.lang, got, tt.want)
			}
		})
	}
}

func TestCheckSpans(t *testing.T) {
	e := newTestEngine(t)
	text := "Ça, c'est CONFIDENTIEL — ne pas diffuser ! Appelez Léa au 06 12 34 56 78 #BoycottAcme"
	dst := []mention.CharterFlag{{Rule: "kept"}}
	flags := e.Check(text, "fr", dst)
	if flags[0].Rule != "kept" {
		t.Fatalf("Check dropped what dst held: %v", rulesOf(flags))
	}
	want := map[string][]string{
		"pd-phone":          {"06 ** ** ** 78"},
		"crisis-open-topic": {"#BoycottAcme"},
		"fr-conf-marker":    {"CONFIDENTIEL", "ne pas diffuser"},
	}
	for _, f := range flags[1:] {
		w, ok := want[f.Rule]
		if !ok {
			t.Errorf("unexpected flag %s", f.Rule)
			continue
		}
		delete(want, f.Rule)
		var texts []string
		for _, sp := range f.Spans {
			texts = append(texts, sp.Text)
			if f.Category != string(PersonalData) && text[sp.Start:sp.End] != sp.Text {
				t.Errorf("%s: span %d..%d is %q, text says %q", f.Rule, sp.Start, sp.End, sp.Text, text[sp.Start:sp.End])
			}
		}
		if !slices.Equal(texts, w) {
			t.Errorf("%s spans = %q, want %q", f.Rule, texts, w)
		}
		r, ok := e.Rule(f.Rule)
		if !ok || r.Category != Category(f.Category) || r.Severity != f.Severity {
			t.Errorf("flag %+v does not match its rule %+v", f, r)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing flags: %v", want)
	}
}

func TestCheckSpanLimit(t *testing.T) {
	e := newTestEngine(t)
	text := strings.Repeat("connard ", 100)
	flags := e.Check(text, "fr", nil)
	if len(flags) != 1 || len(flags[0].Spans) != maxSpans {
		t.Fatalf("got %d flags, want 1 with %d spans", len(flags), maxSpans)
	}
}

func TestWithOpenCrisisTerms(t *testing.T) {
	e := newTestEngine(t)
	text := "Cette fuite de données chez Acme, quelle histoire #BoycottAcme"
	e2, err := e.WithOpenCrisisTerms([]string{"fuite de données"})
	if err != nil {
		t.Fatal(err)
	}
	spans := func(eng *Engine) []string {
		var out []string
		for _, f := range eng.Check(text, "fr", nil) {
			if f.Category == string(OpenCrisis) {
				for _, sp := range f.Spans {
					out = append(out, sp.Text)
				}
			}
		}
		return out
	}
	if got := spans(e); !slices.Equal(got, []string{"#BoycottAcme"}) {
		t.Errorf("original engine: %v", got)
	}
	if got := spans(e2); !slices.Equal(got, []string{"fuite de données"}) {
		t.Errorf("engine with new terms: %v", got)
	}
	e3, err := e2.WithOpenCrisisTerms(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := spans(e3); got != nil {
		t.Errorf("engine with no crisis: %v", got)
	}
	if _, err := e.WithOpenCrisisTerms([]string{"ok", "?!"}); err == nil || !strings.Contains(err.Error(), "open_crisis_terms[1]") {
		t.Errorf("bad term: error %v", err)
	}
}

func TestDisabledAndRule(t *testing.T) {
	e, err := New(Options{Disabled: []string{"fr-insult"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Check("Quel connard", "fr", nil); len(got) != 0 {
		t.Errorf("disabled rule fired: %v", rulesOf(got))
	}
	if _, ok := e.Rule("fr-insult"); ok {
		t.Error("Rule returns a disabled rule")
	}
	r, ok := e.Rule("fr-harassment")
	if !ok {
		t.Fatal("Rule(fr-harassment) missing")
	}
	r.Words[0] = "tampered"
	if again, _ := e.Rule("fr-harassment"); again.Words[0] == "tampered" {
		t.Error("Rule shares its slices with the engine")
	}
}

// TestConcurrentCheck runs the labelled set from several goroutines; with
// -race it proves Check shares nothing mutable, and results must match a
// sequential run.
func TestConcurrentCheck(t *testing.T) {
	set, e := loadLabelled(t)
	want := make([]string, len(set.Posts))
	for i, p := range set.Posts {
		want[i] = fmt.Sprint(e.Check(p.Text, p.Lang, nil))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 4 {
		wg.Go(func() {
			for k := range set.Posts {
				i := (k + g*37) % len(set.Posts)
				if got := fmt.Sprint(e.Check(set.Posts[i].Text, set.Posts[i].Lang, nil)); got != want[i] {
					select {
					case errs <- fmt.Sprintf("post %d: %s != %s", i, got, want[i]):
					default:
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func FuzzCheck(f *testing.F) {
	e := newTestEngine(f)
	for _, s := range []string{
		"Ma boîte est nulle", "CA de 3,2 M€ ce trimestre", "06 12 34 56 78", "#BoycottAcme",
		"jean@gmail.com FR76 3000 6000 0112 3456 7890 189", "\xff#\xfe@", "e\u0301", "@AcmeFR nul",
	} {
		f.Add(s, "fr")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, text, lang string) {
		for _, fl := range e.Check(text, lang, nil) {
			if len(fl.Spans) == 0 || len(fl.Spans) > maxSpans {
				t.Fatalf("%s: %d spans", fl.Rule, len(fl.Spans))
			}
			prev := 0
			for _, sp := range fl.Spans {
				if sp.Start < prev || sp.Start >= sp.End || sp.End > len(text) {
					t.Fatalf("%s: bad span %d..%d in %d bytes", fl.Rule, sp.Start, sp.End, len(text))
				}
				prev = sp.End
				orig := text[sp.Start:sp.End]
				if fl.Category == string(PersonalData) {
					if utf8.RuneCountInString(sp.Text) != utf8.RuneCountInString(orig) || !strings.Contains(sp.Text, "*") {
						t.Fatalf("%s: %q is not a mask of %q", fl.Rule, sp.Text, orig)
					}
				} else if sp.Text != orig {
					t.Fatalf("%s: span text %q, text says %q", fl.Rule, sp.Text, orig)
				}
			}
		}
	})
}
