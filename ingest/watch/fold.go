package watch

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text is compared folded: lower case, accents and other combining marks
// removed, and a few letters spelled out (œ → oe, ß → ss). Every
// character that is not a letter, a digit or a mark separates words, so
// apostrophes (' and ’) split elisions: "l’Oréal" holds "l" and "oreal".

// runeClass says what a rune is to the tokenizer.
type runeClass uint8

const (
	runeSep  runeClass = iota // ends a word
	runeWord                  // letter or digit: part of a word
	runeMark                  // combining mark or joiner: inside a word, folds to nothing
)

// asciiFold maps an ASCII byte to its folded form, or 0 when it is not a
// letter or digit. Read-only after package initialisation.
var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c
	}
	for c := byte('a'); c <= 'z'; c++ {
		t[c] = c
		t[c-'a'+'A'] = c
	}
	return t
}()

// The Latin ranges French, English and their neighbours use are folded
// with a table; other scripts go through unicode and norm (slower).
const (
	latinLo, latinHi = 0x80, 0x250    // Latin-1 Supplement, Extended-A and -B
	extLo, extHi     = 0x1E00, 0x1F00 // Latin Extended Additional (Vietnamese…)
)

// latinTable holds the folded form of each rune of the Latin ranges; ""
// means the rune separates words. Read-only after package initialisation.
type latinTable struct {
	lo  [latinHi - latinLo]string
	ext [extHi - extLo]string
}

var latinFold = buildLatinFold()

func buildLatinFold() *latinTable {
	// Letters that do not decompose into a base letter and marks.
	special := map[rune]string{
		'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ß': "ss", 'ẞ': "ss",
		'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d",
		'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th", 'ı': "i", 'ĳ': "ij",
		'Ĳ': "ij", 'ŀ': "l", 'Ŀ': "l", 'ŉ': "n", 'ſ': "s", 'ħ': "h",
		'Ħ': "h", 'ŧ': "t", 'Ŧ': "t", 'ƒ': "f",
	}
	t := new(latinTable)
	fill := func(dst []string, lo rune) {
		for i := range dst {
			r := lo + rune(i)
			if s, ok := special[r]; ok {
				dst[i] = s
				continue
			}
			if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
				continue
			}
			dst[i] = string(appendFoldSlow(nil, r, string(r)))
		}
	}
	fill(t.lo[:], latinLo)
	fill(t.ext[:], extLo)
	// Fold the folded forms again until nothing changes, so that folding
	// is idempotent: ǣ decomposes to æ, which folds to ae.
	refold := func(s string) string {
		var b []byte
		for _, r := range s {
			switch {
			case r >= latinLo && r < latinHi && t.lo[r-latinLo] != "":
				b = append(b, t.lo[r-latinLo]...)
			case r >= extLo && r < extHi:
				b = append(b, t.ext[r-extLo]...)
			default:
				b = utf8.AppendRune(b, r)
			}
		}
		return string(b)
	}
	for range 4 { // one round suffices today; the bound only guards a cycle
		changed := false
		for _, tab := range [][]string{t.lo[:], t.ext[:]} {
			for i, s := range tab {
				if f := refold(s); f != s {
					tab[i], changed = f, true
				}
			}
		}
		if !changed {
			break
		}
	}
	return t
}

// classify says what r is. Table runes are words when they have a folded
// form; soft hyphens and zero-width joiners are marks (ignored inside a
// word).
func classify(r rune) runeClass {
	switch {
	case r < utf8.RuneSelf:
		if asciiFold[r] != 0 {
			return runeWord
		}
		return runeSep
	case r == 0xAD || r == 0x200C || r == 0x200D:
		return runeMark
	case r < latinHi:
		if latinFold.lo[r-latinLo] != "" {
			return runeWord
		}
		return runeSep
	case r >= extLo && r < extHi:
		return runeWord // the whole block is letters
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
		return runeMark
	case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mc, r):
		return runeWord
	}
	return runeSep
}

// appendFold appends the folded form of the word rune r, whose UTF-8
// encoding in the input is src, to dst.
func appendFold(dst []byte, r rune, src string) []byte {
	switch {
	case r < utf8.RuneSelf:
		return append(dst, asciiFold[r])
	case r < latinHi:
		return append(dst, latinFold.lo[r-latinLo]...)
	case r >= extLo && r < extHi:
		return append(dst, latinFold.ext[r-extLo]...)
	}
	return appendFoldSlow(dst, r, src)
}

// appendFoldSlow folds any rune: when its canonical decomposition carries
// combining marks, the marks are dropped; the rest is lower-cased.
func appendFoldSlow(dst []byte, r rune, src string) []byte {
	d := norm.NFD.PropertiesString(src).Decomposition()
	hasMark := false
	for i := 0; i < len(d); {
		dr, n := utf8.DecodeRune(d[i:])
		if unicode.Is(unicode.Mn, dr) {
			hasMark = true
			break
		}
		i += n
	}
	if !hasMark {
		return utf8.AppendRune(dst, unicode.ToLower(r))
	}
	for i := 0; i < len(d); {
		dr, n := utf8.DecodeRune(d[i:])
		i += n
		if !unicode.Is(unicode.Mn, dr) {
			dst = utf8.AppendRune(dst, unicode.ToLower(dr))
		}
	}
	return dst
}

