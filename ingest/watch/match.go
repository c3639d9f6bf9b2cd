package watch

import (
	"bytes"
	"cmp"
	"math/bits"
	"slices"
	"strings"
)

// scratch is the per-call state of Match, pooled. Literal state is
// stamped with a generation number so that nothing is cleared per call.
type scratch struct {
	tok    tokenizer
	gen    uint32
	seen   []uint32 // per literal: gen when seen in the current doc
	head   []int32  // per literal: its last hit in the text, -1 if none
	hits   []hit    // literal occurrences in the text, in token order
	tokHit []int32  // per token: its first hit; one extra entry ends the last
	cand   []uint64 // watches to evaluate, as a bitset
	occA   []occ
	occB   []occ
	lang   []byte // the base language of the doc (fr for fr-CA)
}

// hit is literal lit at token pos; next is the previous hit of the same
// literal, -1 if none.
type hit struct{ lit, pos, next int32 }

// occ is an occurrence of a word or phrase: tokens start to end.
type occ struct{ start, end int32 }

func newScratch(m *Matcher) any {
	return &scratch{
		seen: make([]uint32, len(m.lits)),
		head: make([]int32, len(m.lits)),
		cand: make([]uint64, (len(m.watches)+63)/64),
	}
}

// maxText is the part of a text that is read: token offsets are 32-bit.
const maxText = 1 << 28

// maxPooled bounds the buffers a scratch may keep when it goes back to
// the pool, so that one huge document does not pin its memory.
const maxPooled = 1 << 20

// Match appends to dst the IDs of the watches d matches, in spec order,
// and returns it. It does not allocate when dst has room. Only the first
// 256 MiB of d.Text are read.
func (m *Matcher) Match(d *Doc, dst []string) []string {
	if m == nil || d == nil || len(m.watches) == 0 {
		return dst
	}
	s := m.pool.Get().(*scratch)
	dst = s.match(m, d, dst)
	if s.size() <= maxPooled {
		m.pool.Put(s)
	}
	return dst
}

// size returns the bytes held by the buffers that grow with the text.
func (s *scratch) size() int {
	return cap(s.tok.buf) + 16*cap(s.tok.toks) + 12*cap(s.hits) + 4*cap(s.tokHit) +
		8*(cap(s.occA)+cap(s.occB)) + cap(s.lang)
}

func (s *scratch) match(m *Matcher, d *Doc, dst []string) []string {
	s.gen++
	if s.gen == 0 { // wrapped: stamps from 2^32 docs ago would look fresh
		clear(s.seen)
		s.gen = 1
	}
	s.tok.reset()
	s.hits = s.hits[:0]
	s.tokHit = s.tokHit[:0]
	clear(s.cand)
	for _, w := range m.always {
		s.cand[w>>6] |= 1 << (uint(w) & 63)
	}

	txt := d.Text
	if len(txt) > maxText {
		txt = txt[:maxText]
	}
	s.tok.tokenize(txt)
	for i, k := range s.tok.toks {
		s.tokHit = append(s.tokHit, int32(len(s.hits)))
		text := s.tok.buf[k.start:k.end]
		switch k.kind {
		case tokWord:
			s.probeWord(m, text, int32(i))
		case tokHashtag:
			s.probe(m, text, len(text), 1<<clsWord|1<<clsHashtag, int32(i))
		case tokHandle:
			s.probe(m, text, int(k.local-k.start), 1<<clsWord|1<<clsHandle, int32(i))
		}
	}
	s.tokHit = append(s.tokHit, int32(len(s.hits)))
	for _, h := range d.Hashtags {
		s.probeList(m, strings.TrimPrefix(h, "#"), false, 1<<clsHashtag)
	}
	for _, h := range d.Mentions {
		s.probeList(m, strings.TrimPrefix(h, "@"), true, 1<<clsHandle)
	}
	if d.AuthorHandle != "" {
		s.probeList(m, strings.TrimPrefix(d.AuthorHandle, "@"), true, 1<<clsHandle|1<<clsAuthor)
	}
	if d.Source != "" {
		s.probeList(m, d.Source, true, 1<<clsSource)
	}
	s.lang = s.lang[:0]
	for i := 0; i < len(d.Lang) && d.Lang[i] != '-' && d.Lang[i] != '_'; i++ {
		s.lang = append(s.lang, d.Lang[i]|0x20) // ASCII lower case; other bytes never match
	}
	if len(s.lang) > 0 {
		s.probe(m, s.lang, len(s.lang), 1<<clsLang, -1)
	}

	for i, word := range s.cand {
		for word != 0 {
			w := &m.watches[i<<6|bits.TrailingZeros64(word)]
			word &= word - 1
			if s.langOK(w.langs) && s.eval(m, w.root) {
				dst = append(dst, w.id)
			}
		}
	}
	return dst
}

