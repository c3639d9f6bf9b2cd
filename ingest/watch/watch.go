// Package watch parses the watch query language (AND, OR, NOT, phrases,
// #hashtags, @handles, wildcards, NEAR/n, lang:, source:, author:) and
// matches thousands of watches against each mention in one pass.
package watch

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vigie-project/vigie/mention"
)

// Kind is what a watch follows.
type Kind string

// Watch kinds.
const (
	KindBrand      Kind = "brand"      // the company's own brands
	KindCompetitor Kind = "competitor" // competitors, for share of voice
	KindTopic      Kind = "topic"      // a subject: strikes, recalls, a campaign
)

// Valid reports whether k is one of the watch kinds.
func (k Kind) Valid() bool { return k == KindBrand || k == KindCompetitor || k == KindTopic }

// Spec is one watch as configured.
type Spec struct {
	ID    string   `yaml:"id"`    // subject token: lower-case letters, digits, - and _
	Name  string   `yaml:"name"`  // display name; the query when Query is empty
	Kind  Kind     `yaml:"kind"`  // brand, competitor or topic
	Query string   `yaml:"query"` // see the package README for the language
	Lang  []string `yaml:"lang"`  // optional: only posts in these languages
}

// Doc is what the matcher reads of a mention.
type Doc struct {
	Text         string
	Lang         string // ISO 639-1; a region suffix (fr-CA) is ignored
	Source       string
	AuthorHandle string
	Hashtags     []string // with or without '#'
	Mentions     []string // with or without '@'
}

// DocOf returns the Doc of a mention.
func DocOf(m *mention.Mention) Doc {
	return Doc{
		Text:         m.Text,
		Lang:         m.Lang,
		Source:       m.Source,
		AuthorHandle: m.Author.Handle,
		Hashtags:     m.Hashtags,
		Mentions:     m.Mentions,
	}
}

// Upstream is what a collector needs to ask a platform for the posts a
// watch may match: the positive terms of its query (NOT branches left
// out). Any one of them may bring a match; the matcher then decides.
// Strings are as written in the query, lower-cased (accents kept).
type Upstream struct {
	Terms    []string // single words
	Phrases  []string // several words in a row
	Hashtags []string // without '#'
	Handles  []string // without '@': from @handle and author:
	Langs    []string // every match is in one of these; empty means any
	Prefixes []string // wildcard stems without '*'; a hashtag or handle stem keeps its # or @
}

func (u Upstream) clone() Upstream {
	return Upstream{
		Terms:    slices.Clone(u.Terms),
		Phrases:  slices.Clone(u.Phrases),
		Hashtags: slices.Clone(u.Hashtags),
		Handles:  slices.Clone(u.Handles),
		Langs:    slices.Clone(u.Langs),
		Prefixes: slices.Clone(u.Prefixes),
	}
}

// SpecError is a watch that does not compile. Error() reads
// `watches[3] (id "airfrance"): query: column 14: expected ")"`.
type SpecError struct {
	Index int    // position in the specs given to Compile
	ID    string // as given, possibly invalid
	Field string // id, kind, lang[i], name or query
	Err   error  // a *SyntaxError for the query
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("watches[%d] (id %q): %s: %v", e.Index, e.ID, e.Field, e.Err)
}

func (e *SpecError) Unwrap() error { return e.Err }

// Matcher matches documents against compiled watches. It is immutable
// and safe for concurrent use.
type Matcher struct {
	specs   []Spec
	watches []watch
	byID    map[string]int // index in specs and watches

	// Literals: every distinct word, hashtag, handle and field value of
	// every query, looked up through table.
	lits      []lit
	table     litTable
	prefixLen [numClasses]bitset // lengths, in bytes, of the prefix literals of each class
	anyPrefix bitset             // union of prefixLen

	// Prefilter: watch i is evaluated only when a literal l with i in
	// litWatch[litStart[l]:litStart[l+1]] is seen (or i is in always).
	litStart []int32
	litWatch []int32
	always   []int32

	// Programs: each watch's query as nodes; kids are indices into
	// nodes, spans into lits, alts into spans.
	nodes []pnode
	kids  []int32
	spans []int32
	alts  []alt

	pool sync.Pool // *scratch
}

type watch struct {
	id    string
	root  int32
	langs []string // Spec.Lang, lower-cased
	up    Upstream
}

