package signals

import (
	"strings"
	"testing"

	"github.com/vigie-project/vigie/mention"
)

func TestIsIdea(t *testing.T) {
	tests := []struct {
		text, lang string
		want       bool
	}{
		// French suggestions.
		{"On devrait proposer le télétravail le vendredi", "fr", true},
		{"Nous devrions ouvrir la cantine plus tôt", "fr", true},
		{"On pourrait mutualiser les salles de réunion", "fr", true},
		{"Pourquoi ne pas organiser un hackathon chaque trimestre ?", "fr", true},
		{"Et si on testait la semaine de quatre jours ?", "fr", true},
		{"Et si nous passions aux gobelets réutilisables", "fr", true},
		{"Il faudrait un parking vélo sécurisé devant le bâtiment C", "fr", true},
		{"Ce serait bien d'avoir un onboarding en anglais", "fr", true},
		{"Ça serait top d'avoir des casiers", "fr", true},
		{"Je propose qu'on fasse un point mensuel avec les équipes terrain", "fr", true},
		{"Je suggère un canal dédié aux retours clients", "fr", true},
		{"Ma suggestion : un badge unique pour tous les sites", "fr", true},
		{"Franchement, qu'on devrait changer d'outil, non ? Bref. On devrait passer à Matrix", "fr", true},
		{"ON DEVRAIT AVOIR UNE SALLE DE SIESTE", "fr", true},

		// English suggestions.
		{"What if we moved stand-ups to the afternoon?", "en", true},
		{"We should publish our API docs publicly", "en", true},
		{"We should have a hackathon every quarter", "en", true},
		{"Why don't we rotate the on-call weekly?", "en", true},
		{"It would be great if the intranet had a search bar", "en", true},
		{"It would be nice to have French subtitles on the town hall", "en", true},
		{"I suggest a shared calendar for the meeting rooms", "en", true},
		{"How about we try async reviews for a month", "en", true},
		{"We could open-source the design system", "en-GB", true},

		// Complaints: not ideas.
		{"La cantine est encore fermée, c'est n'importe quoi", "fr", false},
		{"Pourquoi ne pas nous avoir prévenus plus tôt ?", "fr", false},
		{"Pourquoi ne pas avoir prévenu les équipes ?", "fr", false},
		{"On devrait déjà avoir reçu nos primes depuis un mois !", "fr", false},
		{"Ce serait bien que la direction nous écoute, pour une fois", "fr", false},
		{"We should have been told about the reorg", "en", false},
		{"We should have known this would happen", "en", false},
		{"It would be nice if management listened for once", "en", false},
		{"The coffee machine is broken again, great", "en", false},

		// Questions and expectations: not ideas.
		{"On devrait être payés quand ?", "fr", false},
		{"On devrait recevoir la réponse demain", "fr", false},
		{"Est-ce que la réunion est maintenue ?", "fr", false},
		{"We should get the results tomorrow", "en", false},
		{"We should already have the badges", "en", false},
		{"When should we send the report?", "en", false},
		{"Should we worry about the reorg?", "en", false},

		// Personal to-dos and other near misses.
		{"Il faudrait que je pense à poser mes congés", "fr", false},
		{"Il faudrait que j'appelle le support", "fr", false},
		{"Pourquoi pas, après tout", "fr", false},
		{"Je propose", "en", false}, // French phrase, English post
		{"we should", "fr", false},  // English phrase, French post
		{"", "fr", false},
		{"Weshould be ok", "en", false},
	}
	for _, tt := range tests {
		if got := IsIdea(tt.text, tt.lang); got != tt.want {
			t.Errorf("IsIdea(%q, %q) = %v, want %v", tt.text, tt.lang, got, tt.want)
		}
	}
	// An unknown language tries both phrase sets.
	if !IsIdea("On devrait tester", "") || !IsIdea("We should test", "und") {
		t.Error("IsIdea with an unknown language misses a suggestion")
	}
}

