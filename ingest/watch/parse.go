package watch

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on one query.
const (
	MaxQueryLen = 4096 // characters
	MaxDepth    = 32   // nested parentheses and NOTs
	MaxNear     = 100  // largest n in NEAR/n
	MaxWordLen  = 64   // characters in one word, hashtag or handle
)

// SyntaxError is a query that does not parse.
type SyntaxError struct {
	Col int    // column of the fault, 1-based, in characters (runes)
	Msg string // what is wrong, and when possible how to fix it
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("column %d: %s", e.Col, e.Msg) }

func errAt(col int, format string, args ...any) error {
	return &SyntaxError{Col: col, Msg: fmt.Sprintf(format, args...)}
}

// class is what a literal is matched against.
type class uint8

const (
	clsWord    class = iota // a word of the text
	clsHashtag              // a hashtag: Doc.Hashtags or #tag in the text
	clsHandle               // an account: Doc.Mentions, Doc.AuthorHandle or @handle in the text
	clsAuthor               // author:, Doc.AuthorHandle
	clsSource               // source:, Doc.Source
	clsLang                 // lang:, Doc.Lang
	numClasses
)

// word is one folded word of a term; a phrase has several.
type word struct {
	text   string
	cls    class
	prefix bool // trailing *: matches the words that start with text
}

type op uint8

const (
	opTerm op = iota // a word, phrase, hashtag, handle or field filter
	opNear
	opNot
	opAnd
	opOr
)

// node is one node of a parsed query.
type node struct {
	op    op
	col   int
	kids  []*node // opNear: its two operands; opNot: one; opAnd, opOr: two or more
	words []word  // opTerm
	raw   string  // opTerm: as written, lower-cased, without # @ or *
	dist  int     // opNear
}

// Expr is a parsed query. The zero Expr prints as "".
type Expr struct{ root *node }

// String prints the query normalized: folded words, explicit AND,
// upper-case operators, phrases in straight quotes and only the
// parentheses precedence needs. Parse(e.String()) gives back e.
func (e Expr) String() string {
	if e.root == nil {
		return ""
	}
	var b strings.Builder
	e.root.write(&b)
	return b.String()
}

func (n *node) prec() int {
	switch n.op {
	case opOr:
		return 1
	case opAnd:
		return 2
	case opNot:
		return 3
	}
	return 4
}

func (n *node) write(b *strings.Builder) {
	switch n.op {
	case opTerm:
		if len(n.words) == 1 {
			n.words[0].write(b)
			return
		}
		b.WriteByte('"')
		for i, w := range n.words {
			if i > 0 {
				b.WriteByte(' ')
			}
			w.write(b)
		}
		b.WriteByte('"')
	case opNear:
		writeKid(b, n.kids[0], 4)
		fmt.Fprintf(b, " NEAR/%d ", n.dist)
		writeKid(b, n.kids[1], 4)
	case opNot:
		b.WriteString("NOT ")
		writeKid(b, n.kids[0], 3)
	case opAnd, opOr:
		sep := " AND "
		if n.op == opOr {
			sep = " OR "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			writeKid(b, k, n.prec())
		}
	}
}

func writeKid(b *strings.Builder, k *node, prec int) {
	if k.prec() < prec {
		b.WriteByte('(')
		k.write(b)
		b.WriteByte(')')
		return
	}
	k.write(b)
}

func (w word) write(b *strings.Builder) {
	switch w.cls {
	case clsHashtag:
		b.WriteByte('#')
	case clsHandle:
		b.WriteByte('@')
	case clsAuthor:
		b.WriteString("author:")
	case clsSource:
		b.WriteString("source:")
	case clsLang:
		b.WriteString("lang:")
	}
	b.WriteString(w.text)
	if w.prefix {
		b.WriteByte('*')
	}
}

