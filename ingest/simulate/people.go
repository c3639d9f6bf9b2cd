package simulate

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Languages, as indexes into per-language tables.
const (
	fr = iota
	en
	nLangs
)

// frShare is the share of French posts (and authors).
const frShare = 0.6

// poolSize is the number of ordinary accounts posts are drawn from.
const poolSize = 4000

// person is one simulated account. All of them are invented; none is a
// real person's handle.
type person struct {
	id        string
	handle    string
	name      string
	followers int64
	verified  bool
	region    string
	lang      int
	employee  string // roster id, for employees
}

// people is the author pool, built once per generator from the seed.
type people struct {
	byLang [nLangs][]person
	media  []person // journalists and media, 500k-2M followers
}

func newPeople(seed uint64) *people {
	rng := rand.New(rand.NewPCG(seed, 0x9e0b1e))
	p := &people{}
	seen := map[string]bool{}
	sets := [nLangs]nameSet{fr: names(fr), en: names(en)}
	fold := accentFolder()
	for i := range poolSize {
		lang := fr
		if i%5 >= 3 { // 3 in 5: French
			lang = en
		}
		n := &sets[lang]
		first := n.first[rng.IntN(len(n.first))]
		last := n.last[rng.IntN(len(n.last))]
		per := person{lang: lang, name: first + " " + last}
		switch r := rng.Float64(); {
		case r < 0.06:
			per.name = n.pseudonyms[rng.IntN(len(n.pseudonyms))]
		case r < 0.10:
			per.name = first + " " + n.flags[rng.IntN(len(n.flags))]
		}
		per.handle = uniqueHandle(rng, seen, fold, first, last)
		per.id = strconv.FormatUint(1e15+mix(seed^uint64(i))%9e15, 10)
		per.followers = followers(rng)
		per.verified = per.followers > 100_000 && rng.IntN(3) > 0
		if rng.Float64() < 0.7 {
			per.region = n.regions[rng.IntN(len(n.regions))]
		}
		p.byLang[lang] = append(p.byLang[lang], per)
	}
	for i, m := range mediaAccounts() {
		m.id = strconv.FormatUint(1e15+mix(seed^0x3ed1a^uint64(i))%9e15, 10)
		m.verified = true
		p.media = append(p.media, m)
	}
	return p
}

// pick draws an author of the given language. Low indexes are drawn more
// often, so some accounts post again and again, as on a real network.
func (p *people) pick(rng *rand.Rand, lang int) *person {
	pool := p.byLang[lang]
	u := rng.Float64()
	return &pool[int(u*math.Sqrt(u)*float64(len(pool)))]
}

// followers is heavy-tailed: log-normal around 300 (mostly 50-2,000), and
// 1.5% of accounts with 10k-300k.
func followers(rng *rand.Rand) int64 {
	if rng.Float64() < 0.015 {
		return int64(10_000 * math.Pow(30, rng.Float64()))
	}
	f := math.Exp(math.Log(300) + rng.NormFloat64())
	return max(3, int64(f))
}

func uniqueHandle(rng *rand.Rand, seen map[string]bool, fold *strings.Replacer, first, last string) string {
	f, l := asciiLower(fold, first), asciiLower(fold, last)
	var h string
	switch rng.IntN(5) {
	case 0:
		h = f + "_" + l[:1]
	case 1:
		h = f + l
	case 2:
		h = f + "_" + l + strconv.Itoa(rng.IntN(99)+1)
	case 3:
		h = l[:min(len(l), 4)] + f
	default:
		h = f + strconv.Itoa(70+rng.IntN(40))
	}
	h = h[:min(len(h), 26)]
	base := h
	for n := 2; seen[h]; n++ {
		h = base + strconv.Itoa(n)
	}
	seen[h] = true
	return h
}

// accentFolder drops the accents of the names' letters.
func accentFolder() *strings.Replacer {
	return strings.NewReplacer(
		"é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "ç", "c",
		"î", "i", "ï", "i", "ô", "o", "ö", "o", "û", "u", "ù", "u", "ü", "u",
		"É", "e", "Ï", "i",
	)
}

