package watch

import (
	"cmp"
	"slices"
)

// The prefilter. Matching is on whole words, so instead of running an
// Aho-Corasick automaton over the bytes of the text, the matcher hashes
// each folded token once (FNV-1a, 64 bits) and looks it up in one
// open-addressing table holding every literal of every query; the hash of
// a token's first n bytes is a by-product, so wildcard stems cost one
// extra probe at each length a stem has. This is the word-level form of
// Aho-Corasick; the byte-level library, run over the folded text, takes
// longer for that step alone than Match does for everything, and
// allocates (BenchmarkPrefilterAhoCorasickLib, README.md).

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// mixKey turns the FNV hash of a text into the table key of a literal of
// class cls (a prefix literal when prefix is set).
func mixKey(h uint64, cls class, prefix bool) uint64 {
	x := uint64(cls) << 1
	if prefix {
		x |= 1
	}
	h ^= (x + 1) * 0x9E3779B97F4A7C15
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

type litKey struct {
	text   string
	cls    class
	prefix bool
}

// lit is one literal: a folded word, hashtag, handle or field value.
type lit struct {
	litKey
	key uint64 // mixKey(fnv(text), cls, prefix)
}

// litTable is an open-addressing hash table of literals with linear
// probing, at most half full. A slot holds the high half of the key
// (a tag) and the literal index plus one (0: empty).
type litTable struct {
	mask  uint64
	slots []litSlot
}

type litSlot struct {
	tag uint32
	id  uint32
}

func newLitTable(lits []lit) litTable {
	n := 2
	for n < 2*len(lits) {
		n <<= 1
	}
	t := litTable{mask: uint64(n - 1), slots: make([]litSlot, n)}
	for i, l := range lits {
		j := l.key & t.mask
		for t.slots[j].id != 0 {
			j = (j + 1) & t.mask
		}
		t.slots[j] = litSlot{tag: uint32(l.key >> 32), id: uint32(i + 1)}
	}
	return t
}

// bitset is a set of small non-negative integers.
type bitset []uint64

func (b bitset) has(i int) bool {
	w := i >> 6
	return w < len(b) && b[w]&(1<<(uint(i)&63)) != 0
}

func (b *bitset) set(i int) {
	for len(*b) <= i>>6 {
		*b = append(*b, 0)
	}
	(*b)[i>>6] |= 1 << (uint(i) & 63)
}

// Program nodes.
type pop uint8

const (
	pLit    pop = iota // a: literal
	pPhrase            // spans[a:b]: literals of consecutive words
	pNear              // alts[a:b] and alts[c:d] within dist words
	pNot               // a: node
	pAnd               // kids[a:b]
	pOr                // kids[a:b]
)

// alt is one alternative of a NEAR operand: the literals spans[start:end].
type alt struct{ start, end int32 }

type pnode struct {
	op         pop
	a, b, c, d int32
	dist       int32
}

func (c *compiler) lit(w word) int32 {
	k := litKey{text: w.text, cls: w.cls, prefix: w.prefix}
	if id, ok := c.index[k]; ok {
		return id
	}
	id := int32(len(c.m.lits))
	c.m.lits = append(c.m.lits, lit{litKey: k, key: mixKey(fnv(k.text), k.cls, k.prefix)})
	c.index[k] = id
	return id
}

func (c *compiler) span(ws []word) (int32, int32) {
	a := int32(len(c.m.spans))
	for _, w := range ws {
		c.m.spans = append(c.m.spans, c.lit(w))
	}
	return a, int32(len(c.m.spans))
}

// alts compiles the alternatives of a NEAR operand into Matcher.alts.
func (c *compiler) alts(n *node) (int32, int32) {
	var spans []alt
	for _, k := range n.alternatives() {
		a, b := c.span(k.words)
		spans = append(spans, alt{a, b})
	}
	a := int32(len(c.m.alts))
	c.m.alts = append(c.m.alts, spans...)
	return a, int32(len(c.m.alts))
}

func (c *compiler) emit(n pnode) int32 {
	c.m.nodes = append(c.m.nodes, n)
	return int32(len(c.m.nodes) - 1)
}

// node compiles n and returns its index in Matcher.nodes.
func (c *compiler) node(n *node) int32 {
	switch n.op {
	case opTerm:
		if len(n.words) == 1 {
			return c.emit(pnode{op: pLit, a: c.lit(n.words[0])})
		}
		a, b := c.span(n.words)
		return c.emit(pnode{op: pPhrase, a: a, b: b})
	case opNear:
		a, b := c.alts(n.kids[0])
		cc, d := c.alts(n.kids[1])
		return c.emit(pnode{op: pNear, a: a, b: b, c: cc, d: d, dist: int32(n.dist)})
	case opNot:
		return c.emit(pnode{op: pNot, a: c.node(n.kids[0])})
	}
	ks := make([]int32, len(n.kids))
	for i, k := range n.kids {
		ks[i] = c.node(k)
	}
	// Cheap tests first: AND and OR have no side effects.
	slices.SortStableFunc(ks, func(x, y int32) int {
		return cmp.Compare(c.m.nodes[x].op, c.m.nodes[y].op)
	})
	a := int32(len(c.m.kids))
	c.m.kids = append(c.m.kids, ks...)
	o := pAnd
	if n.op == opOr {
		o = pOr
	}
	return c.emit(pnode{op: o, a: a, b: int32(len(c.m.kids))})
}

// litCost guesses how often a literal turns up: the prefilter indexes a
// watch under the rarest literals that any match must contain.
func (c *compiler) litCost(l int32) int {
	k := c.m.lits[l]
	switch k.cls {
	case clsAuthor:
		return 1
	case clsHashtag, clsHandle:
		return 2
	case clsLang, clsSource:
		return 1000
	}
	cost := 16 - min(len(k.text), 12) // longer words are rarer
	if k.prefix {
		cost += 8
	}
	return cost
}

// require returns literals such that every match of node i contains at
// least one of them, and false when there are none (NOT, fields).
func (c *compiler) require(i int32) ([]int32, bool) {
	n := c.m.nodes[i]
	best := func(span []int32) int32 {
		b := span[0]
		for _, l := range span[1:] {
			if c.litCost(l) < c.litCost(b) {
				b = l
			}
		}
		return b
	}
	// side returns one literal per alternative of a NEAR operand, and
	// their cost.
	side := func(alts []alt) ([]int32, int) {
		var out []int32
		cost := 0
		for _, a := range alts {
			l := best(c.m.spans[a.start:a.end])
			if !slices.Contains(out, l) {
				out = append(out, l)
				cost += c.litCost(l)
			}
		}
		return out, cost
	}
	switch n.op {
	case pLit:
		if cls := c.m.lits[n.a].cls; cls == clsLang || cls == clsSource {
			return nil, false
		}
		return []int32{n.a}, true
	case pPhrase:
		return []int32{best(c.m.spans[n.a:n.b])}, true
	case pNear:
		x, xc := side(c.m.alts[n.a:n.b])
		y, yc := side(c.m.alts[n.c:n.d])
		if yc < xc {
			return y, true
		}
		return x, true
	case pAnd:
		var out []int32
		cost := 0
		for _, k := range c.m.kids[n.a:n.b] {
			ls, ok := c.require(k)
			if !ok {
				continue
			}
			kc := 0
			for _, l := range ls {
				kc += c.litCost(l)
			}
			if out == nil || kc < cost {
				out, cost = ls, kc
			}
		}
		return out, out != nil
	case pOr:
		var out []int32
		for _, k := range c.m.kids[n.a:n.b] {
			ls, ok := c.require(k)
			if !ok {
				return nil, false
			}
			for _, l := range ls {
				if !slices.Contains(out, l) {
					out = append(out, l)
				}
			}
		}
		return out, true
	}
	return nil, false
}

// finish builds the lookup table and the prefilter index.
func (c *compiler) finish() {
	m := c.m
	m.table = newLitTable(m.lits)
	for _, l := range m.lits {
		if l.prefix {
			m.prefixLen[l.cls].set(len(l.text))
			m.anyPrefix.set(len(l.text))
		}
	}
	m.litStart = make([]int32, len(m.lits)+1)
	for _, r := range c.reqs {
		m.litStart[r[0]+1]++
	}
	for i := 1; i < len(m.litStart); i++ {
		m.litStart[i] += m.litStart[i-1]
	}
	m.litWatch = make([]int32, len(c.reqs))
	next := slices.Clone(m.litStart[:len(m.lits)])
	for _, r := range c.reqs {
		m.litWatch[next[r[0]]] = r[1]
		next[r[0]]++
	}
	m.pool.New = func() any { return newScratch(m) }
}