func TestIsRelay(t *testing.T) {
	official := map[string]bool{"acmefr": true, "acme@mastodon.social": true}
	domains := []string{"acme.com", "Acme.FR", "*.acme-group.io"}
	tests := []struct {
		name string
		m    mention.Mention
		want bool
	}{
		{"repost of an official account", mention.Mention{RepostOf: "twitter:1", Mentions: []string{"AcmeFR"}}, true},
		{"quote of an official account", mention.Mention{QuoteOf: "twitter:1", Mentions: []string{"@acmefr", "bob"}}, true},
		{"RT prefix", mention.Mention{Text: "RT @AcmeFR: Nouveau site à Lyon !"}, true},
		{"fediverse handle", mention.Mention{RepostOf: "mastodon:9", Mentions: []string{"Acme@mastodon.social"}}, true},
		{"repost of someone else", mention.Mention{RepostOf: "twitter:1", Mentions: []string{"bob", "AcmeFR"}}, false},
		{"mention without repost", mention.Mention{Text: "Merci @AcmeFR", Mentions: []string{"AcmeFR"}}, false},
		{"RT of someone else", mention.Mention{Text: "RT @bob: voir @AcmeFR"}, false},

		{"corporate link", mention.Mention{Links: []string{"https://www.acme.com/news/lyon"}}, true},
		{"apex domain", mention.Mention{Links: []string{"http://acme.com"}}, true},
		{"other corporate domain, any case", mention.Mention{Links: []string{"https://BLOG.ACME.FR/post?id=1"}}, true},
		{"wildcard-written domain", mention.Mention{Links: []string{"https://careers.acme-group.io"}}, true},
		{"port and trailing dot", mention.Mention{Links: []string{"https://acme.com.:443/x"}}, true},
		{"no scheme", mention.Mention{Links: []string{"www.acme.fr/offres"}}, true},
		{"link in the text", mention.Mention{Text: "Lisez ça : HTTPS://presse.acme.fr/cp-2026.pdf, top"}, true},

		{"look-alike suffix", mention.Mention{Links: []string{"https://acme.com.evil.net/login"}}, false},
		{"look-alike prefix", mention.Mention{Links: []string{"https://notacme.com"}}, false},
		{"look-alike dash", mention.Mention{Links: []string{"https://acme-com.net"}}, false},
		{"user information trick", mention.Mention{Links: []string{"https://acme.com@evil.net/"}}, false},
		{"domain in the path", mention.Mention{Links: []string{"https://evil.net/acme.com"}}, false},
		{"domain in the query", mention.Mention{Text: "https://evil.net/?u=https://acme.com"}, false},
		{"longer TLD", mention.Mention{Links: []string{"https://acme.community"}}, false},
		{"punycode homograph", mention.Mention{Links: []string{"https://xn--acm-bma.com"}}, false},
		{"no link", mention.Mention{Text: "acme.com is great"}, false},
		{"empty", mention.Mention{}, false},
	}
	for _, tt := range tests {
		if got := IsRelay(&tt.m, official, domains); got != tt.want {
			t.Errorf("%s: IsRelay = %v, want %v", tt.name, got, tt.want)
		}
	}
	if IsRelay(nil, official, domains) {
		t.Error("IsRelay(nil) = true")
	}
	if IsRelay(&mention.Mention{RepostOf: "x", Mentions: []string{"acmefr"}}, nil, nil) {
		t.Error("IsRelay without official accounts or domains = true")
	}
}

func TestIsDetractor(t *testing.T) {
	neg := &mention.Sentiment{Score: -0.6, Label: mention.Negative}
	pos := &mention.Sentiment{Score: 0.4, Label: mention.Positive}
	employee := mention.Author{Handle: "jdoe", EmployeeID: "E42"}
	tests := []struct {
		name  string
		m     *mention.Mention
		about bool
		want  bool
	}{
		{"employee, negative, about the employer", &mention.Mention{Author: employee, Sentiment: neg}, true, true},
		{"not about the employer", &mention.Mention{Author: employee, Sentiment: neg}, false, false},
		{"positive", &mention.Mention{Author: employee, Sentiment: pos}, true, false},
		{"not an employee", &mention.Mention{Author: mention.Author{Handle: "x"}, Sentiment: neg}, true, false},
		{"no sentiment yet", &mention.Mention{Author: employee}, true, false},
		{"nil", nil, true, false},
	}
	for _, tt := range tests {
		if got := IsDetractor(tt.m, tt.about); got != tt.want {
			t.Errorf("%s: IsDetractor = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzIsIdea(f *testing.F) {
	for _, s := range []string{"On devrait tester", "qu'on", "What if we?", "l'", "\xff'", "’", strings.Repeat("a ", 600)} {
		f.Add(s, "fr")
	}
	f.Fuzz(func(t *testing.T, text, lang string) {
		// No panic, and the answer does not depend on the case of the text.
		if IsIdea(text, lang) != IsIdea(strings.ToUpper(text), lang) && isASCII(text) {
			t.Errorf("IsIdea(%q) depends on case", text)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func FuzzIsRelay(f *testing.F) {
	for _, s := range []string{"https://acme.com", "https://acme.com@evil.net", "RT @", "http://", "//acme.com:", "[::1]:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		m := &mention.Mention{Links: []string{link}, Text: link}
		got := IsRelay(m, map[string]bool{"acmefr": true}, []string{"acme.com"})
		// A relay through a link needs the domain in the link.
		if got && !strings.Contains(strings.ToLower(link), "acme.com") && !strings.HasPrefix(link, "RT @") {
			t.Errorf("IsRelay(%q) = true", link)
		}
	})
}

var benchPosts = []string{
	"Belle journée au séminaire d'équipe à Annecy, merci aux organisateurs !",
	"On devrait proposer le télétravail le vendredi, qu'en pensez-vous ?",
	"Great talk by @marie at DevFest today about observability and tracing",
	"Pourquoi ne pas nous avoir prévenus plus tôt ? C'est toujours pareil.",
	"What if we moved stand-ups to the afternoon? Mornings are for focus.",
	"Retour sur trois jours au salon de Lyon avec l'équipe : 42 rendez-vous et beaucoup de questions.",
}

func BenchmarkIsIdea(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		IsIdea(benchPosts[i%len(benchPosts)], "")
		i++
	}
}

func BenchmarkIsRelay(b *testing.B) {
	m := &mention.Mention{
		Text:     "Fiers de notre nouveau site ! https://www.acme.fr/lyon #collaborateur",
		Links:    []string{"https://t.co/abc", "https://www.acme.fr/lyon"},
		RepostOf: "twitter:1", Mentions: []string{"bob"},
	}
	official := map[string]bool{"acmefr": true}
	domains := []string{"acme.com", "acme.fr"}
	b.ReportAllocs()
	for b.Loop() {
		IsRelay(m, official, domains)
	}
}
