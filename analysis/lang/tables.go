package lang

import (
	_ "embed"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Languages that carry evidence. Only French and English are answered;
// the others exist so that a Spanish or German post is recognised as
// "not French, not English" instead of being forced into one of the two.
const (
	langFR = iota
	langEN
	langES
	langIT
	langPT
	langDE
	langNL
	langOther // letters of other Latin-script languages (ł, ş, å…)
	numLangs
)

// langIndex maps a language code of funcwords.txt to its index, or -1.
func langIndex(code string) int {
	switch code {
	case "fr":
		return langFR
	case "en":
		return langEN
	case "es":
		return langES
	case "it":
		return langIT
	case "pt":
		return langPT
	case "de":
		return langDE
	case "nl":
		return langNL
	}
	return -1
}

// Trigram symbols: 0 is the word boundary, 1-26 are a-z, then the letters
// that tell French apart, then one symbol for every other letter.
const (
	symBoundary = 0
	symOther    = 40
	numSyms     = 41
	numTrigrams = numSyms * numSyms * numSyms
	// llrScale is the quantisation step of the trigram table: stored value
	// / llrScale = natural-log likelihood ratio log P(fr) - log P(en).
	llrScale = 10
)

// symOf maps a lower-case letter to its trigram symbol.
func symOf(r rune) int {
	switch {
	case r >= 'a' && r <= 'z':
		return int(r-'a') + 1
	}
	switch r {
	case 'à':
		return 27
	case 'â':
		return 28
	case 'ç':
		return 29
	case 'é':
		return 30
	case 'è':
		return 31
	case 'ê':
		return 32
	case 'ë':
		return 33
	case 'î':
		return 34
	case 'ï':
		return 35
	case 'ô':
		return 36
	case 'ù':
		return 37
	case 'û':
		return 38
	case 'œ', 'æ':
		return 39
	}
	return symOther
}

// symChars spells the symbols in the table file: symbol i is its i-th rune.
const symChars = "_abcdefghijklmnopqrstuvwxyzàâçéèêëîïôùûœ?"

// symRune returns the rune that spells symbol s in the table file.
func symRune(s int) rune { return []rune(symChars)[s] }

func symOfTableRune(r rune) (int, bool) {
	i := 0
	for _, c := range symChars {
		if c == r {
			return i, true
		}
		i++
	}
	return 0, false
}

// fwEntry is the evidence one function word gives: share is added to every
// language whose bit is set in mask.
type fwEntry struct {
	mask  uint8
	share float32
}

type tableSet struct {
	funcWords map[string]fwEntry
	trigrams  [numTrigrams]int8
}

//go:embed funcwords.txt
var funcWordsFile string

//go:embed trigrams.tsv
var trigramsFile string

// tables holds the immutable tables, parsed once on first use. The embedded
// files are checked by the tests, so a parse failure cannot reach users;
// malformed lines are skipped rather than panicking.
var tables = sync.OnceValue(func() *tableSet {
	t := &tableSet{funcWords: parseFuncWords(funcWordsFile)}
	parseTrigrams(trigramsFile, &t.trigrams)
	return t
})

// parseFuncWords reads funcwords.txt: lines of "<lang> word word…".
func parseFuncWords(src string) map[string]fwEntry {
	masks := make(map[string]uint8, 1024)
	for line := range strings.Lines(src) {
		fields := strings.Fields(line)
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		li := langIndex(fields[0])
		if li < 0 {
			continue
		}
		for _, w := range fields[1:] {
			masks[w] |= 1 << li
		}
	}
	out := make(map[string]fwEntry, len(masks))
	for w, m := range masks {
		n := 0
		for b := m; b != 0; b &= b - 1 {
			n++
		}
		out[w] = fwEntry{mask: m, share: 1 / float32(n)}
	}
	return out
}

// parseTrigrams reads trigrams.tsv: lines of "<3 symbols>\t<quantised LLR>".
func parseTrigrams(src string, dst *[numTrigrams]int8) {
	for line := range strings.Lines(src) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		tri, val, ok := strings.Cut(line, "\t")
		if !ok || utf8.RuneCountInString(tri) != 3 {
			continue
		}
		v, err := strconv.Atoi(val)
		if err != nil || v < -127 || v > 127 {
			continue
		}
		idx, ok := trigramIndex(tri)
		if !ok {
			continue
		}
		dst[idx] = int8(v)
	}
}

func trigramIndex(tri string) (int, bool) {
	idx := 0
	for _, r := range tri {
		s, ok := symOfTableRune(r)
		if !ok {
			return 0, false
		}
		idx = idx*numSyms + s
	}
	return idx, true
}
