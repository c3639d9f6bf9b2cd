// Package lang tells French from English in short social posts, cheaply and
// without allocating, from function words and character trigrams. Posts in
// other languages, or with too little evidence, get "".
package lang

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// Codes returned by Detect.
const (
	French  = "fr"
	English = "en"
)

// Tuning of the decision, in natural-log units of "French rather than
// English" evidence (see README.md for how they were chosen).
const (
	// fwWeight is the evidence of one function word that belongs to a
	// single language ("the", "les").
	fwWeight = 3.0
	// wordClamp bounds the trigram evidence of one content word, so that a
	// single odd word (a name, a typo) cannot outvote the rest.
	wordClamp = 4.0
	// threshold is the evidence needed to answer; below it Detect says "".
	threshold = 1.0
	// charHintCap bounds the evidence of telltale letters (ñ, ß, ã…) per language.
	charHintCap = 2.0
	// maxScan is how many bytes of a long text are read: the start of an
	// article tells its language as well as the whole of it.
	maxScan = 4096
	// maxWord is the longest word kept, in bytes; longer words are truncated.
	maxWord = 64
)

// Detect returns "fr" for French, "en" for English and "" for any other
// language or when the text carries too little evidence (only emoji, URLs,
// handles or digits). URLs, @handles and #hashtags are ignored. Detect
// reads at most the first 4 KiB of text; it is safe for concurrent use and
// does not allocate.
func Detect(text string) string {
	d := detector{t: tables()}
	i := 0
	for i < len(text) && i < maxScan {
		c := text[i]
		if c == '@' || c == '#' || ((c == 'h' || c == 'H' || c == 'w' || c == 'W') && isURLAt(text, i)) {
			i = skipToken(text, i)
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsLetter(r) {
			i = d.word(text, i)
			continue
		}
		if r == '¿' || r == '¡' {
			d.hint(langES, 1)
		}
		i += size
	}
	return d.decide()
}

// detector accumulates the evidence of one text. It lives on the stack.
type detector struct {
	t        *tableSet
	ev       [numLangs]float32 // function-word evidence per language
	hints    [numLangs]float32 // telltale-letter evidence per language
	tri      float32           // trigram evidence, log P(fr) - log P(en)
	latin    int               // Latin-script letters seen
	nonLatin int               // letters of other scripts
	buf      [maxWord]byte
}

// word reads the word starting at text[i] (a letter), lower-cases it into
// d.buf, scores it and returns the index after it. Apostrophes between
// letters (', ’, ʼ) stay in the word as '\” so elisions can be split.
func (d *detector) word(text string, i int) int {
	n := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsLetter(r):
			if r < utf8.RuneSelf {
				if 'A' <= r && r <= 'Z' {
					r += 'a' - 'A'
				}
				d.latin++
			} else {
				r = unicode.ToLower(r)
				if r < 0x250 || unicode.Is(unicode.Latin, r) {
					d.latin++
					d.letterHint(r)
				} else {
					d.nonLatin++
				}
			}
			if n+utf8.RuneLen(r) <= maxWord {
				n = len(utf8.AppendRune(d.buf[:n], r))
			}
		case unicode.Is(unicode.Mn, r):
			// Combining marks of decomposed text: keep the base letter only.
		case isApostrophe(r) && n > 0 && d.buf[n-1] != '\'' && nextIsLetter(text, i+size):
			if n < maxWord {
				d.buf[n] = '\''
				n++
			}
		default:
			d.piece(d.buf[:n])
			return i
		}
		i += size
	}
	d.piece(d.buf[:n])
	return i
}

