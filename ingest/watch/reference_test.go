package watch

import (
	"strings"
)

// The reference matcher: a direct, slow reading of the query semantics
// over the parse tree, with no prefilter, hashing or positions index. The
// fast Matcher must always agree with it.

type refTok struct {
	text, local string
	kind        tokKind
}

type refDoc struct {
	toks     []refTok
	hashtags []string
	handles  []string // mentions and author
	author   string
	source   string
	lang     string
}

func newRefDoc(d *Doc) *refDoc {
	var t tokenizer
	t.tokenize(d.Text)
	r := &refDoc{}
	for i, k := range t.toks {
		r.toks = append(r.toks, refTok{
			text:  string(t.text(i)),
			local: string(t.buf[k.start:k.local]),
			kind:  k.kind,
		})
	}
	for _, h := range d.Hashtags {
		r.hashtags = append(r.hashtags, string(appendFoldAll(nil, strings.TrimPrefix(h, "#"), false)))
	}
	for _, h := range d.Mentions {
		r.handles = append(r.handles, string(appendFoldAll(nil, strings.TrimPrefix(h, "@"), true)))
	}
	if d.AuthorHandle != "" {
		r.author = string(appendFoldAll(nil, strings.TrimPrefix(d.AuthorHandle, "@"), true))
		r.handles = append(r.handles, r.author)
	}
	if d.Source != "" {
		r.source = string(appendFoldAll(nil, d.Source, true))
	}
	for i := 0; i < len(d.Lang) && d.Lang[i] != '-' && d.Lang[i] != '_'; i++ {
		r.lang += string(d.Lang[i] | 0x20)
	}
	return r
}

func refWordMatch(s string, w word) bool {
	if w.prefix {
		return strings.HasPrefix(s, w.text)
	}
	return s == w.text
}

// refHandleMatch matches a folded handle, user@instance matching on
// either the whole or the user part.
func refHandleMatch(h string, w word) bool {
	if h == "" {
		return false
	}
	local, _, _ := strings.Cut(h, "@")
	return refWordMatch(h, w) || refWordMatch(local, w)
}

// refTokMatch reports whether text token t is word w of a phrase or term.
func refTokMatch(t refTok, w word) bool {
	switch w.cls {
	case clsWord:
		return refWordMatch(t.local, w)
	case clsHashtag:
		return t.kind == tokHashtag && refWordMatch(t.text, w)
	case clsHandle:
		return t.kind == tokHandle && refHandleMatch(t.text, w)
	}
	return false
}

// refOccurrences lists the token spans where the words occur in a row.
func refOccurrences(d *refDoc, ws []word) [][2]int {
	var out [][2]int
	for p := 0; p+len(ws) <= len(d.toks); p++ {
		ok := true
		for k, w := range ws {
			if !refTokMatch(d.toks[p+k], w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, [2]int{p, p + len(ws) - 1})
		}
	}
	return out
}

func refEval(n *node, d *refDoc) bool {
	switch n.op {
	case opNot:
		return !refEval(n.kids[0], d)
	case opAnd:
		for _, k := range n.kids {
			if !refEval(k, d) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if refEval(k, d) {
				return true
			}
		}
		return false
	case opNear:
		var as, bs [][2]int
		for _, k := range n.kids[0].alternatives() {
			as = append(as, refOccurrences(d, k.words)...)
		}
		for _, k := range n.kids[1].alternatives() {
			bs = append(bs, refOccurrences(d, k.words)...)
		}
		for _, a := range as {
			for _, b := range bs {
				if b[1] < a[0] && a[0]-b[1]-1 <= n.dist || a[1] < b[0] && b[0]-a[1]-1 <= n.dist {
					return true
				}
			}
		}
		return false
	}
	if len(n.words) > 1 {
		return len(refOccurrences(d, n.words)) > 0
	}
	w := n.words[0]
	switch w.cls {
	case clsHashtag:
		for _, h := range d.hashtags {
			if refWordMatch(h, w) {
				return true
			}
		}
	case clsHandle:
		for _, h := range d.handles {
			if refHandleMatch(h, w) {
				return true
			}
		}
	case clsAuthor:
		return refHandleMatch(d.author, w)
	case clsSource:
		return d.source == w.text
	case clsLang:
		return d.lang == w.text
	}
	return len(refOccurrences(d, n.words)) > 0
}

// refMatcher matches the slow way.
type refMatcher struct {
	specs []Spec
	exprs []Expr
}

func newRefMatcher(t interface{ Fatalf(string, ...any) }, specs []Spec) *refMatcher {
	r := &refMatcher{specs: specs}
	for _, s := range specs {
		var e Expr
		var err error
		if strings.TrimSpace(s.Query) == "" {
			e, err = nameExpr(s.Name)
		} else {
			e, err = Parse(s.Query)
		}
		if err != nil {
			t.Fatalf("reference: %s: %v", s.ID, err)
		}
		r.exprs = append(r.exprs, e)
	}
	return r
}

func (r *refMatcher) match(d *Doc) []string {
	rd := newRefDoc(d)
	var out []string
	for i, s := range r.specs {
		if len(s.Lang) > 0 {
			ok := false
			for _, l := range s.Lang {
				ok = ok || strings.ToLower(l) == rd.lang
			}
			if !ok {
				continue
			}
		}
		if refEval(r.exprs[i].root, rd) {
			out = append(out, s.ID)
		}
	}
	return out
}

// refMatch matches d against specs the slow way.
func refMatch(t interface{ Fatalf(string, ...any) }, specs []Spec, d *Doc) []string {
	return newRefMatcher(t, specs).match(d)
}