// Parse parses a watch query. Errors are *SyntaxError.
func Parse(query string) (Expr, error) {
	if n := utf8.RuneCountInString(query); n > MaxQueryLen {
		return Expr{}, errAt(MaxQueryLen+1, "query is %d characters long; the limit is %d", n, MaxQueryLen)
	}
	p := &parser{}
	if err := p.lex(query); err != nil {
		return Expr{}, err
	}
	if p.peek().kind == lexEOF {
		return Expr{}, errAt(1, "empty query")
	}
	root, err := p.parseOr()
	if err != nil {
		return Expr{}, err
	}
	if t := p.peek(); t.kind != lexEOF {
		// parseAnd takes every operand, so only a ')' can be left.
		return Expr{}, errAt(t.col, "unexpected \")\" without a matching \"(\"")
	}
	if !positive(root) {
		return Expr{}, errAt(notPositive(root).col,
			"NOT only excludes: add a term to look for, like \"airfrance NOT greve\"")
	}
	if !content(root) {
		return Expr{}, errAt(noContent(root).col,
			"lang: and source: only filter: add a word, phrase, hashtag, @handle or author: to look for")
	}
	return Expr{root: root}, nil
}

// positive reports whether n can match by what a post contains rather
// than only by what it lacks.
func positive(n *node) bool {
	switch n.op {
	case opNot:
		return false
	case opAnd:
		for _, k := range n.kids {
			if positive(k) {
				return true
			}
		}
		return false
	case opOr:
		for _, k := range n.kids {
			if !positive(k) {
				return false
			}
		}
	}
	return true
}

// notPositive returns the node to blame when positive(n) is false.
func notPositive(n *node) *node {
	switch n.op {
	case opAnd:
		return notPositive(n.kids[0])
	case opOr:
		for _, k := range n.kids {
			if !positive(k) {
				return notPositive(k)
			}
		}
	}
	return n
}

// content reports whether every match of n needs a word, phrase,
// hashtag, handle or author, so that the matcher can index it and a
// collector can search for it.
func content(n *node) bool {
	switch n.op {
	case opTerm:
		c := n.words[0].cls
		return len(n.words) > 1 || c != clsLang && c != clsSource
	case opNot:
		return false
	case opAnd:
		for _, k := range n.kids {
			if content(k) {
				return true
			}
		}
		return false
	case opOr:
		for _, k := range n.kids {
			if !content(k) {
				return false
			}
		}
	}
	return true
}

// noContent returns the node to blame when content(n) is false.
func noContent(n *node) *node {
	switch n.op {
	case opAnd:
		for _, k := range n.kids {
			if k.op != opNot {
				return noContent(k)
			}
		}
		return n.kids[0]
	case opOr:
		for _, k := range n.kids {
			if !content(k) {
				return noContent(k)
			}
		}
	}
	return n
}

type parser struct {
	toks  []lexeme
	pos   int
	depth int
	tok   tokenizer // folds terms
}

func (p *parser) peek() lexeme { return p.toks[p.pos] }

func (p *parser) next() lexeme {
	t := p.toks[p.pos]
	if t.kind != lexEOF {
		p.pos++
	}
	return t
}

// startsOperand reports whether the next lexeme can begin an operand.
func (p *parser) startsOperand() bool {
	switch p.peek().kind {
	case lexAtom, lexLParen, lexNot:
		return true
	}
	return false
}

func (p *parser) deeper(col int) error {
	p.depth++
	if p.depth > MaxDepth {
		return errAt(col, "nested deeper than %d levels", MaxDepth)
	}
	return nil
}

// parseOr: and { OR and }.
func (p *parser) parseOr() (*node, error) {
	x, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == lexOr {
		t := p.next()
		if !p.startsOperand() {
			return nil, errAt(t.col, "OR needs a term on its right")
		}
		y, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		x = join(opOr, x, y)
	}
	return x, nil
}

