package simulate

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// tone is the generator's intent for a post: what a careful human reader
// would label it. Tests judge the crisis by it; the real sentiment comes
// from analysis, later.
type tone uint8

const (
	neutral tone = iota
	positive
	negative
	nTones
)

// Sector indexes into per-sector tables.
const (
	secGeneric = iota
	secAirline
	nSectors
)

func sectorIndex(s string) int {
	if s == SectorAirline {
		return secAirline
	}
	return secGeneric
}

// lexicon is one language's phrase tables. For [nSectors] tables the
// airline vocabulary comes on top of the generic one (see newVocab).
type lexicon struct {
	lang         int
	openers      [nTones][]string
	tails        [nTones][]string
	core         [nSectors][nTones][]string
	crisis       [nSectors][nTones][]string
	incidents    [nSectors][]string
	switchers    []string
	tags         [nSectors][]string
	official     [nSectors][]string
	care         []string
	statement    [nSectors]string // the airline one replaces the generic one
	media        [nSectors][]string
	empAdvocacy  []string
	empComplaint []string
	empIdea      []string
	empCrisis    [nTones][]string
	empRisky     []string
	durations    []string
	cities       []string
	today        [4]string // night, morning, afternoon, evening
	repost       string
	articleHosts []string
}

// templates is a list of templates, and the same without those that need
// a competitor's name, for configs with a single brand.
type templates struct{ all, solo []string }

func newTemplates(lists ...[]string) templates {
	var t templates
	for _, l := range lists {
		for _, s := range l {
			t.all = append(t.all, s)
			if !strings.Contains(s, "{c}") && !strings.Contains(s, "{de_c}") {
				t.solo = append(t.solo, s)
			}
		}
	}
	return t
}

func (t templates) pick(rng *rand.Rand, withCompetitor bool) string {
	l := t.solo
	if withCompetitor || len(l) == 0 {
		l = t.all
	}
	return l[rng.IntN(len(l))]
}

// vocab is what one brand's posts in one language are made of: the
// lexicon with the brand's sector folded in.
type vocab struct {
	lex       *lexicon
	core      [nTones]templates
	crisis    [nTones]templates
	incidents []string
	tags      []string
	official  templates
	media     []string
	statement string
}

func newVocab(lex *lexicon, sector int) *vocab {
	v := &vocab{lex: lex, statement: lex.statement[secGeneric]}
	sectors := [][]int{secGeneric: {secGeneric}, secAirline: {secGeneric, secAirline}}[sector]
	for t := range nTones {
		var core, crisis [][]string
		for _, s := range sectors {
			core = append(core, lex.core[s][t])
			crisis = append(crisis, lex.crisis[s][t])
		}
		v.core[t] = newTemplates(core...)
		v.crisis[t] = newTemplates(crisis...)
	}
	var official [][]string
	for _, s := range sectors {
		v.incidents = lex.incidents[s] // the most specific sector's incidents
		v.tags = append(v.tags, lex.tags[s]...)
		official = append(official, lex.official[s])
		v.media = append(v.media, lex.media[s]...)
		if lex.statement[s] != "" {
			v.statement = lex.statement[s]
		}
	}
	v.official = newTemplates(official...)
	return v
}

// Link kinds for the {link} slot.
const (
	linkPublic = iota
	linkOfficial
	linkPress // the brand's press release
	linkMedia
)

// slots holds what a template's slots are filled with.
type slots struct {
	rng    *rand.Rand
	v      *vocab
	brand  *brandState
	comp   string    // a competitor's name, "" when there is none
	tag    string    // a crisis hashtag
	inc    string    // the crisis incident
	to     string    // "@handle" being answered
	at     time.Time // the post's time
	link   int       // link kind
	host   string    // media host for linkMedia
	formal bool      // the brand or a newsroom writing: the brand's proper name
}

// render appends tmpl to dst with its slots filled:
//
//	{b} a form of the brand's name   {de_b} {que_b} the same after "de"/"que", elided in French
//	{c} {de_c} a competitor          {city} {n} (2-9) {nn} (two digits) {dur} {price}
//	{tag} a crisis hashtag           {inc} the crisis incident   {today} "ce matin"…
//	{to} the @handle answered        {ini} an agent's initials   {link} a URL
//
// An unknown slot is copied as is.
func render(dst []byte, tmpl string, s *slots) []byte {
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			return append(dst, tmpl...)
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			return append(dst, tmpl...)
		}
		dst = append(dst, tmpl[:i]...)
		name := tmpl[i+1 : i+j]
		tmpl = tmpl[i+j+1:]
		lex := s.v.lex
		switch name {
		case "b":
			dst = append(dst, s.brand.form(s.rng, s.formal)...)
		case "de_b":
			dst = appendElided(dst, lex.lang, "de", s.brand.form(s.rng, s.formal))
		case "que_b":
			dst = appendElided(dst, lex.lang, "que", s.brand.form(s.rng, s.formal))
		case "c":
			dst = append(dst, s.comp...)
		case "de_c":
			dst = appendElided(dst, lex.lang, "de", s.comp)
		case "city":
			dst = append(dst, pick(s.rng, lex.cities)...)
		case "n":
			dst = strconv.AppendInt(dst, int64(2+s.rng.IntN(8)), 10)
		case "nn":
			dst = append(dst, byte('0'+s.rng.IntN(10)), byte('0'+s.rng.IntN(10)))
		case "dur":
			dst = append(dst, pick(s.rng, lex.durations)...)
		case "price":
			dst = strconv.AppendInt(dst, int64(39+10*s.rng.IntN(46)), 10)
		case "tag":
			dst = append(dst, s.tag...)
		case "inc":
			dst = append(dst, s.inc...)
		case "today":
			dst = append(dst, lex.today[dayPart(s.at)]...)
		case "to":
			dst = append(dst, s.to...)
		case "ini":
			dst = append(dst, byte('A'+s.rng.IntN(26)), byte('A'+s.rng.IntN(26)))
		case "link":
			dst = appendLink(dst, s)
		default:
			dst = append(dst, '{')
			dst = append(dst, name...)
			dst = append(dst, '}')
		}
	}
}

