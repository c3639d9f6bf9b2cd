package charter

import (
	"strings"
	"testing"

	"github.com/vigie-project/vigie/mention"
)

// benchMix is a realistic stream of employee posts: every clean post and
// near miss of the labelled set, and one violation in five, so that about
// 85 % of the posts raise nothing.
func benchMix(b *testing.B) ([]string, []string, *Engine) {
	set, e := loadLabelled(b)
	var texts, langs []string
	violations := 0
	for _, p := range set.Posts {
		if len(p.Expect) > 0 {
			violations++
			if violations%5 != 0 {
				continue
			}
		}
		texts = append(texts, p.Text)
		langs = append(langs, p.Lang)
	}
	return texts, langs, e
}

// longPost is a LinkedIn-style post of about 1,200 bytes with no violation.
var longPost = strings.Repeat("Retour sur trois jours au salon de Lyon avec l'équipe : 42 rendez-vous, "+
	"des démonstrations en continu et beaucoup de questions sur la sobriété numérique. "+
	"Merci aux visiteurs et rendez-vous l'an prochain ! ", 5)

// digitsPost has numbers that wake the validators without being personal data.
const digitsPost = "Commande n° 0612345678 du 06/12/2024 : 3 articles à 12,50 €, suivi colis 6A12345678901, " +
	"SIRET 732 829 320 00074, +1500 abonnés cette semaine, version 2.4.1."

func BenchmarkCheck(b *testing.B) {
	texts, langs, e := benchMix(b)
	b.Run("mix", func(b *testing.B) {
		var dst []mention.CharterFlag
		bytes := 0
		for _, t := range texts {
			bytes += len(t)
		}
		b.SetBytes(int64(bytes / len(texts)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			dst = e.Check(texts[i], langs[i], dst[:0])
			i++
			if i == len(texts) {
				i = 0
			}
		}
	})
	for _, c := range []struct{ name, text, lang string }{
		{"long_clean", longPost, "fr"},
		{"digits_near_miss", digitsPost, "fr"},
		{"violation", "Ma boîte est nulle, appelez-moi au 06 12 34 56 78 #BoycottAcme", "fr"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var dst []mention.CharterFlag
			b.SetBytes(int64(len(c.text)))
			b.ReportAllocs()
			for b.Loop() {
				dst = e.Check(c.text, c.lang, dst[:0])
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(Options{CompanyNames: []string{"Acme"}, OpenCrisisTerms: []string{"#BoycottAcme"}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWithOpenCrisisTerms(b *testing.B) {
	e := newTestEngine(b)
	terms := []string{"#BoycottAcme", "#AcmeGate", "rappel AcmePhone", "AcmePhone recall", "batteries qui explosent"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.WithOpenCrisisTerms(terms); err != nil {
			b.Fatal(err)
		}
	}
}