// asciiLower folds a name to the ASCII lower-case letters a handle allows.
func asciiLower(fold *strings.Replacer, s string) string {
	s = fold.Replace(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	if b.Len() == 0 {
		return "user"
	}
	return b.String()
}

type nameSet struct {
	first, last, pseudonyms, flags, regions []string
}

func names(lang int) nameSet {
	if lang == fr {
		return nameSet{
			first: []string{"Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Louise", "Clara",
				"Jade", "Lucie", "Mathilde", "Pauline", "Marine", "Nathalie", "Sandrine", "Isabelle", "Fatou", "Aïcha",
				"Thomas", "Lucas", "Hugo", "Nicolas", "Julien", "Maxime", "Antoine", "Alexandre", "Romain", "Kevin",
				"Mehdi", "Yanis", "Karim", "Pierre", "Théo", "Baptiste", "Quentin", "Sébastien", "Christophe", "Amadou"},
			last: []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
				"Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
				"Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Benali",
				"Nguyen", "Diallo", "Haddad", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Faure"},
			pseudonyms: []string{"Le Voyageur Pressé", "Globe-trotteuse", "Papa Rêveur", "Maman Débordée", "Ch'ti Nomade",
				"L'Éternel Râleur", "Miss Valise", "Capitaine Retard", "Bretonne en vadrouille", "Le Marseillais Volant"},
			flags: []string{"🇫🇷", "✈️", "🌍", "☕", "🥐", "⚽"},
			regions: []string{"Île-de-France", "Île-de-France", "Île-de-France", "Auvergne-Rhône-Alpes",
				"Provence-Alpes-Côte d'Azur", "Occitanie", "Nouvelle-Aquitaine", "Hauts-de-France", "Grand Est",
				"Bretagne", "Pays de la Loire", "Normandie", "Guadeloupe", "La Réunion", "Québec", "Belgique"},
		}
	}
	return nameSet{
		first: []string{"Emily", "Olivia", "Jessica", "Sophie", "Charlotte", "Hannah", "Amy", "Lauren", "Megan", "Rachel",
			"Grace", "Chloe", "Ella", "Zoe", "Priya", "Aisha", "James", "Jack", "Oliver", "Harry",
			"George", "Daniel", "Ryan", "Matthew", "Josh", "Sam", "Luke", "Adam", "Ben", "Chris",
			"Mike", "Tyler", "Connor", "Liam", "Noah", "Raj", "Tom", "Kevin", "Ahmed", "Marcus"},
		last: []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
			"Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
			"Patel", "Khan", "Lewis", "Harris", "Martin", "Cooper", "King", "Baker", "Murphy", "Kelly",
			"Miller", "Davis", "Garcia", "Rodriguez", "Anderson", "O'Brien", "Singh", "Hughes", "Edwards", "Turner"},
		pseudonyms: []string{"Wanderlust Kate", "Grumpy Traveller", "AvGeek Dave", "Coffee & Contrails", "Window Seat Wes",
			"The Points Guy Wannabe", "Nomad Nat", "Jetlagged Jen", "Carry-on Only", "Frequent Flyer Fred"},
		flags:   []string{"🇬🇧", "🇺🇸", "🇨🇦", "🇮🇪", "✈️", "🌎"},
		regions: []string{"England", "England", "Scotland", "Wales", "Ireland", "New York", "California", "Texas", "Ontario", "Quebec"},
	}
}

// mediaAccounts are invented outlets and journalists (FR first, then EN).
func mediaAccounts() []person {
	return []person{
		{handle: "infoflash24", name: "Info Flash 24", followers: 2_050_000, lang: fr, region: "Île-de-France"},
		{handle: "lequotidieneco", name: "Le Quotidien Éco", followers: 1_380_000, lang: fr, region: "Île-de-France"},
		{handle: "smarchand_eco", name: "Sophie Marchand", followers: 540_000, lang: fr, region: "Île-de-France"},
		{handle: "radiocapitale_fm", name: "Radio Capitale FM", followers: 860_000, lang: fr, region: "Île-de-France"},
		{handle: "eurobizwatch", name: "Euro Business Watch", followers: 1_150_000, lang: en, region: "England"},
		{handle: "aviationdesk", name: "The Aviation Desk", followers: 620_000, lang: en, region: "England"},
		{handle: "tfielding_news", name: "Tom Fielding", followers: 510_000, lang: en, region: "New York"},
	}
}
