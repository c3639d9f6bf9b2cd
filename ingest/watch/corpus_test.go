package watch

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// loadPosts reads testdata/posts.tsv: lang, source, author, text. The
// hashtag and mention lists are read from the text, as platforms give
// them.
func loadPosts(tb testing.TB) []Doc {
	tb.Helper()
	f, err := os.Open("testdata/posts.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var docs []Doc
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			tb.Fatalf("posts.tsv: %q: want 4 tab-separated columns", line)
		}
		d := Doc{Lang: cols[0], Source: cols[1], AuthorHandle: cols[2], Text: cols[3]}
		d.Hashtags, d.Mentions = sigils(d.Text)
		docs = append(docs, d)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return docs
}

// sigils extracts #hashtags and @mentions the way a platform would.
func sigils(text string) (tags, handles []string) {
	prev := ' '
	for i, r := range text {
		if (r == '#' || r == '@') && !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
			j := i + 1
			for j < len(text) {
				c, n := utf8.DecodeRuneInString(text[j:])
				if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '_' {
					break
				}
				j += n
			}
			if j > i+1 {
				if r == '#' {
					tags = append(tags, text[i+1:j])
				} else {
					handles = append(handles, text[i+1:j])
				}
			}
		}
		prev = r
	}
	return tags, handles
}

// Names for the generated watches: real brands that the corpus talks
// about, and made-up ones (an agency watching many clients) that it does
// not, so that most watches are candidates for no post, as in production.
var realBrands = []string{
	"Air France", "SNCF", "Société Générale", "L'Oréal", "Orange", "Free", "Bouygues Telecom",
	"SFR", "Carrefour", "Leclerc", "Danone", "Renault", "Peugeot", "Stellantis", "TotalEnergies",
	"EDF", "BNP Paribas", "Decathlon", "Fnac", "Darty", "Leroy Merlin", "Michelin", "Airbus",
	"Uber", "Deliveroo", "Amazon", "Apple", "Netflix", "Ryanair", "easyJet", "KLM", "Lufthansa",
	"United Airlines", "Domino's", "Capgemini", "Criteo", "Vinted", "Burger King", "RATP",
	"La Poste", "IKEA", "Accor", "Boursorama", "LCL", "Crédit Agricole", "AXA", "MAIF", "Sodexo",
	"Ubisoft", "OVHcloud", "Mistral AI", "Auchan", "Intermarché", "Casino", "LVMH",
	"Louis Vuitton", "Hermès", "Kering", "Gucci", "Sanofi", "Engie", "Veolia", "Suez", "Vinci",
	"Schneider Electric", "Saint-Gobain", "Thales", "Dassault Aviation", "Safran", "Transavia",
	"Vueling", "British Airways", "Delta", "Air Caraïbes", "Corsair", "Tesla", "BYD", "Citroën",
	"Meta", "Revolut", "Lidl", "Tesco", "Eurostar", "Ouigo", "Bolt", "Garnier", "Lancôme",
	"Nickel", "Proximus", "Heathrow",
}

var (
	syllables = []string{"val", "nex", "or", "ka", "lum", "tri", "sol", "ven", "mar", "zé",
		"quin", "bel", "ro", "dal", "vi", "fer", "lys", "cor", "pha", "gal", "tem", "ari", "nov", "sen"}
	suffixes = []string{"", "", "", " Bank", " Assurances", " Telecom", " Énergie", " Mobility",
		" Group", " Airlines", " Retail", " Santé", " Immobilier", " Foods", " Cosmetics", " Auto"}
	crisis = []string{"grève", "annul*", "retard*", "rembours*", "arnaque*", "scandale", "boycott*",
		"panne", "rappel", "honte", "plainte", "amende"}
	topics = []string{
		`grev* OR "mouvement social" OR préavis`,
		`(greenwashing OR "bilan carbone" OR climat) AND NOT lang:en`,
		`"rappel produit" OR "rappel conso" OR recall* OR #rappelconso`,
		`(RGPD OR GDPR OR CNIL) AND (amende OR fine* OR sanction*)`,
		`télétravail OR teletravail OR "retour au bureau" OR #teletravail`,
		`"bad buzz" OR #badbuzz OR boycott*`,
		`(inflation OR "hausse des prix") AND (supermarché* OR courses OR rayon*)`,
		`"service client" NEAR/3 (injoignable) OR "hotline" NEAR/5 attente`,
		`(retard* OR annul*) NEAR/6 (vol OR train OR TGV)`,
		`indemnisation* OR "règlement européen" OR "EU261"`,
		`#TousAmbassadeurs OR ambassadeur* OR #employeeadvocacy`,
		`(licenciement* OR "plan social" OR "suppression de postes") AND lang:fr`,
		`strike* AND (airport OR airline* OR rail*) AND lang:en`,
		`phishing OR "faux SMS" OR hameçonnage`,
		`"intoxication alimentaire" OR "E. coli" OR salmonelle`,
	}
)