// startsWord reports whether s begins with a word rune.
func startsWord(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0]; c < utf8.RuneSelf {
		return asciiFold[c] != 0
	}
	r, _ := utf8.DecodeRuneInString(s)
	return classify(r) == runeWord
}

// tokKind is what a token was written as.
type tokKind uint8

const (
	tokWord    tokKind = iota
	tokHashtag         // #tag: the body, without '#'
	tokHandle          // @handle: the body, without the leading '@'
)

// token is one folded word of a text, in tokenizer.buf. For a handle
// written @user@instance, buf[start:local] is the local part "user"; for
// every other token local == end.
type token struct {
	start, local, end int32
	kind              tokKind
}

// tokenizer folds a text into words. Its buffers are reused from one text
// to the next.
type tokenizer struct {
	buf  []byte
	toks []token
}

func (t *tokenizer) reset() {
	t.buf = t.buf[:0]
	t.toks = t.toks[:0]
}

// text returns the folded bytes of token i.
func (t *tokenizer) text(i int) []byte {
	k := &t.toks[i]
	return t.buf[k.start:k.end]
}

// tokenize appends the tokens of s. A '#' or '@' that follows a
// separator and precedes a word rune opens a hashtag or handle; a hashtag
// body may also hold '_', a handle body '_', '.', '-' and one inner '@'
// (user@instance). Elsewhere, '#' and '@' separate words, so an e-mail
// address is three or more plain words.
func (t *tokenizer) tokenize(s string) {
	cur := -1 // index of the open token, or -1
	prevWord := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if f := asciiFold[c]; f != 0 {
				if cur < 0 {
					cur = t.open(tokWord, len(t.buf))
				}
				t.buf = append(t.buf, f)
				prevWord = true
				i++
				continue
			}
			if cur >= 0 && t.toks[cur].kind != tokWord && t.body(cur, c, s[i+1:]) {
				prevWord = true
				i++
				continue
			}
			if cur >= 0 {
				t.close(cur)
				cur = -1
			}
			if (c == '#' || c == '@') && !prevWord && startsWord(s[i+1:]) {
				kind := tokHashtag
				if c == '@' {
					kind = tokHandle
				}
				cur = t.open(kind, len(t.buf))
			}
			prevWord = false
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch classify(r) {
		case runeWord:
			if cur < 0 {
				cur = t.open(tokWord, len(t.buf))
			}
			t.buf = appendFold(t.buf, r, s[i:i+n])
			prevWord = true
		case runeMark:
			// Inside a word: dropped. Elsewhere: ignored.
		default:
			if cur >= 0 {
				t.close(cur)
				cur = -1
			}
			prevWord = false
		}
		i += n
	}
	if cur >= 0 {
		t.close(cur)
	}
}

func (t *tokenizer) open(kind tokKind, start int) int {
	t.toks = append(t.toks, token{start: int32(start), local: -1, kind: kind})
	return len(t.toks) - 1
}

// body appends c when it belongs to the hashtag or handle body of token
// cur; next is the input after c.
func (t *tokenizer) body(cur int, c byte, next string) bool {
	k := &t.toks[cur]
	switch {
	case c == '_':
	case k.kind == tokHandle && (c == '.' || c == '-'):
	case k.kind == tokHandle && c == '@' && k.local < 0 && startsWord(next):
		k.local = int32(len(t.buf))
	default:
		return false
	}
	t.buf = append(t.buf, c)
	return true
}

// close ends token cur at the end of the buffer. A handle loses its
// trailing dots and dashes (end of sentence, not of the handle).
func (t *tokenizer) close(cur int) {
	k := &t.toks[cur]
	if k.kind == tokHandle {
		for n := len(t.buf); n > int(k.start) && (t.buf[n-1] == '.' || t.buf[n-1] == '-'); n-- {
			t.buf = t.buf[:n-1]
		}
	}
	k.end = int32(len(t.buf))
	if k.local < 0 {
		k.local = k.end
	}
}

// appendFoldAll appends the folded form of s with every separator
// removed; body bytes ('_', and '.', '-', '@' when handle) are kept. The
// hashtag and handle lists of a Doc go through it.
func appendFoldAll(dst []byte, s string, handle bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case asciiFold[c] != 0:
				dst = append(dst, asciiFold[c])
			case c == '_', handle && (c == '.' || c == '-' || c == '@'):
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if classify(r) == runeWord {
			dst = appendFold(dst, r, s[i:i+n])
		}
		i += n
	}
	return dst
}