func (s *scratch) langOK(langs []string) bool {
	if len(langs) == 0 {
		return true
	}
	for _, l := range langs {
		if l == string(s.lang) {
			return true
		}
	}
	return false
}

// probeList folds one entry of a Doc list (hashtags, mentions, author,
// source) after the text tokens and looks it up; it has no position.
func (s *scratch) probeList(m *Matcher, v string, handle bool, mask uint8) {
	start := len(s.tok.buf)
	s.tok.buf = appendFoldAll(s.tok.buf, v, handle)
	text := s.tok.buf[start:]
	local := len(text)
	if handle {
		if i := bytes.IndexByte(text, '@'); i >= 0 {
			local = i
		}
	}
	s.probe(m, text, local, mask, -1)
}

// probeWord is probe for a plain word token, the common case.
func (s *scratch) probeWord(m *Matcher, text []byte, pos int32) {
	h := uint64(fnvOffset)
	pl := m.prefixLen[clsWord]
	for i, c := range text {
		h = (h ^ uint64(c)) * fnvPrime
		if pl.has(i + 1) {
			s.lookup(m, h, clsWord, true, text[:i+1], pos)
		}
	}
	s.lookup(m, h, clsWord, false, text, pos)
}

// probe looks text up for each class in mask and records the literals
// found at token pos (-1: outside the text). The word class sees
// text[:local]; handle and author look up both text[:local] (user of
// user@instance) and text; the others see text.
func (s *scratch) probe(m *Matcher, text []byte, local int, mask uint8, pos int32) {
	h := uint64(fnvOffset)
	hLocal := h
	for i, c := range text {
		h = (h ^ uint64(c)) * fnvPrime
		n := i + 1
		if n == local {
			hLocal = h
		}
		if !m.anyPrefix.has(n) {
			continue
		}
		for cls := range numClasses {
			if mask&(1<<cls) != 0 && m.prefixLen[cls].has(n) && (cls != clsWord || n <= local) {
				s.lookup(m, h, cls, true, text[:n], pos)
			}
		}
	}
	for cls := range numClasses {
		if mask&(1<<cls) == 0 {
			continue
		}
		switch cls {
		case clsWord:
			s.lookup(m, hLocal, cls, false, text[:local], pos)
		case clsHandle, clsAuthor:
			s.lookup(m, h, cls, false, text, pos)
			if local < len(text) {
				s.lookup(m, hLocal, cls, false, text[:local], pos)
			}
		default:
			s.lookup(m, h, cls, false, text, pos)
		}
	}
}

// lookup records the literal (cls, prefix, text) if there is one; h is
// the FNV hash of text.
func (s *scratch) lookup(m *Matcher, h uint64, cls class, prefix bool, text []byte, pos int32) {
	key := mixKey(h, cls, prefix)
	t := &m.table
	tag := uint32(key >> 32)
	for i := key & t.mask; ; i = (i + 1) & t.mask {
		sl := t.slots[i]
		if sl.id == 0 {
			return
		}
		if sl.tag != tag {
			continue
		}
		l := &m.lits[sl.id-1]
		if l.cls == cls && l.prefix == prefix && l.text == string(text) {
			s.hit(m, int32(sl.id-1), pos)
			return
		}
	}
}

