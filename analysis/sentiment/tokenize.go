package sentiment

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	maxWord     = 64 // bytes kept of one word; the rest is ignored
	maxEmoticon = 8  // longest emoticon, in bytes
)

type tokKind uint8

const (
	tkWord   tokKind = iota // a word (e may be nil: unknown word or number)
	tkSymbol                // an emoji or an emoticon
	tkBreak                 // clause boundary: , ; : ( ) – and sentence ends
)

// token is one unit of a text, as the rules see it.
type token struct {
	e        *entry
	negBy    *entry  // the negator that flipped it, for the reported term
	negAfter bool    // negBy follows the word: "j'aime pas"
	v        float64 // contribution, set by scoreTokens
	kind     tokKind
	caps     bool // ALL CAPS word
	elong    bool // letters repeated three times or more: "nuuuul"
	boosting bool // an intensifier that boosts a word (see markBoosting)
	post     bool // a dual intensifier boosting the word before it
	afterNe  bool // "ne"/"n'" comes before it in its clause
	conceded bool // "malgré"/"despite" comes before it in its clause
}

func (t *token) isBoundary() bool { return t.kind == tkBreak }

// tokenizer cuts a text into tokens and looks each one up. It lives on the
// stack of one Score call: tokens go to arr, and to the heap (more) only
// for long texts.
type tokenizer struct {
	a     *Analyzer
	lx    *lexicon
	arr   [48]token
	n     int
	more  []token
	stats textStats
	words int // words with letters
	caps  int // of which ALL CAPS
	buf   [maxWord]byte
	alt   [maxWord]byte
	fold  [2 * maxWord]byte
}

