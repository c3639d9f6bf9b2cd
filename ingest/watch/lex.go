package watch

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-project/vigie/mention"
)

// The lexer splits a query into operators, parentheses and terms, and
// parses each term (word, phrase, #hashtag, @handle, field:value) as it
// goes, folding its words the way texts are folded.

// Lexemes.
type lexKind uint8

const (
	lexEOF lexKind = iota
	lexLParen
	lexRParen
	lexAnd
	lexOr
	lexNot
	lexNear
	lexAtom
)

type lexeme struct {
	kind lexKind
	col  int
	dist int   // lexNear
	atom *node // lexAtom
}

// closingQuote returns the quote that ends a phrase opened by r, or 0
// when r opens none.
func closingQuote(r rune) rune {
	switch r {
	case '"':
		return '"'
	case '“':
		return '”'
	case '«':
		return '»'
	}
	return 0
}

// lex splits the query into lexemes; terms are parsed as they come.
func (p *parser) lex(q string) error {
	col := 1
	for i := 0; i < len(q); {
		r, n := utf8.DecodeRuneInString(q[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return errAt(col, "invalid UTF-8")
		case unicode.IsSpace(r):
		case r == '(':
			p.toks = append(p.toks, lexeme{kind: lexLParen, col: col})
		case r == ')':
			p.toks = append(p.toks, lexeme{kind: lexRParen, col: col})
		case closingQuote(r) != 0:
			end, endCol, err := scan(q, i+n, col+1, func(r2 rune) bool { return r2 == closingQuote(r) })
			if err != nil {
				return err
			}
			if end == len(q) {
				return errAt(col, "unterminated phrase: missing closing %c", closingQuote(r))
			}
			atom, err := p.phrase(q[i+n:end], col+1, col)
			if err != nil {
				return err
			}
			p.toks = append(p.toks, lexeme{kind: lexAtom, col: col, atom: atom})
			_, qn := utf8.DecodeRuneInString(q[end:])
			i, col = end+qn, endCol+1
			continue
		default:
			end, endCol, err := scan(q, i, col, func(r2 rune) bool {
				return unicode.IsSpace(r2) || r2 == '(' || r2 == ')' || closingQuote(r2) != 0
			})
			if err != nil {
				return err
			}
			lx, err := p.chunk(q[i:end], col)
			if err != nil {
				return err
			}
			p.toks = append(p.toks, lx)
			i, col = end, endCol
			continue
		}
		i += n
		col++
	}
	p.toks = append(p.toks, lexeme{kind: lexEOF, col: col})
	return nil
}

// scan returns the byte offset and column of the first rune of q at or
// after i for which stop is true, or len(q) and the column after the end.
func scan(q string, i, col int, stop func(rune) bool) (int, int, error) {
	for i < len(q) {
		r, n := utf8.DecodeRuneInString(q[i:])
		if r == utf8.RuneError && n == 1 {
			return 0, 0, errAt(col, "invalid UTF-8")
		}
		if stop(r) {
			break
		}
		i += n
		col++
	}
	return i, col, nil
}

// chunk turns a run of non-space characters into a lexeme.
func (p *parser) chunk(s string, col int) (lexeme, error) {
	atom := func(n *node, err error) (lexeme, error) {
		return lexeme{kind: lexAtom, col: col, atom: n}, err
	}
	switch {
	case s == "AND":
		return lexeme{kind: lexAnd, col: col}, nil
	case s == "OR":
		return lexeme{kind: lexOr, col: col}, nil
	case s == "NOT":
		return lexeme{kind: lexNot, col: col}, nil
	case s == "NEAR":
		return lexeme{}, errAt(col, "NEAR needs a distance, like NEAR/5")
	case strings.HasPrefix(s, "NEAR/"):
		d, ok := 0, len(s) > 5 && len(s) <= 8
		for _, c := range []byte(s[5:]) {
			ok = ok && c >= '0' && c <= '9'
			d = d*10 + int(c-'0')
		}
		if !ok || d > MaxNear {
			return lexeme{}, errAt(col+5, "bad NEAR distance %q: want a number from 0 to %d, like NEAR/5", s[5:], MaxNear)
		}
		return lexeme{kind: lexNear, col: col, dist: d}, nil
	case s[0] == '#':
		return atom(p.tagged(s, col, clsHashtag))
	case s[0] == '@':
		return atom(p.tagged(s, col, clsHandle))
	case s[0] == '-':
		return lexeme{}, errAt(col, "\"-\" is not an operator: use NOT to exclude a term")
	}
	if k := strings.IndexByte(s, ':'); k > 0 && isASCIILetters(s[:k]) {
		return atom(p.field(s[:k], s[k+1:], col))
	}
	ws, err := p.words(nil, s, col)
	if err != nil {
		return lexeme{}, err
	}
	if len(ws) == 0 {
		return lexeme{}, errAt(col, "%q has no letters or digits to look for", s)
	}
	return atom(term(ws, col, s), nil)
}

// term builds a term node; raw is what the user wrote.
func term(ws []word, col int, raw string) *node {
	raw = strings.ToLower(raw)
	if len(ws) == 1 {
		switch ws[0].cls {
		case clsHashtag:
			_, raw, _ = strings.Cut(raw, "#")
		case clsHandle:
			_, raw, _ = strings.Cut(raw, "@")
		}
		raw = strings.TrimSuffix(raw, "*")
	}
	return &node{op: opTerm, col: col, words: ws, raw: raw}
}

// words appends the folded words of s, a piece of a term or phrase with
// no space in it; a trailing * makes the last word a prefix.
func (p *parser) words(dst []word, s string, col int) ([]word, error) {
	body, prefix := strings.CutSuffix(s, "*")
	if k := strings.IndexByte(body, '*'); k >= 0 {
		return nil, errAt(col+utf8.RuneCountInString(body[:k]), "wildcard * only goes at the end of a word")
	}
	starCol := col + utf8.RuneCountInString(body)
	if prefix {
		if r, _ := utf8.DecodeLastRuneInString(body); body == "" || classify(r) == runeSep {
			return nil, errAt(starCol, "wildcard * must follow a letter or digit")
		}
	}
	p.tok.reset()
	p.tok.tokenize(body)
	for i := range p.tok.toks {
		k := p.tok.toks[i]
		w := word{text: string(p.tok.text(i))}
		switch k.kind {
		case tokHashtag:
			w.cls = clsHashtag
		case tokHandle:
			w.cls = clsHandle
		}
		if n := utf8.RuneCountInString(w.text); n > MaxWordLen {
			return nil, errAt(col, "word %q is %d characters long; the limit is %d", w.text, n, MaxWordLen)
		}
		dst = append(dst, w)
	}
	if prefix && len(p.tok.toks) > 0 {
		w := &dst[len(dst)-1]
		if utf8.RuneCountInString(w.text) < 2 {
			return nil, errAt(starCol, "wildcard needs at least 2 letters before *")
		}
		w.prefix = true
	}
	return dst, nil
}

// phrase parses the inside of a quoted phrase that starts at column col
// (its opening quote at qcol).
func (p *parser) phrase(s string, col, qcol int) (*node, error) {
	var ws []word
	var pieces []string
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += n
			col++
			continue
		}
		end, endCol, err := scan(s, i, col, unicode.IsSpace)
		if err != nil {
			return nil, err
		}
		if ws, err = p.words(ws, s[i:end], col); err != nil {
			return nil, err
		}
		pieces = append(pieces, s[i:end])
		i, col = end, endCol
	}
	if len(ws) == 0 {
		return nil, errAt(qcol, "empty phrase: put words between the quotes")
	}
	return term(ws, qcol, strings.Join(pieces, " ")), nil
}

