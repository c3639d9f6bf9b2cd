package charter

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// token is one word of a text after normalisation: lower case, accents
// removed, split on everything that is not a letter or a digit, French
// elisions expanded ("l'entreprise" is "le entreprise", "n’engagent" is
// "ne engagent").
type token struct {
	ns, ne     int    // normalised form: buf[ns:ne]
	start, end int    // byte offsets of the word in the source text
	flag       byte   // '#' for a hashtag, '@' for a handle, else 0
	hash       uint64 // FNV-1a of the normalised form
}

// textStats are counts gathered during tokenisation that decide, for free,
// whether the digit- and @-based validators need to run at all.
type textStats struct {
	digits  int  // ASCII digits
	cluster int  // most digits in one cluster: digits at most maxClusterGap non-word bytes apart
	at      bool // an '@' follows a letter or digit (a possible e-mail)
}

// tokenize appends the normalised words of text to buf and toks. stats may
// be nil.
func tokenize(text string, buf []byte, toks []token, stats *textStats) ([]byte, []token) {
	buf = slices.Grow(buf, len(text)+8)
	var st textStats
	run, gap := 0, maxClusterGap+1 // digits in the current cluster, bytes since its last digit
	inTok := false
	var cur token
	var flag byte // '#' or '@' just before, not after a word
	prevWord := false
	for i := 0; i < len(text); {
		c := text[i]
		size := 1
		word := true
		switch {
		case c >= 'a' && c <= 'z':
			if !inTok {
				cur, inTok = token{ns: len(buf), start: i, flag: flag}, true
			}
			// Most of a text is runs of lower-case ASCII letters: copy them at once.
			j := i + 1
			for j < len(text) && text[j] >= 'a' && text[j] <= 'z' {
				j++
			}
			buf = append(buf, text[i:j]...)
			size = j - i
			run, gap = 0, maxClusterGap+1
		case c >= 'A' && c <= 'Z':
			if !inTok {
				cur, inTok = token{ns: len(buf), start: i, flag: flag}, true
			}
			buf = append(buf, c+'a'-'A')
			run, gap = 0, maxClusterGap+1
		case c >= '0' && c <= '9':
			if !inTok {
				cur, inTok = token{ns: len(buf), start: i, flag: flag}, true
			}
			buf = append(buf, c)
			st.digits++
			if gap > maxClusterGap {
				run = 0
			}
			run, gap = run+1, 0
			st.cluster = max(st.cluster, run)
		case c < utf8.RuneSelf:
			word = false
			gap++
		default:
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			switch {
			case inTok && unicode.Is(unicode.Mn, r):
				// A combining accent (decomposed text): dropped, the word goes on.
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				if !inTok {
					cur, inTok = token{ns: len(buf), start: i, flag: flag}, true
				}
				buf = appendFolded(buf, r)
				run, gap = 0, maxClusterGap+1
			default:
				word = false
				gap += size
				if inTok && isApostrophe(r) && letterAt(text, i+size) {
					buf = expandElision(buf, cur.ns)
				}
			}
		}
		if !word {
			if inTok {
				if c == '\'' && letterAt(text, i+1) {
					buf = expandElision(buf, cur.ns)
				}
				cur.ne, cur.end = len(buf), i
				cur.hash = fnv1a(buf[cur.ns:cur.ne])
				toks = append(toks, cur)
				inTok = false
			}
			if c == '@' && prevWord {
				st.at = true
			}
			// A '#' or '@' right before a word, and not after one, marks it.
			flag = 0
			if !prevWord && (c == '#' || c == '@') {
				flag = c
			}
		}
		prevWord = word
		i += size
	}
	if inTok {
		cur.ne, cur.end = len(buf), len(text)
		cur.hash = fnv1a(buf[cur.ns:cur.ne])
		toks = append(toks, cur)
	}
	if stats != nil {
		*stats = st
	}
	return buf, toks
}

// maxClusterGap is how many bytes that are not letters or digits may sit
// between two digits of one cluster: enough for "+33 (0)6", a no-break
// space or " - ", so that the cluster bounds every number the validators
// can find.
const maxClusterGap = 4

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