// piece scores one lower-cased word: a function word gives direct evidence,
// an elision or clitic is split off, anything else is scored by trigrams.
func (d *detector) piece(b []byte) {
	if len(b) == 0 {
		return
	}
	if e, ok := d.t.funcWords[string(b)]; ok {
		d.addFW(e)
		return
	}
	k := bytes.IndexByte(b, '\'')
	if k < 0 {
		d.trigramWord(b)
		return
	}
	// French and Italian elisions: l'avion, qu'il, dell'anno.
	if e, ok := d.t.funcWords[string(b[:k+1])]; ok {
		d.addFW(e)
		d.piece(b[k+1:])
		return
	}
	// English clitics: didn't, airline's, we'll.
	if k >= 1 && b[k-1] == 'n' && len(b) == k+2 && b[k+1] == 't' {
		if e, ok := d.t.funcWords["n't"]; ok {
			d.addFW(e)
		}
		d.piece(b[:k-1])
		return
	}
	if e, ok := d.t.funcWords[string(b[k:])]; ok {
		d.addFW(e)
		d.piece(b[:k])
		return
	}
	d.piece(b[:k])
	d.piece(b[k+1:])
}

func (d *detector) addFW(e fwEntry) {
	for l := range numLangs {
		if e.mask&(1<<l) != 0 {
			d.ev[l] += e.share
		}
	}
}

// trigramWord adds the trigram evidence of b, padded with word boundaries.
func (d *detector) trigramWord(b []byte) {
	p2, p1 := -1, symBoundary
	sum := 0
	score := func(s int) {
		if p2 >= 0 {
			sum += int(d.t.trigrams[(p2*numSyms+p1)*numSyms+s])
		}
		p2, p1 = p1, s
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		score(symOf(r))
	}
	score(symBoundary)
	v := float32(sum) / llrScale
	d.tri += max(-wordClamp, min(wordClamp, v))
}

// letterHint notes letters that French and English do not use but a
// neighbouring language does.
func (d *detector) letterHint(r rune) {
	switch r {
	case 'ñ':
		d.hint(langES, 1)
	case 'ã', 'õ':
		d.hint(langPT, 1)
	case 'ß', 'ä', 'ö':
		d.hint(langDE, 1)
	case 'ü':
		d.hint(langDE, 0.5)
	case 'ì', 'ò':
		d.hint(langIT, 1)
	case 'á', 'í', 'ó', 'ú':
		d.hint(langES, 0.5)
		d.hint(langPT, 0.5)
	case 'å', 'ø', 'ł', 'ą', 'ę', 'ś', 'ż', 'ź', 'ć', 'ń', 'ő', 'ű', 'ş', 'ğ', 'ı',
		'ř', 'ě', 'ů', 'č', 'ž', 'š', 'đ', 'ț', 'ș', 'ă', 'ā', 'ē', 'ī', 'ū':
		d.hint(langOther, 1)
	}
}

func (d *detector) hint(l int, v float32) {
	d.hints[l] = min(charHintCap, d.hints[l]+v)
}

func (d *detector) decide() string {
	if d.nonLatin > d.latin {
		return ""
	}
	var other float32
	for l := langES; l < numLangs; l++ {
		other = max(other, d.ev[l]+d.hints[l])
	}
	fr, en := d.ev[langFR], d.ev[langEN]
	if other >= 1 && other > max(fr, en) {
		return ""
	}
	score := fwWeight*(fr-en) + d.tri
	switch {
	case score >= threshold:
		return French
	case score <= -threshold:
		return English
	}
	return ""
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

func nextIsLetter(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r)
}

// isURLAt reports whether a URL (http://, https://, www.) starts at text[i].
func isURLAt(text string, i int) bool {
	if i > 0 {
		// Only at the start of a token: "shttp" is a word.
		if r, _ := utf8.DecodeLastRuneInString(text[:i]); unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	rest := text[i:]
	return hasPrefixFold(rest, "http://") || hasPrefixFold(rest, "https://") || hasPrefixFold(rest, "www.")
}

func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for j := 0; j < len(prefix); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[j] {
			return false
		}
	}
	return true
}

// skipToken returns the index of the first white space at or after i.
func skipToken(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			return i
		}
		i += size
	}
	return i
}