// hit records literal l at token pos (-1: seen outside the text) and, the
// first time l is seen, marks the watches it may start.
func (s *scratch) hit(m *Matcher, l, pos int32) {
	if s.seen[l] != s.gen {
		s.seen[l] = s.gen
		s.head[l] = -1
		for _, w := range m.litWatch[m.litStart[l]:m.litStart[l+1]] {
			s.cand[w>>6] |= 1 << (uint(w) & 63)
		}
	}
	if pos >= 0 {
		s.hits = append(s.hits, hit{lit: l, pos: pos, next: s.head[l]})
		s.head[l] = int32(len(s.hits) - 1)
	}
}

func (s *scratch) eval(m *Matcher, i int32) bool {
	n := &m.nodes[i]
	switch n.op {
	case pLit:
		return s.seen[n.a] == s.gen
	case pPhrase:
		return s.phrase(m.spans[n.a:n.b])
	case pNear:
		return s.near(m, m.alts[n.a:n.b], m.alts[n.c:n.d], n.dist)
	case pNot:
		return !s.eval(m, n.a)
	case pAnd:
		for _, k := range m.kids[n.a:n.b] {
			if !s.eval(m, k) {
				return false
			}
		}
		return true
	case pOr:
		for _, k := range m.kids[n.a:n.b] {
			if s.eval(m, k) {
				return true
			}
		}
	}
	return false
}

// allSeen reports whether every literal of span is in the doc.
func (s *scratch) allSeen(span []int32) bool {
	for _, l := range span {
		if s.seen[l] != s.gen {
			return false
		}
	}
	return true
}

// at reports whether the literals of span are at tokens pos, pos+1, ….
func (s *scratch) at(span []int32, pos int32) bool {
	for k, l := range span[1:] {
		p := int(pos) + 1 + k
		if p >= len(s.tok.toks) {
			return false
		}
		found := false
		for _, h := range s.hits[s.tokHit[p]:s.tokHit[p+1]] {
			if h.lit == l {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (s *scratch) phrase(span []int32) bool {
	if !s.allSeen(span) {
		return false
	}
	for h := s.head[span[0]]; h >= 0; h = s.hits[h].next {
		if s.at(span, s.hits[h].pos) {
			return true
		}
	}
	return false
}

// occurrences sets dst to the occurrences of the alternatives in the
// text, sorted by start.
func (s *scratch) occurrences(m *Matcher, alts []alt, dst []occ) []occ {
	dst = dst[:0]
	for _, a := range alts {
		span := m.spans[a.start:a.end]
		if !s.allSeen(span) {
			continue
		}
		from, n := len(dst), int32(len(span)-1)
		for h := s.head[span[0]]; h >= 0; h = s.hits[h].next {
			if p := s.hits[h].pos; s.at(span, p) {
				dst = append(dst, occ{p, p + n})
			}
		}
		slices.Reverse(dst[from:]) // hits are linked last first
	}
	if len(alts) > 1 {
		slices.SortFunc(dst, func(x, y occ) int { return cmp.Compare(x.start, y.start) })
	}
	return dst
}

// near reports whether occurrences of a and b that do not overlap have at
// most dist words between them, in either order. Both lists are sorted by
// start, so one pass with a moving window suffices: a b that ends at most
// dist words before x starts at least dist+longest words before it.
func (s *scratch) near(m *Matcher, a, b []alt, dist int32) bool {
	s.occA = s.occurrences(m, a, s.occA)
	if len(s.occA) == 0 {
		return false
	}
	s.occB = s.occurrences(m, b, s.occB)
	longest := int32(0)
	for _, y := range s.occB {
		longest = max(longest, y.end-y.start)
	}
	j := 0
	for _, x := range s.occA {
		for j < len(s.occB) && s.occB[j].start < x.start-1-dist-longest {
			j++
		}
		for _, y := range s.occB[j:] {
			if y.start > x.end+1+dist {
				break
			}
			if y.start > x.end || y.end < x.start && x.start-y.end-1 <= dist {
				return true
			}
		}
	}
	return false
}
