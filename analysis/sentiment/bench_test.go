package sentiment

import (
	"testing"
)

// benchPosts are typical posts: ~60 to ~200 characters, with hashtags,
// handles, emoji and elisions.
var benchPosts = []struct{ name, lang, text string }{
	{"fr_short", "fr", "Vol AL452 annulé à 2h du départ, aucune info 🙄 @AirLutece"},
	{"fr_typical", "fr", "@BanqueAzur ça fait 3 semaines que j'attends mon virement et personne ne répond, c'est vraiment honteux !! #arnaque"},
	{"fr_linkedin", "fr", "Ravie d'annoncer que je rejoins Nexora en tant que Head of Data ! Hâte de commencer avec une équipe aussi motivée 🚀 #fierte #nouveaudepart"},
	{"en_typical", "en", "Worst customer service ever, three emails and no answer. Not impressed at all :( #fail"},
	{"detect", "", "Franchement le service client de fibrea c'est une blague, jamais vu ça"},
}

func BenchmarkScore(b *testing.B) {
	a := newTestAnalyzer(b)
	for _, p := range benchPosts {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p.text)))
			for b.Loop() {
				a.Score(p.text, p.lang)
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(); err != nil {
			b.Fatal(err)
		}
	}
}