func slug(name string) string {
	var t tokenizer
	t.tokenize(name)
	parts := make([]string, len(t.toks))
	for i := range t.toks {
		parts[i] = string(t.text(i))
	}
	return strings.Join(parts, "-")
}

// genSpecs returns n realistic watches.
func genSpecs(n int) []Spec {
	var specs []Spec
	add := func(id, name string, kind Kind, query string, lang ...string) {
		if len(specs) < n {
			specs = append(specs, Spec{ID: id, Name: name, Kind: kind, Query: query, Lang: lang})
		}
	}
	brand := func(i int, name string, made bool) {
		s := slug(name)
		tag := strings.ReplaceAll(s, "-", "")
		kind := KindCompetitor
		if i%5 == 0 {
			kind = KindBrand
		}
		phrase := fmt.Sprintf("%q", name)
		switch i % 4 {
		case 0:
			add(s, name, kind, fmt.Sprintf(`%s OR #%s OR @%s`, phrase, tag, tag))
		case 1:
			add(s, name, kind, "")
		case 2:
			add(s, name, kind, fmt.Sprintf(`(%s OR #%s) NOT (recrutement OR "offre d'emploi" OR #job)`, phrase, tag))
		case 3:
			add(s, name, kind, fmt.Sprintf(`%s OR author:%s`, phrase, strings.ReplaceAll(s, "-", "_")))
		}
		c := crisis[i%len(crisis)]
		if made {
			add(s+"-crise", name+" crise", KindTopic, fmt.Sprintf(`%s NEAR/5 %s`, phrase, c))
			return
		}
		add(s+"-crise", name+" crise", KindTopic, fmt.Sprintf(`(%s OR #%s) AND (%s OR #boycott%s)`, phrase, tag, c, tag))
		add(s+"-sav", name+" service client", KindTopic,
			fmt.Sprintf(`%s AND ("service client" OR SAV OR hotline OR rembours*) AND NOT lang:en`, phrase), "fr")
	}
	for i, t := range topics {
		add(fmt.Sprintf("topic-%d", i), "topic", KindTopic, t)
	}
	add("orange-operateur", "Orange", KindBrand, `orange NOT (jus OR fruit OR couleur OR "vigilance orange" OR agrume*)`)
	for i, name := range realBrands {
		brand(i, name, false)
	}
	for i := 0; len(specs) < n; i++ {
		// Distinct syllable triples for i < 24³.
		k := len(syllables)
		a, b, c := syllables[i%k], syllables[(i/k)%k], syllables[(i/(k*k)+i)%k]
		name := strings.ToUpper(a[:1]) + a[1:] + b + c + suffixes[i%len(suffixes)]
		if i%3 == 0 {
			name = strings.ToUpper(a[:1]) + a[1:] + b + " " + strings.ToUpper(c[:1]) + c[1:] + suffixes[i%len(suffixes)]
		}
		brand(i, name, true)
	}
	return specs
}

func TestGenSpecsCompile(t *testing.T) {
	specs := genSpecs(1000)
	if len(specs) != 1000 {
		t.Fatalf("genSpecs made %d watches, want 1000", len(specs))
	}
	if _, err := Compile(specs); err != nil {
		t.Fatal(err)
	}
}