// appendElided writes "de X" or, in French before a vowel, "d'X".
func appendElided(dst []byte, lang int, word, name string) []byte {
	if lang != fr {
		return append(dst, name...)
	}
	r, _ := utf8.DecodeRuneInString(name)
	if strings.ContainsRune("aeiouyàâéèêëîïôöûùüAEIOUYÀÂÉÈÊÎÏÔÛ", r) {
		dst = append(dst, word[:len(word)-1]...)
		dst = append(dst, '\'')
		return append(dst, name...)
	}
	dst = append(dst, word...)
	dst = append(dst, ' ')
	return append(dst, name...)
}

func dayPart(t time.Time) int {
	h := parisHour(t)
	switch {
	case h < 6:
		return 0
	case h < 12:
		return 1
	case h < 18:
		return 2
	}
	return 3
}

const base62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// appendLink writes an invented URL on a reserved .example domain, so a
// click from a dashboard never lands on a real site.
func appendLink(dst []byte, s *slots) []byte {
	switch s.link {
	case linkOfficial:
		dst = append(dst, "https://www."...)
		dst = append(dst, s.brand.ID...)
		dst = append(dst, ".example/"...)
		dst = append(dst, pick(s.rng, []string{"offres", "app", "carrieres", "enquete"})...)
		dst = append(dst, '/')
		return strconv.AppendInt(dst, int64(1000+s.rng.IntN(9000)), 10)
	case linkPress:
		dst = append(dst, "https://www."...)
		dst = append(dst, s.brand.ID...)
		dst = append(dst, ".example/presse/communique-"...)
		return strconv.AppendInt(dst, int64(100+s.rng.IntN(900)), 10)
	case linkMedia:
		dst = append(dst, "https://www."...)
		dst = append(dst, s.host...)
		dst = append(dst, ".example/direct/"...)
		dst = append(dst, s.brand.ID...)
		dst = append(dst, '-')
		return strconv.AppendInt(dst, int64(100000+s.rng.IntN(900000)), 10)
	}
	if s.rng.IntN(3) == 0 {
		dst = append(dst, pick(s.rng, s.v.lex.articleHosts)...)
		dst = append(dst, s.brand.ID...)
		dst = append(dst, '-')
		return strconv.AppendInt(dst, int64(100000+s.rng.IntN(900000)), 10)
	}
	dst = append(dst, "https://lnk.example/"...)
	for range 7 {
		dst = append(dst, base62[s.rng.IntN(len(base62))])
	}
	return dst
}

func pick(rng *rand.Rand, l []string) string { return l[rng.IntN(len(l))] }

// capitalize upper-cases the first letter at or after b[from:].
func capitalize(b []byte, from int) []byte {
	if from >= len(b) {
		return b
	}
	r, size := utf8.DecodeRune(b[from:])
	up := unicode.ToUpper(r)
	if !unicode.IsLower(r) || unicode.ToLower(up) != r {
		return b // not a letter, or one that would not lower-case back (ſ, ı)
	}
	if utf8.RuneLen(up) == size {
		utf8.EncodeRune(b[from:], up)
		return b
	}
	rest := append([]byte(nil), b[from+size:]...)
	return append(utf8.AppendRune(b[:from], up), rest...)
}

// capitalizeSentences upper-cases the first letter of every sentence in
// b[from:], and of b[from:] itself when first is set, leaving URLs,
// @handles and #hashtags alone.
func capitalizeSentences(b []byte, from int, first bool) []byte {
	if first {
		b = capitalize(b, from)
	}
	for i := from; i+2 < len(b); i++ {
		if (b[i] == '.' || b[i] == '?' || b[i] == '!') && b[i+1] == ' ' && !bytes.HasPrefix(b[i+2:], []byte("http")) {
			b = capitalize(b, i+2)
		}
	}
	return b
}

// join appends sep, or a plain space when b already ends a sentence
// ("?", "!", ".", "…"), so that a tail never reads "?, like this".
func join(b []byte, sep string) []byte {
	if endsSentence(string(b)) || bytes.HasSuffix(b, []byte("…")) {
		return append(b, ' ')
	}
	return append(b, sep...)
}

// endsSentence reports whether what follows s starts a new sentence.
func endsSentence(s string) bool {
	return strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!")
}

// extract lists the hashtags, @handles and links of a text the way
// mention.Normalize stores them: lower-case, without '#' or '@', each once.
func extract(text string) (tags, handles, links []string) {
	for _, w := range strings.Fields(text) {
		if strings.HasPrefix(w, "https://") || strings.HasPrefix(w, "http://") {
			links = appendOnce(links, strings.TrimRight(w, ".,;:!?)»"))
			continue
		}
		prev := ' '
		for i, r := range w {
			if (r == '#' || r == '@') && !isTagRune(prev) {
				body := w[i+1:]
				end := strings.IndexFunc(body, func(c rune) bool {
					if r == '@' {
						return !(c < utf8.RuneSelf && (c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'))
					}
					return !isTagRune(c)
				})
				if end < 0 {
					end = len(body)
				}
				if end > 0 {
					if r == '#' {
						tags = appendOnce(tags, strings.ToLower(body[:end]))
					} else {
						handles = appendOnce(handles, strings.ToLower(body[:end]))
					}
				}
			}
			prev = r
		}
	}
	return tags, handles, links
}

func appendOnce(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}