// parseAnd: unary { [AND] unary }; two operands side by side are ANDed.
func (p *parser) parseAnd() (*node, error) {
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		switch t := p.peek(); t.kind {
		case lexAnd:
			p.next()
			if !p.startsOperand() {
				return nil, errAt(t.col, "AND needs a term on its right")
			}
		case lexAtom, lexLParen, lexNot:
		default:
			return x, nil
		}
		y, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		x = join(opAnd, x, y)
	}
}

// join returns x op y, flattening nested nodes of the same operator.
func join(o op, x, y *node) *node {
	n := x
	if x.op != o {
		n = &node{op: o, col: x.col, kids: []*node{x}}
	}
	if y.op == o {
		n.kids = append(n.kids, y.kids...)
	} else {
		n.kids = append(n.kids, y)
	}
	return n
}

// parseUnary: NOT unary | near. NOT NOT x is x.
func (p *parser) parseUnary() (*node, error) {
	t := p.peek()
	if t.kind != lexNot {
		return p.parseNear()
	}
	p.next()
	if err := p.deeper(t.col); err != nil {
		return nil, err
	}
	if !p.startsOperand() {
		return nil, errAt(t.col, "NOT needs a term after it")
	}
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	p.depth--
	if x.op == opNot {
		return x.kids[0], nil
	}
	return &node{op: opNot, col: t.col, kids: []*node{x}}, nil
}

// parseNear: operand [ NEAR/n operand ], where an operand is a word, a
// phrase, or a parenthesised OR of words and phrases.
func (p *parser) parseNear() (*node, error) {
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != lexNear {
		return x, nil
	}
	t := p.next()
	if !nearOperand(x) {
		return nil, errAt(x.col, "NEAR/%d needs a word, phrase or (a OR b) of them on its left", t.dist)
	}
	if k := p.peek().kind; k != lexAtom && k != lexLParen {
		return nil, errAt(t.col, "NEAR/%d needs a word, phrase or (a OR b) of them on its right", t.dist)
	}
	y, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	if !nearOperand(y) {
		return nil, errAt(y.col, "NEAR/%d needs a word, phrase or (a OR b) of them on its right", t.dist)
	}
	if u := p.peek(); u.kind == lexNear {
		return nil, errAt(u.col, "NEAR cannot be chained: join NEAR pairs with AND")
	}
	return &node{op: opNear, col: x.col, dist: t.dist, kids: []*node{x, y}}, nil
}

// nearOperand reports whether n can stand beside NEAR.
func nearOperand(n *node) bool {
	if n.op != opOr {
		return positional(n)
	}
	for _, k := range n.kids {
		if !positional(k) {
			return false
		}
	}
	return true
}

// positional reports whether n is a term with a place in the text.
func positional(n *node) bool {
	if n.op != opTerm {
		return false
	}
	c := n.words[0].cls
	return len(n.words) > 1 || c == clsWord || c == clsHashtag || c == clsHandle
}

// alternatives returns the terms of a NEAR operand.
func (n *node) alternatives() []*node {
	if n.op == opOr {
		return n.kids
	}
	return []*node{n}
}

// parsePrimary: ( or ) | term.
func (p *parser) parsePrimary() (*node, error) {
	t := p.next()
	switch t.kind {
	case lexAtom:
		return t.atom, nil
	case lexLParen:
		if err := p.deeper(t.col); err != nil {
			return nil, err
		}
		if u := p.peek(); u.kind == lexRParen {
			return nil, errAt(u.col, "empty parentheses")
		}
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if u := p.next(); u.kind != lexRParen {
			return nil, errAt(u.col, "expected \")\"")
		}
		p.depth--
		return x, nil
	case lexRParen:
		return nil, errAt(t.col, "unexpected \")\"")
	case lexAnd:
		return nil, errAt(t.col, "AND needs a term on its left")
	case lexOr:
		return nil, errAt(t.col, "OR needs a term on its left")
	case lexNear:
		return nil, errAt(t.col, "NEAR/%d needs a word, phrase or (a OR b) of them on its left", t.dist)
	}
	return nil, errAt(t.col, "expected a term")
}
