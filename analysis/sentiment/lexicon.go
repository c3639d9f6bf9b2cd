package sentiment

import (
	"bufio"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:embed lexicons/*.txt lexicons/*.tsv lexicons/*.csv lexicons/*.xml
var lexiconFS embed.FS

// Scales that bring every source to VADER's valence range (-4..+4).
const (
	afinnScale   = 0.8 // AFINN: integers -5..+5
	patternScale = 3.0 // Pattern: polarity -1..+1
	emojiScale   = 3.0 // Emoji Sentiment Ranking: p(+) - p(-), in -1..+1
	// patternMinPolarity drops Pattern adjectives too weak to matter.
	patternMinPolarity = 0.1
	// patternMinSubjectivity drops Pattern's objective adjectives
	// ("nouveau", "premier", "ouvert"), whose polarity is noise in posts.
	patternMinSubjectivity = 0.4
	// emojiMinOccurrences is the Ranking's own advice: trust rows with at
	// least this many occurrences.
	emojiMinOccurrences = 5
)

// flags say how a word takes part in the rules (see rules.go).
type flags uint16

const (
	fNegator      flags = 1 << iota // negates the sentiment words in its scope
	fNegNeedsNe                     // "plus": negates only after ne/n' in the same clause
	fNe                             // ne, n'
	fPostNegator                    // pas, jamais…: "j'aime pas" (French, after the verb)
	fNeverSo                        // jamais, never: "never so good" boosts, does not negate
	fSoLike                         // so, this, aussi, si, autant
	fBooster                        // intensifier (boost > 0) or dampener (boost < 0)
	fContrast                       // mais, but: the clause after it weighs more
	fConcession                     // malgré, despite: the rest of the clause weighs less
	fSubject                        // French subject pronoun
	fObject                         // French object pronoun
	fElision                        // French elided word that ends with an apostrophe: l', qu'
	fSelfNegating                   // an expression holding its own negation: "ne fonctionne pas"
	fInterjection                   // "bon" alone at the start of a clause carries no sentiment
	fIrony                          // 🙃, 🙄, 🤡: the praise around it is ironic
)

// entry is one word, expression, emoji or emoticon. Entries are built by
// New and never change afterwards.
type entry struct {
	term    string  // canonical form, reported in mention.Term
	valence float64 // VADER scale; 0 for words that only carry rules
	boost   float64 // for fBooster
	flags   flags
	dual    bool      // a booster that is a sentiment word when it boosts nothing ("super")
	defined bool      // valence set by a curated source, even to 0: Pattern must not fill it
	phrases []*phrase // expressions starting with this word, longest first
}

// phrase is an expression of several words, matched as one token.
type phrase struct {
	words []*entry
	entry entry
}

// lexicon is the vocabulary of one language.
type lexicon struct {
	fr    bool
	words map[string]*entry // exact forms, plus accent-folded forms that clash with none
	trie  *trie             // every single word, for hashtag segmentation
}

func readLexiconFile(name string) (string, error) {
	b, err := lexiconFS.ReadFile("lexicons/" + name)
	if err != nil {
		return "", fmt.Errorf("sentiment: read lexicon %s: %w", name, err)
	}
	return string(b), nil
}

// newLexicon starts an empty lexicon.
func newLexicon(fr bool) *lexicon {
	return &lexicon{fr: fr, words: make(map[string]*entry, 16384)}
}

// word returns the entry for a single-word key, creating it if needed.
func (lx *lexicon) word(key string) *entry {
	if e := lx.words[key]; e != nil {
		return e
	}
	e := &entry{term: key}
	lx.words[key] = e
	return e
}

// set gives key (a word or an expression) the valence v, replacing any
// earlier value.
func (lx *lexicon) set(key string, v float64) {
	parts := splitKey(key, lx.fr)
	switch len(parts) {
	case 0:
		return
	case 1:
		e := lx.word(parts[0])
		e.valence, e.defined = v, true
	default:
		e := lx.phrase(parts, strings.Join(strings.Fields(normKey(key)), " "))
		e.valence, e.defined = v, true
	}
}

// phrase returns the entry of the expression made of parts, creating it.
func (lx *lexicon) phrase(parts []string, term string) *entry {
	words := make([]*entry, len(parts))
	for i, p := range parts {
		words[i] = lx.word(p)
	}
	first := words[0]
	for _, ph := range first.phrases {
		if slices.Equal(ph.words, words) {
			return &ph.entry
		}
	}
	ph := &phrase{words: words, entry: entry{term: term}}
	first.phrases = append(first.phrases, ph)
	slices.SortStableFunc(first.phrases, func(a, b *phrase) int { return len(b.words) - len(a.words) })
	return &ph.entry
}

// normKey lower-cases a lexicon key and normalises its apostrophes.
func normKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("’", "'", "ʼ", "'").Replace(s)
}

// splitKey cuts a lexicon key into the words the tokenizer would produce:
// on spaces and hyphens, and (French) after elisions such as "n'".
func splitKey(key string, fr bool) []string {
	var out []string
	for _, w := range strings.FieldsFunc(normKey(key), func(r rune) bool { return r == ' ' || r == '-' || r == '\t' }) {
		for fr {
			k := strings.IndexByte(w, '\'')
			if k < 0 || k == len(w)-1 || !isElision(w[:k+1]) {
				break
			}
			out = append(out, w[:k+1])
			w = w[k+1:]
		}
		out = append(out, w)
	}
	return out
}

// frenchElisions are the French words that lose their vowel before another
// word: the tokenizer splits "l'avion" into "l'" and "avion".
func frenchElisions() []string {
	return []string{"l'", "d'", "j'", "n'", "qu'", "c'", "s'", "m'", "t'", "jusqu'", "lorsqu'", "puisqu'", "quoiqu'", "presqu'"}
}

func isElision(w string) bool { return slices.Contains(frenchElisions(), w) }

// parseValenceTSV reads vigie's own lexicon format: "forms <TAB> valence
// [<TAB> note]", forms separated by commas.
func parseValenceTSV(src, name string, fn func(form string, v float64)) error {
	for n, line := range splitLines(src) {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			return fmt.Errorf("sentiment: %s line %d: want forms<TAB>valence", name, n+1)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(f[1]), 64)
		if err != nil || math.IsNaN(v) || v < -4 || v > 4 {
			return fmt.Errorf("sentiment: %s line %d: bad valence %q", name, n+1, f[1])
		}
		for form := range strings.SplitSeq(f[0], ",") {
			if form = strings.TrimSpace(form); form != "" {
				fn(form, v)
			}
		}
	}
	return nil
}

func splitLines(s string) []string {
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// loadVADER reads vader_lexicon.txt ("token <TAB> mean <TAB> sd <TAB>
// ratings"): words go to lx, emoticons to emoticons.
func loadVADER(lx *lexicon, emoticons map[string]*entry) error {
	src, err := readLexiconFile("vader_lexicon.txt")
	if err != nil {
		return err
	}
	for n, line := range splitLines(src) {
		tok, rest, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		meanStr, _, _ := strings.Cut(rest, "\t")
		v, err := strconv.ParseFloat(meanStr, 64)
		if err != nil {
			return fmt.Errorf("sentiment: vader_lexicon.txt line %d: %w", n+1, err)
		}
		switch {
		case isEmoticonKey(tok):
			emoticons[tok] = &entry{term: tok, valence: v}
		case isWordKey(tok) && utf8.RuneCountInString(tok) > 1:
			// Single letters ("l", "x") are dropped, as VADER's tokenizer does.
			lx.set(tok, v)
		}
	}
	return nil
}

// isWordKey reports whether a VADER token is made of letters and digits
// (with inner apostrophes, hyphens or spaces): "can't stand", "gr8".
func isWordKey(s string) bool {
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r), r == '\'', r == '-', r == ' ':
		default:
			return false
		}
	}
	return letters > 0
}

// isEmoticonKey keeps the emoticons with eyes (":", ";", "=") or a known
// shape; VADER's other symbol strings ("(%", "8)") match ordinary text.
func isEmoticonKey(s string) bool {
	if len(s) < 2 || len(s) > maxEmoticon || s[0] >= utf8.RuneSelf || isASCIIAlnum(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || s[i] == ' ' {
			return false
		}
	}
	return strings.ContainsAny(s, ":;=") || s == "<3" || s == "</3" || s == "\\o/" || s == ">.<"
}

// loadAFINNfr reads AFINN-fr-165.txt ("word <TAB> integer") with vigie's
// corrections from afinn-fr-review.tsv.
func loadAFINNfr(lx *lexicon) error {
	src, err := readLexiconFile("AFINN-fr-165.txt")
	if err != nil {
		return err
	}
	review, err := readLexiconFile("afinn-fr-review.tsv")
	if err != nil {
		return err
	}
	sum := map[string]float64{}
	count := map[string]int{}
	var order []string
	for n, line := range splitLines(src) {
		w, vs, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(vs))
		if err != nil {
			return fmt.Errorf("sentiment: AFINN-fr-165.txt line %d: %w", n+1, err)
		}
		w = strings.TrimPrefix(normKey(w), "l'")
		if strings.ContainsAny(w, " -'") || w == "" {
			continue // expressions: the good ones are in vigie-fr.tsv
		}
		if count[w] == 0 {
			order = append(order, w)
		}
		sum[w] += float64(v)
		count[w]++
	}
	fixes := map[string]float64{}
	for n, line := range splitLines(review) {
		if line == "" || line[0] == '#' {
			continue
		}
		w, rest, _ := strings.Cut(line, "\t")
		vs, _, _ := strings.Cut(rest, "\t")
		v, err := strconv.ParseFloat(vs, 64)
		if err != nil {
			return fmt.Errorf("sentiment: afinn-fr-review.tsv line %d: want word<TAB>value: %w", n+1, err)
		}
		fixes[normKey(w)] = v
	}
	for _, w := range order {
		v := sum[w] / float64(count[w])
		if fix, ok := fixes[w]; ok {
			v = fix
		}
		lx.set(w, v*afinnScale) // 0 (a reviewed-out word) blocks Pattern too
	}
	return nil
}

// loadPattern reads Pattern's fr-sentiment.xml, for the words no other
// source has.
func loadPattern(lx *lexicon) error {
	src, err := readLexiconFile("fr-sentiment.xml")
	if err != nil {
		return err
	}
	patternWord := regexp.MustCompile(`<word form="([^"]+)"[^>]*? polarity="([-0-9.]+)" subjectivity="([-0-9.]+)"`)
	sum := map[string]float64{}
	count := map[string]int{}
	var order []string
	for _, m := range patternWord.FindAllStringSubmatch(src, -1) {
		p, err1 := strconv.ParseFloat(m[2], 64)
		subj, err2 := strconv.ParseFloat(m[3], 64)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("sentiment: fr-sentiment.xml: %q: %w", m[0], err)
		}
		if subj < patternMinSubjectivity {
			continue
		}
		w := normKey(m[1])
		if count[w] == 0 {
			order = append(order, w)
		}
		sum[w] += p
		count[w]++
	}
	if len(order) == 0 {
		return errors.New("sentiment: fr-sentiment.xml: no words")
	}
	for _, w := range order {
		p := sum[w] / float64(count[w])
		if math.Abs(p) < patternMinPolarity || strings.Contains(w, " ") {
			continue
		}
		if e := lx.words[w]; e == nil || !e.defined {
			lx.set(w, p*patternScale)
		}
	}
	return nil
}

// loadEmojiRanking reads the Emoji Sentiment Ranking CSV.
func loadEmojiRanking(emoji map[rune]*entry) error {
	src, err := readLexiconFile("Emoji_Sentiment_Data_v1.0.csv")
	if err != nil {
		return err
	}
	r := csv.NewReader(strings.NewReader(src))
	r.FieldsPerRecord = -1
	header := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("sentiment: Emoji_Sentiment_Data_v1.0.csv: %w", err)
		}
		if header {
			header = false
			continue
		}
		if len(rec) < 7 {
			return fmt.Errorf("sentiment: Emoji_Sentiment_Data_v1.0.csv: short row %q", rec)
		}
		cp, err1 := strconv.ParseInt(strings.TrimPrefix(rec[1], "0x"), 16, 32)
		n, err2 := strconv.Atoi(rec[2])
		neg, err3 := strconv.Atoi(rec[4])
		pos, err4 := strconv.Atoi(rec[6])
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return fmt.Errorf("sentiment: Emoji_Sentiment_Data_v1.0.csv: row %q: %w", rec, err)
		}
		if n < emojiMinOccurrences {
			continue
		}
		score := float64(pos+1)/float64(n+3) - float64(neg+1)/float64(n+3)
		emoji[rune(cp)] = &entry{term: string(rune(cp)), valence: score * emojiScale}
	}
	return nil
}

// loadVigieEmoji reads vigie-emoji.tsv, which overrides the Ranking.
func loadVigieEmoji(emoji map[rune]*entry, emoticons map[string]*entry) error {
	src, err := readLexiconFile("vigie-emoji.tsv")
	if err != nil {
		return err
	}
	return parseValenceTSV(src, "vigie-emoji.tsv", func(form string, v float64) {
		form = strings.TrimRight(form, "\ufe0f")
		if r, size := utf8.DecodeRuneInString(form); size == len(form) && r >= utf8.RuneSelf {
			emoji[r] = &entry{term: form, valence: v}
			return
		}
		emoticons[form] = &entry{term: form, valence: v}
	})
}

// loadSegmentWords adds the hashtag-segmentation vocabulary of one language.
func loadSegmentWords(lx *lexicon) error {
	src, err := readLexiconFile("segment-words.txt")
	if err != nil {
		return err
	}
	lang := "en"
	if lx.fr {
		lang = "fr"
	}
	sc := bufio.NewScanner(strings.NewReader(src))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || (f[0] != lang && f[0] != "xx") {
			continue
		}
		for _, w := range f[1:] {
			lx.word(normKey(w))
		}
	}
	return sc.Err()
}

// inflect adds the inflected forms of the French sentiment words, so that
// text finds "adorais", "détruite", "délirants" or "géniaux" from "adore",
// "détruit", "délirant", "génial". A form never replaces an entry of its own.
func (lx *lexicon) inflect() {
	// from is the ending of the lexicon form ("" for any), to the ending
	// that replaces it.
	inflections := [...]struct{ from, to string }{
		{"", "s"}, {"", "e"}, {"", "es"}, {"al", "aux"},
		{"e", "es"}, {"e", "ent"}, {"e", "ais"}, {"e", "ait"}, {"e", "aient"}, {"e", "ions"},
		{"e", "iez"}, {"e", "ons"}, {"e", "ez"}, {"e", "é"}, {"e", "er"},
		{"er", "ais"}, {"er", "ait"}, {"er", "aient"}, {"er", "é"}, {"er", "e"},
		{"é", "ée"}, {"é", "és"}, {"é", "ées"}, {"eux", "euse"}, {"eux", "euses"},
	}
	keys := make([]string, 0, len(lx.words))
	for k, e := range lx.words {
		if e.valence != 0 && e.term == k && utf8.RuneCountInString(k) >= 3 && isLetters(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, in := range inflections {
			if !strings.HasSuffix(k, in.from) || (in.from == "" && strings.HasSuffix(k, in.to[:1])) {
				continue
			}
			form := k[:len(k)-len(in.from)] + in.to
			if _, taken := lx.words[form]; !taken {
				lx.words[form] = lx.words[k]
			}
		}
	}
}

// minFoldValence: only words at least this strong, or with a rule role,
// are found without their accents; weak words would catch common
// unaccented words ("passe" is not "passé").
const minFoldValence = 0.8

// addFolded makes words typed without accents ("tres", "degoute") find
// their entry. A folded form never replaces an exact one; when two entries
// fold alike, the first in sort order wins.
func (lx *lexicon) addFolded() {
	keys := make([]string, 0, len(lx.words))
	for k, e := range lx.words {
		if math.Abs(e.valence) >= minFoldValence || e.flags != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var buf []byte
	for _, k := range keys {
		f, changed := foldAppend(buf[:0], []byte(k))
		buf = f
		if !changed {
			continue
		}
		if _, taken := lx.words[string(f)]; !taken {
			lx.words[string(f)] = lx.words[k]
		}
	}
}
