// Package sentiment scores the tone of French and English social posts with
// lexicons and rules (negation, intensifiers, contrast, emoji, hashtags) and
// names the words that decided it.
package sentiment

import (
	"math"
	"slices"
	"strings"

	"github.com/vigie-project/vigie/analysis/lang"
	"github.com/vigie-project/vigie/mention"
)

// Label thresholds: a score at or above PositiveThreshold is positive, at
// or below NegativeThreshold negative, neutral in between.
const (
	PositiveThreshold = 0.1
	NegativeThreshold = -0.1
)

// MaxTerms is the most terms a Sentiment carries.
const MaxTerms = 8

// Analyzer scores texts. It is immutable after New and safe for concurrent use.
type Analyzer struct {
	fr, en    *lexicon
	emoji     map[rune]*entry
	emoticons map[string]*entry
	emoStart  [256]bool // bytes that start an emoticon
	nt        *entry    // English "n't"
}

// New loads the embedded lexicons. It fails only if they are malformed.
func New() (*Analyzer, error) {
	a := &Analyzer{
		fr:        newLexicon(true),
		en:        newLexicon(false),
		emoji:     make(map[rune]*entry, 1024),
		emoticons: make(map[string]*entry, 256),
	}
	steps := []func() error{
		func() error { return loadVADER(a.en, a.emoticons) },
		func() error { return loadCurated(a.en, "vigie-en.tsv") },
		func() error { return loadAFINNfr(a.fr) },
		func() error { return loadCurated(a.fr, "vigie-fr.tsv") },
		func() error { return loadPattern(a.fr) },
		func() error { return loadEmojiRanking(a.emoji) },
		func() error { return loadVigieEmoji(a.emoji, a.emoticons) },
		func() error { return loadSegmentWords(a.fr) },
		func() error { return loadSegmentWords(a.en) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	a.fr.applyRules(frenchRules())
	a.en.applyRules(englishRules())
	for _, r := range ironyMarkers {
		if e := a.emoji[r]; e != nil {
			e.flags |= fIrony
		}
	}
	a.fr.inflect()
	for _, lx := range []*lexicon{a.fr, a.en} {
		lx.finishRules()
		lx.addFolded()
		lx.trie = buildTrie(lx.words)
	}
	a.nt = a.en.word("n't") // made a negator by englishRules
	a.nt.term = "not"
	for k := range a.emoticons {
		a.emoStart[k[0]] = true
	}
	return a, nil
}

func loadCurated(lx *lexicon, name string) error {
	src, err := readLexiconFile(name)
	if err != nil {
		return err
	}
	return parseValenceTSV(src, name, lx.set)
}

// Score rates text written in language: "fr" or "en" (case-insensitive,
// region suffixes such as "fr-CA" accepted); any other value, such as "" or
// "es", lets lang.Detect decide, English by default. The score is in
// [-1, 1] and the label follows the thresholds above. Terms holds the
// words, expressions, emoji and punctuation that moved the score, largest
// |weight| first, at most MaxTerms; a weight is that term's share of the
// score, so the weights of all terms add up to it (up to rounding).
func (a *Analyzer) Score(text, language string) mention.Sentiment {
	lx := a.lexiconFor(text, language)
	z := tokenizer{a: a, lx: lx}
	z.run(text)
	z.stats.mixedCaps = z.caps > 0 && z.caps < z.words
	toks := mergePhrases(z.tokens())
	sum, emphasis := scoreTokens(toks, z.stats)
	total := sum + math.Copysign(emphasis, sum)
	norm := math.Sqrt(total*total + alpha)
	score := round4(total / norm)
	return mention.Sentiment{
		Score: score,
		Label: labelOf(score),
		Terms: terms(toks, emphasis, sum, z.stats, norm),
	}
}

func (a *Analyzer) lexiconFor(text, language string) *lexicon {
	if len(language) > 2 && (language[2] == '-' || language[2] == '_') {
		language = language[:2]
	}
	switch {
	case strings.EqualFold(language, lang.French):
		return a.fr
	case strings.EqualFold(language, lang.English):
		return a.en
	}
	if lang.Detect(text) == lang.French {
		return a.fr
	}
	return a.en
}

func labelOf(score float64) string {
	switch {
	case score >= PositiveThreshold:
		return mention.Positive
	case score <= NegativeThreshold:
		return mention.Negative
	}
	return mention.Neutral
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// mergePhrases replaces each run of words that forms a known expression
// ("n'importe quoi", "kind of") by one token, in place, longest first.
func mergePhrases(toks []token) []token {
	out := toks[:0]
	for i := 0; i < len(toks); {
		t := toks[i]
		if t.e != nil && len(t.e.phrases) > 0 {
			if ph := matchPhrase(toks[i:]); ph != nil {
				caps := true
				for _, w := range toks[i : i+len(ph.words)] {
					caps = caps && w.caps
				}
				out = append(out, token{e: &ph.entry, caps: caps})
				i += len(ph.words)
				continue
			}
		}
		out = append(out, t)
		i++
	}
	return out
}

func matchPhrase(toks []token) *phrase {
	for _, ph := range toks[0].e.phrases {
		if len(ph.words) > len(toks) {
			continue
		}
		ok := true
		for k, w := range ph.words {
			if toks[k].e != w || toks[k].kind == tkBreak {
				ok = false
				break
			}
		}
		if ok {
			return ph
		}
	}
	return nil
}

// exclamations and questions name the punctuation term.
const (
	exclamations = "!!!!"
	questions    = "???"
)

// terms lists the contributions, merged by term, largest first. Each is
// its token's share of the score: v / norm, so that they add up to it.
func terms(toks []token, emphasis, sum float64, st textStats, norm float64) []mention.Term {
	var buf [16]mention.Term
	list := buf[:0]
	for i := range toks {
		t := &toks[i]
		if t.v == 0 {
			continue
		}
		term := t.e.term
		switch {
		case t.negBy == nil:
		case t.negAfter:
			term = term + " " + t.negBy.term // "aime pas"
		case strings.HasSuffix(t.negBy.term, "'"):
			term = t.negBy.term + term // "n'aime"
		default:
			term = t.negBy.term + " " + term // "pas bon", "not like"
		}
		list = append(list, mention.Term{Term: term, Weight: t.v / norm})
	}
	if emphasis != 0 {
		// The emphasis of "!" and "?" goes the way of the sum.
		exclAmp := float64(min(st.excl, maxExcl)) * exclIncr
		if exclAmp != 0 {
			list = append(list, mention.Term{Term: exclamations[:min(st.excl, maxExcl)], Weight: math.Copysign(exclAmp, sum) / norm})
		}
		if questAmp := emphasis - exclAmp; questAmp > 0 {
			list = append(list, mention.Term{Term: questions[:min(st.quest, len(questions))], Weight: math.Copysign(questAmp, sum) / norm})
		}
	}
	if len(list) == 0 {
		return nil
	}
	merged := mergeTerms(list)
	n := 0
	for _, t := range merged {
		if n == MaxTerms {
			break
		}
		if w := round4(t.Weight); w != 0 {
			merged[n] = mention.Term{Term: t.Term, Weight: w}
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return slices.Clone(merged[:n])
}

// mergeTerms adds up the weights of equal terms and orders the result by
// |weight|. Posts give a handful of terms; long texts get a map and a sort.
func mergeTerms(list []mention.Term) []mention.Term {
	merged := list[:0]
	if len(list) <= 32 {
		for _, t := range list {
			k := slices.IndexFunc(merged, func(m mention.Term) bool { return m.Term == t.Term })
			if k >= 0 {
				merged[k].Weight += t.Weight
			} else {
				merged = append(merged, t)
			}
		}
		for i := 1; i < len(merged); i++ {
			for j := i; j > 0 && heavier(merged[j], merged[j-1]); j-- {
				merged[j], merged[j-1] = merged[j-1], merged[j]
			}
		}
		return merged
	}
	index := make(map[string]int, 64)
	for _, t := range list {
		if k, ok := index[t.Term]; ok {
			merged[k].Weight += t.Weight
		} else {
			index[t.Term] = len(merged)
			merged = append(merged, t)
		}
	}
	slices.SortFunc(merged, func(x, y mention.Term) int {
		if heavier(x, y) {
			return -1
		}
		if heavier(y, x) {
			return 1
		}
		return 0
	})
	return merged
}

// heavier orders terms by |weight|, then by name for a stable output.
func heavier(x, y mention.Term) bool {
	ax, ay := math.Abs(x.Weight), math.Abs(y.Weight)
	if ax != ay {
		return ax > ay
	}
	return x.Term < y.Term
}