// run tokenizes text; the result is in z.tokens().
func (z *tokenizer) run(text string) {
	i := 0
	for i < len(text) {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
			continue
		case c == '\n':
			z.boundary()
			i++
			continue
		case c == '@' && !prevIsAlnum(text, i):
			i = skipHandle(text, i+1)
			continue
		case c == '#' && !prevIsAlnum(text, i) && i+1 < len(text) && startsWord(text[i+1:]):
			i = z.hashtag(text, i+1)
			continue
		case (c == 'h' || c == 'H' || c == 'w' || c == 'W') && isURLAt(text, i):
			i = skipToSpace(text, i)
			continue
		}
		if c < utf8.RuneSelf && !isASCIIAlnum(c) {
			if n := z.emoticon(text, i); n > 0 {
				i += n
				continue
			}
			if c == '&' {
				if n := htmlEntityLen(text[i:]); n > 0 {
					i += n // "&amp;", "&gt;": escaped text from some APIs
					continue
				}
			}
			switch c {
			case '!':
				z.stats.excl++
				z.boundary()
			case '?':
				z.stats.quest++
				z.boundary()
			case '.', ',', ';', ':', '(', ')', '[', ']', '|':
				z.boundary()
			case '-':
				if i > 0 && text[i-1] == ' ' && i+1 < len(text) && text[i+1] == ' ' {
					z.boundary()
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			i = z.word(text, i)
		case r == '…' || r == '—' || r == '–' || r == '¿' || r == '¡':
			z.boundary()
			i += size
		default:
			i = z.symbol(text, i)
		}
	}
}

func (z *tokenizer) push(t token) {
	if z.more == nil {
		if z.n < len(z.arr) {
			z.arr[z.n] = t
			z.n++
			return
		}
		z.more = make([]token, z.n, 4*len(z.arr))
		copy(z.more, z.arr[:z.n])
	}
	z.more = append(z.more, t)
}

// tokens returns the tokens pushed so far.
func (z *tokenizer) tokens() []token {
	if z.more != nil {
		return z.more
	}
	return z.arr[:z.n]
}

// boundary ends the current clause (once: repeated punctuation is one break).
func (z *tokenizer) boundary() {
	if toks := z.tokens(); len(toks) > 0 && toks[len(toks)-1].kind != tkBreak {
		z.push(token{kind: tkBreak})
	}
}

// word reads the word at text[i:], lower-cased into z.buf, and emits it.
// Apostrophes between letters stay in the word; hyphens split it.
func (z *tokenizer) word(text string, i int) int {
	n, letters, upper := 0, 0, 0
	var last rune
	run := 0
	elong := false
	for i < len(text) {
		if c := text[i]; c < utf8.RuneSelf && isASCIIAlnum(c) {
			// ASCII fast path.
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
				upper++
			}
			if c > '9' {
				letters++
			}
			if rune(c) == last {
				run++
				elong = elong || (run >= 3 && c > '9')
			} else {
				last, run = rune(c), 1
			}
			if n < maxWord {
				z.buf[n] = c
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if unicode.IsLetter(r) {
				letters++
				if unicode.IsUpper(r) {
					upper++
				}
			}
			lr := unicode.ToLower(r)
			if lr == last {
				run++
				if run >= 3 && unicode.IsLetter(lr) {
					elong = true
				}
			} else {
				last, run = lr, 1
			}
			if n+utf8.RuneLen(lr) <= maxWord {
				n = len(utf8.AppendRune(z.buf[:n], lr))
			}
		case unicode.Is(unicode.Mn, r):
			// combining mark of decomposed text: the base letter is enough
		case isApostrophe(r) && n > 0 && z.buf[n-1] != '\'' && nextIsLetter(text, i+size):
			if n < maxWord {
				z.buf[n] = '\''
				n++
			}
			last, run = '\'', 1
		default:
			z.finishWord(n, letters, upper, elong)
			return i
		}
		i += size
	}
	z.finishWord(n, letters, upper, elong)
	return i
}

func (z *tokenizer) finishWord(n, letters, upper int, elong bool) {
	caps := letters >= 2 && upper == letters
	if letters > 0 {
		z.words++
		if caps {
			z.caps++
		}
	}
	z.emitWord(z.buf[:n], caps, elong)
}

// emitWord looks b up and pushes its token(s), splitting French elisions
// ("l'avion") and English clitics ("didn't", "airline's").
func (z *tokenizer) emitWord(b []byte, caps, elong bool) {
	if len(b) == 0 {
		return
	}
	if e := z.lookupWord(b, elong); e != nil {
		z.push(token{e: e, caps: caps, elong: elong})
		return
	}
	k := bytes.IndexByte(b, '\'')
	if k < 0 {
		z.push(token{caps: caps})
		return
	}
	if z.lx.fr {
		if e := z.lx.words[string(b[:k+1])]; e != nil && e.flags&fElision != 0 {
			z.push(token{e: e})
			z.emitWord(b[k+1:], caps, elong)
			return
		}
	} else {
		tail := b[k+1:]
		if k >= 1 && b[k-1] == 'n' && len(tail) == 1 && tail[0] == 't' {
			z.push(token{e: z.a.nt})
			return
		}
		switch string(tail) {
		case "s", "ll", "re", "ve", "d", "m":
			z.emitWord(b[:k], caps, elong)
			return
		}
	}
	z.emitWord(b[:k], caps, elong)
	z.emitWord(b[k+1:], caps, elong)
}

// lookupWord finds the entry of a lower-cased word: as written, without
// accents, then with letters repeated three times or more collapsed
// ("nuuuul", "soooo"). French inflections are in the map (see inflect).
func (z *tokenizer) lookupWord(b []byte, elong bool) *entry {
	if e := z.lookup(b); e != nil {
		return e
	}
	if len(b) < 3 {
		return nil
	}
	if elong {
		if e := z.lookup(collapseRuns(z.alt[:0], b, 3, 2)); e != nil {
			return e
		}
		if e := z.lookup(collapseRuns(z.alt[:0], b, 3, 1)); e != nil {
			return e
		}
	}
	return nil
}

// lookup finds b as written, else without accents. A word typed with some
// accents only matches an entry that has them ("dégouté" finds "dégoûté",
// "après" does not find "âpres").
func (z *tokenizer) lookup(b []byte) *entry {
	if e := z.lx.words[string(b)]; e != nil {
		return e
	}
	f, changed := foldAppend(z.fold[:0], b)
	if !changed {
		return nil
	}
	e := z.lx.words[string(f)]
	if e == nil || !accentsAgree(b, e.term) {
		return nil
	}
	return e
}

// accentsAgree reports whether every accented letter of b occurs in term.
func accentsAgree(b []byte, term string) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r >= utf8.RuneSelf && !strings.ContainsRune(term, r) {
			return false
		}
	}
	return true
}

// collapseRuns copies b into dst, shortening every run of at least min
// identical letters to keep letters.
func collapseRuns(dst, b []byte, min, keep int) []byte {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		j := i + size
		count := 1
		for j < len(b) {
			r2, s2 := utf8.DecodeRune(b[j:])
			if r2 != r {
				break
			}
			j += s2
			count++
		}
		if count >= min && unicode.IsLetter(r) {
			count = keep
		}
		for range count {
			dst = utf8.AppendRune(dst, r)
		}
		i = j
	}
	return dst
}