// tagged parses #hashtag or @handle (s starts with the sigil). Unlike in
// free text, a character that cannot belong to a hashtag or handle is an
// error rather than a word break.
func (p *parser) tagged(s string, col int, cls class) (*node, error) {
	body, _ := strings.CutSuffix(s[1:], "*")
	if err := checkTag(body, col+1, cls); err != nil {
		return nil, err
	}
	ws, err := p.words(nil, s, col)
	if err != nil {
		return nil, err
	}
	return term(ws, col, s), nil
}

// checkTag checks the body of a hashtag (letters, digits, _) or handle
// (also '.', '-' and one inner '@', as in user@instance) starting at col.
func checkTag(body string, col int, cls class) error {
	what, allowed := "hashtag", "letters, digits and _"
	if cls != clsHashtag {
		what, allowed = "handle", "letters, digits, _ . - and one @"
	}
	if !startsWord(body) {
		return errAt(col, "%s must start with a letter or digit", what)
	}
	at := false
	c := col - 1
	for i, r := range body {
		c++
		switch classify(r) {
		case runeWord, runeMark:
			continue
		}
		switch {
		case r == '_':
		case cls != clsHashtag && (r == '.' || r == '-') && i < len(body)-1:
		case cls != clsHashtag && r == '@' && !at && startsWord(body[i+1:]):
			at = true
		default:
			return errAt(c, "%s cannot hold %q: use %s", what, r, allowed)
		}
	}
	return nil
}

// field parses name:value.
func (p *parser) field(name, value string, col int) (*node, error) {
	vcol := col + len(name) + 1
	lname := strings.ToLower(name)
	if lname != "lang" && lname != "source" && lname != "author" {
		return nil, errAt(col, "unknown field %q: use lang:, source: or author:", name)
	}
	if value == "" {
		return nil, errAt(vcol, "%s: needs a value, like %s", lname, map[string]string{
			"lang": "lang:fr", "source": "source:mastodon", "author": "author:airfrance"}[lname])
	}
	switch lname {
	case "lang":
		if !isLangCode(value) {
			return nil, errAt(vcol, "lang: %q is not a language code like fr or en", value)
		}
		return term([]word{{text: strings.ToLower(value), cls: clsLang}}, col, value), nil
	case "source":
		v := strings.ToLower(value)
		if !mention.ValidToken(v) {
			return nil, errAt(vcol, "source: %q is not a source name (letters, digits, - and _)", value)
		}
		return term([]word{{text: v, cls: clsSource}}, col, value), nil
	}
	if strings.HasPrefix(value, "@") {
		value, vcol = value[1:], vcol+1
	}
	n, err := p.tagged("@"+value, vcol-1, clsHandle)
	if err != nil {
		return nil, err
	}
	n.col = col
	n.words[0].cls = clsAuthor
	return n, nil
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

// isLangCode reports whether s is a two- or three-letter language code.
func isLangCode(s string) bool { return len(s) >= 2 && len(s) <= 3 && isASCIILetters(s) }