func letterAt(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r)
}

// expandElision rewrites a French elided word, the normalised word at
// buf[start:], to its full form: d' → de, l' → le, qu' → que… so that
// "au nom de" matches "au nom d'Acme" and "n'engagent" is "ne engagent"
// on both sides. English words before an apostrophe ("don't", "I'm")
// are never one of these.
func expandElision(buf []byte, start int) []byte {
	var full string
	switch string(buf[start:]) {
	case "d":
		full = "de"
	case "l":
		full = "le"
	case "j":
		full = "je"
	case "m":
		full = "me"
	case "t":
		full = "te"
	case "s":
		full = "se"
	case "n":
		full = "ne"
	case "c":
		full = "ce"
	case "qu":
		full = "que"
	case "jusqu":
		full = "jusque"
	case "lorsqu":
		full = "lorsque"
	case "puisqu":
		full = "puisque"
	default:
		return buf
	}
	return append(buf[:start], full...)
}

// appendFolded appends the lower-case, accent-free form of a non-ASCII
// letter or digit: é→e, ç→c, œ→oe, ß→ss. Letters outside Latin-1 and
// Latin Extended-A are only lower-cased.
func appendFolded(buf []byte, r rune) []byte {
	if r >= 0xC0 && r <= 0x17F {
		if s := foldLatin(r); s != "" {
			return append(buf, s...)
		}
	}
	return utf8.AppendRune(buf, unicode.ToLower(r))
}

// foldLatin maps the letters of U+00C0..U+017F to their base letters.
func foldLatin(r rune) string {
	switch {
	case r <= 0xC5 || (r >= 0xE0 && r <= 0xE5) || (r >= 0x100 && r <= 0x105):
		return "a"
	case r == 0xC6 || r == 0xE6:
		return "ae"
	case r == 0xC7 || r == 0xE7 || (r >= 0x106 && r <= 0x10D):
		return "c"
	case (r >= 0xC8 && r <= 0xCB) || (r >= 0xE8 && r <= 0xEB) || (r >= 0x112 && r <= 0x11B):
		return "e"
	case (r >= 0xCC && r <= 0xCF) || (r >= 0xEC && r <= 0xEF) || (r >= 0x128 && r <= 0x131):
		return "i"
	case r == 0xD0 || r == 0xF0 || (r >= 0x10E && r <= 0x111):
		return "d"
	case r == 0xD1 || r == 0xF1 || (r >= 0x143 && r <= 0x14B):
		return "n"
	case (r >= 0xD2 && r <= 0xD6) || r == 0xD8 || (r >= 0xF2 && r <= 0xF6) || r == 0xF8 || (r >= 0x14C && r <= 0x151):
		return "o"
	case (r >= 0xD9 && r <= 0xDC) || (r >= 0xF9 && r <= 0xFC) || (r >= 0x168 && r <= 0x173):
		return "u"
	case r == 0xDD || r == 0xFD || r == 0xFF || (r >= 0x176 && r <= 0x178):
		return "y"
	case r == 0xDE || r == 0xFE:
		return "th"
	case r == 0xDF:
		return "ss"
	case r >= 0x11C && r <= 0x123:
		return "g"
	case r >= 0x124 && r <= 0x127:
		return "h"
	case r == 0x132 || r == 0x133:
		return "ij"
	case r == 0x134 || r == 0x135:
		return "j"
	case r >= 0x136 && r <= 0x138:
		return "k"
	case r >= 0x139 && r <= 0x142:
		return "l"
	case r == 0x152 || r == 0x153:
		return "oe"
	case r >= 0x154 && r <= 0x159:
		return "r"
	case (r >= 0x15A && r <= 0x161) || r == 0x17F:
		return "s"
	case r >= 0x162 && r <= 0x167:
		return "t"
	case r == 0x174 || r == 0x175:
		return "w"
	case r >= 0x179 && r <= 0x17E:
		return "z"
	}
	return ""
}