// emoticon matches an emoticon at text[i:] and emits it; it returns the
// bytes used, or 0.
func (z *tokenizer) emoticon(text string, i int) int {
	if !z.a.emoStart[text[i]] || (i > 0 && text[i-1] >= '0' && text[i-1] <= '9') {
		return 0 // not an emoticon, or a time such as "10:30"
	}
	for n := min(maxEmoticon, len(text)-i); n >= 2; n-- {
		e := z.a.emoticons[text[i:i+n]]
		if e == nil {
			continue
		}
		if i+n < len(text) {
			next := text[i+n]
			last := text[i+n-1]
			switch {
			case next == ' ' || next == '\t' || next == '\n' || next == '\r' || next >= utf8.RuneSelf:
			case next == '!' || next == '?' || next == '.' || next == ',' || next == ';':
			case isASCIIAlnum(next) && !isASCIIAlnum(last):
			default:
				continue
			}
		}
		z.push(token{e: e, kind: tkSymbol})
		return n
	}
	return 0
}

// symbol reads an emoji (with its modifiers and joined parts) or any other
// symbol at text[i:], emits it and returns the index after it.
func (z *tokenizer) symbol(text string, i int) int {
	r, size := utf8.DecodeRuneInString(text[i:])
	i += size
	e := z.a.emoji[r]
	if e == nil && !isEmoji(r) {
		return i // other symbols (©, ™, invalid bytes) carry nothing
	}
	// Skin tones, variation selectors, keycaps, tags, and ZWJ sequences:
	// the first emoji of a sequence speaks for it ("🤦‍♂️" is "🤦").
	for i < len(text) {
		r2, s2 := utf8.DecodeRuneInString(text[i:])
		switch {
		case r2 == 0xFE0F || r2 == 0xFE0E || r2 == 0x20E3 || (r2 >= 0x1F3FB && r2 <= 0x1F3FF) ||
			(r2 >= 0xE0020 && r2 <= 0xE007F):
			i += s2
			continue
		case r2 == 0x200D:
			i += s2
			if i < len(text) {
				_, s3 := utf8.DecodeRuneInString(text[i:])
				i += s3
			}
			continue
		case r >= 0x1F1E6 && r <= 0x1F1FF && r2 >= 0x1F1E6 && r2 <= 0x1F1FF:
			i += s2 // the second half of a flag
		}
		break
	}
	z.push(token{e: e, kind: tkSymbol})
	return i
}

// htmlEntityLen returns the length of the HTML entity at the start of s
// ("&amp;", "&#39;"), or 0.
func htmlEntityLen(s string) int {
	for j := 1; j < len(s) && j <= 8; j++ {
		c := s[j]
		switch {
		case c == ';':
			if j > 1 {
				return j + 1
			}
			return 0
		case isASCIIAlnum(c) || (c == '#' && j == 1):
		default:
			return 0
		}
	}
	return 0
}

// isEmoji reports whether r is in the Unicode blocks that hold emoji.
func isEmoji(r rune) bool {
	return (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) ||
		(r >= 0x2B00 && r <= 0x2BFF) || (r >= 0x2300 && r <= 0x23FF)
}

func isASCIIAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

func nextIsLetter(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r)
}

func startsWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func prevIsAlnum(text string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// skipHandle skips the name of an @handle.
func skipHandle(text string, i int) int {
	for i < len(text) {
		c := text[i]
		if !isASCIIAlnum(c) && c != '_' && c != '.' {
			break
		}
		i++
	}
	return i
}

// isURLAt reports whether a URL (http://, https://, www.) starts at text[i].
func isURLAt(text string, i int) bool {
	if prevIsAlnum(text, i) {
		return false
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

func skipToSpace(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			return i
		}
		i += size
	}
	return i
}

// foldAppend appends src to dst with French, Spanish and German accents
// removed; changed reports whether anything was folded.
func foldAppend(dst, src []byte) (out []byte, changed bool) {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		i += size
		var s string
		switch r {
		case 'à', 'â', 'ä', 'á', 'ã', 'å':
			s = "a"
		case 'ç':
			s = "c"
		case 'é', 'è', 'ê', 'ë':
			s = "e"
		case 'î', 'ï', 'í', 'ì':
			s = "i"
		case 'ô', 'ö', 'ó', 'ò', 'õ':
			s = "o"
		case 'ù', 'û', 'ü', 'ú':
			s = "u"
		case 'ÿ':
			s = "y"
		case 'ñ':
			s = "n"
		case 'œ':
			s = "oe"
		case 'æ':
			s = "ae"
		default:
			dst = utf8.AppendRune(dst, r)
			continue
		}
		dst = append(dst, s...)
		changed = true
	}
	return dst, changed
}