// Compile validates and compiles the watches. Every error names its
// watch; all of them are returned, joined. An empty Query matches Name
// as a phrase.
func Compile(specs []Spec) (*Matcher, error) {
	c := &compiler{m: &Matcher{byID: make(map[string]int, len(specs))}, index: map[litKey]int32{}}
	var errs []error
	for i := range specs {
		errs = append(errs, c.add(i, specs[i])...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.finish()
	return c.m, nil
}

// Specs returns a copy of the compiled specs, in order.
func (m *Matcher) Specs() []Spec {
	out := slices.Clone(m.specs)
	for i := range out {
		out[i].Lang = slices.Clone(out[i].Lang)
	}
	return out
}

// Upstream returns the search terms of watch id, or the zero Upstream
// when there is no such watch.
func (m *Matcher) Upstream(id string) Upstream {
	i, ok := m.byID[id]
	if !ok {
		return Upstream{}
	}
	return m.watches[i].up.clone()
}

type compiler struct {
	m     *Matcher
	index map[litKey]int32
	reqs  [][2]int32 // (literal, watch) pairs of the prefilter
}

func (c *compiler) add(i int, s Spec) []error {
	var errs []error
	fail := func(field string, err error) {
		errs = append(errs, &SpecError{Index: i, ID: s.ID, Field: field, Err: err})
	}
	if !mention.ValidToken(s.ID) {
		fail("id", errors.New("want 1 to 64 lower-case letters, digits, - or _"))
	} else if j, dup := c.m.byID[s.ID]; dup {
		fail("id", fmt.Errorf("duplicate of watches[%d]", j))
	} else {
		// Compile fails when any spec does, so on success spec i is
		// watch i.
		c.m.byID[s.ID] = i
	}
	if !s.Kind.Valid() {
		fail("kind", fmt.Errorf("%q is not brand, competitor or topic", s.Kind))
	}
	langs := make([]string, len(s.Lang))
	for j, l := range s.Lang {
		if !isLangCode(l) {
			fail(fmt.Sprintf("lang[%d]", j), fmt.Errorf("%q is not a language code like fr or en", l))
		}
		langs[j] = strings.ToLower(l)
	}
	var e Expr
	var err error
	if strings.TrimSpace(s.Query) == "" {
		if e, err = nameExpr(s.Name); err != nil {
			fail("name", err)
		}
	} else if e, err = Parse(s.Query); err != nil {
		fail("query", err)
	}
	if len(errs) > 0 {
		return errs
	}
	w := len(c.m.watches)
	root := c.node(e.root)
	s.Lang = slices.Clone(s.Lang)
	c.m.specs = append(c.m.specs, s)
	c.m.watches = append(c.m.watches, watch{id: s.ID, root: root, langs: langs, up: upstream(e.root, langs)})
	if lits, ok := c.require(root); ok {
		for _, l := range lits {
			c.reqs = append(c.reqs, [2]int32{l, int32(w)})
		}
	} else {
		c.m.always = append(c.m.always, int32(w))
	}
	return nil
}

// nameExpr makes the phrase query of a watch without one.
func nameExpr(name string) (Expr, error) {
	if name == "" {
		return Expr{}, errors.New("empty, and so is query: set one of them")
	}
	if len(name) > MaxQueryLen {
		return Expr{}, fmt.Errorf("longer than %d bytes", MaxQueryLen)
	}
	var t tokenizer
	t.tokenize(name)
	if len(t.toks) == 0 {
		return Expr{}, fmt.Errorf("%q has no letters or digits to look for; set query", name)
	}
	ws := make([]word, len(t.toks))
	for i, k := range t.toks {
		ws[i].text = string(t.text(i))
		switch k.kind {
		case tokHashtag:
			ws[i].cls = clsHashtag
		case tokHandle:
			ws[i].cls = clsHandle
		}
	}
	return Expr{root: term(ws, 1, strings.TrimSpace(name))}, nil
}

// upstream lists the positive terms under n.
func upstream(root *node, specLangs []string) Upstream {
	var u Upstream
	var walk func(n *node)
	walk = func(n *node) {
		switch n.op {
		case opNot:
			return
		case opTerm:
			if len(n.words) > 1 {
				u.Phrases = appendNew(u.Phrases, n.raw)
				return
			}
			w := n.words[0]
			raw := n.raw
			list := &u.Terms
			switch w.cls {
			case clsHashtag:
				list = &u.Hashtags
				if w.prefix {
					raw = "#" + raw
				}
			case clsHandle, clsAuthor:
				list = &u.Handles
				if w.prefix {
					raw = "@" + raw
				}
			case clsLang, clsSource:
				return
			}
			if w.prefix {
				list = &u.Prefixes
			}
			*list = appendNew(*list, raw)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(root)
	langs, ok := langsOf(root)
	switch {
	case !ok:
		u.Langs = slices.Clone(specLangs)
	case len(specLangs) == 0:
		u.Langs = langs
	default:
		for _, l := range langs {
			if slices.Contains(specLangs, l) {
				u.Langs = append(u.Langs, l)
			}
		}
		if len(u.Langs) == 0 { // contradictory: the watch never matches
			u.Langs = slices.Clone(specLangs)
		}
	}
	return u
}

// langsOf returns the languages every match of n is in, and whether n
// constrains the language at all.
func langsOf(n *node) ([]string, bool) {
	switch n.op {
	case opTerm:
		if w := n.words[0]; len(n.words) == 1 && w.cls == clsLang {
			return []string{w.text}, true
		}
	case opAnd:
		var out []string
		ok := false
		for _, k := range n.kids {
			ls, kok := langsOf(k)
			switch {
			case !kok:
			case !ok:
				out, ok = ls, true
			default:
				out = slices.DeleteFunc(out, func(l string) bool { return !slices.Contains(ls, l) })
			}
		}
		return out, ok
	case opOr:
		var out []string
		for _, k := range n.kids {
			ls, ok := langsOf(k)
			if !ok {
				return nil, false
			}
			for _, l := range ls {
				out = appendNew(out, l)
			}
		}
		return out, true
	}
	return nil, false
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
