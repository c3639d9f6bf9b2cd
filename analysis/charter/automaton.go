package charter

import (
	"slices"
	"strings"
)

// The word and phrase matcher is an Aho-Corasick automaton whose alphabet is
// words, not bytes: the text is tokenised once (lower case, accents and
// elisions handled), each word is looked up in the vocabulary of all
// patterns, and the automaton walks the resulting symbols. Matching whole
// words is then a property of the alphabet, not a check after the fact, and
// matches come out as word positions, which the proximity conditions need.

// refKind says what a pattern occurrence means to the engine.
type refKind uint8

const (
	refTrigger    refKind = iota // a rule's words: the rule may fire here
	refExcept                    // a rule's except phrases
	refPrefilter                 // a regex rule's prefilter words
	refReqWord                   // a rule's requires.words
	refNone                      // a rule's requires.none
	refListWord                  // a named list's words
	refListExcept                // a named list's except phrases
)

// ref ties a pattern to a rule or a list.
type ref struct {
	kind refKind
	idx  int32 // rule index, or list index for refListWord and refListExcept
}

// event is one occurrence of a pattern in a text, for one of its refs.
type event struct {
	ref
	first, last int // word positions, inclusive
}

type acPattern struct {
	n        int    // number of words
	hashtags uint64 // bit i set: word i must be a #hashtag
	handles  uint64 // bit i set: word i must be an @handle
	refs     []ref
}

type acEdge struct{ sym, next int32 }

type acNode struct {
	edges []acEdge // sorted by sym; the root uses automaton.root instead
	fail  int32
	dict  int32   // nearest node on the failure chain with outputs, or -1
	out   []int32 // patterns that end here
}

// automaton is immutable once built and safe for concurrent use.
type automaton struct {
	vocab    wordTable // word → symbol, from 1
	root     []int32   // transitions from the root, by symbol
	nodes    []acNode
	patterns []acPattern
}

// automatonBuilder collects patterns; build compiles them.
type automatonBuilder struct {
	vocab    map[string]int32
	children []map[int32]int32
	out      [][]int32
	patterns []acPattern
	byKey    map[string]int32
	buf      []byte
	toks     []token
}

func newAutomatonBuilder() *automatonBuilder {
	return &automatonBuilder{
		vocab:    map[string]int32{},
		children: []map[int32]int32{{}},
		out:      [][]int32{nil},
		byKey:    map[string]int32{},
	}
}

// add registers phrase for r. Phrases that normalise to no word are
// skipped: the loader rejects them with a named error before this point.
func (b *automatonBuilder) add(phrase string, r ref) {
	b.buf, b.toks = tokenize(phrase, b.buf[:0], b.toks[:0], nil)
	if len(b.toks) == 0 || len(b.toks) > maxPhraseWords {
		return
	}
	var key strings.Builder
	var hashtags, handles uint64
	for i, t := range b.toks {
		if t.flag != 0 {
			key.WriteByte(t.flag)
		}
		key.Write(b.buf[t.ns:t.ne])
		key.WriteByte(' ')
		switch t.flag {
		case '#':
			hashtags |= 1 << i
		case '@':
			handles |= 1 << i
		}
	}
	if id, ok := b.byKey[key.String()]; ok {
		p := &b.patterns[id]
		if !slices.Contains(p.refs, r) {
			p.refs = append(p.refs, r)
		}
		return
	}
	id := int32(len(b.patterns))
	b.byKey[key.String()] = id
	b.patterns = append(b.patterns, acPattern{n: len(b.toks), hashtags: hashtags, handles: handles, refs: []ref{r}})

	node := int32(0)
	for _, t := range b.toks {
		word := string(b.buf[t.ns:t.ne])
		sym, ok := b.vocab[word]
		if !ok {
			sym = int32(len(b.vocab) + 1)
			b.vocab[word] = sym
		}
		next, ok := b.children[node][sym]
		if !ok {
			next = int32(len(b.children))
			b.children = append(b.children, map[int32]int32{})
			b.out = append(b.out, nil)
			b.children[node][sym] = next
		}
		node = next
	}
	b.out[node] = append(b.out[node], id)
}

func (b *automatonBuilder) build() *automaton {
	a := &automaton{
		vocab:    newWordTable(b.vocab),
		root:     make([]int32, len(b.vocab)+1),
		nodes:    make([]acNode, len(b.children)),
		patterns: b.patterns,
	}
	for i := range a.nodes {
		a.nodes[i] = acNode{dict: -1, out: b.out[i]}
		syms := make([]int32, 0, len(b.children[i]))
		for sym := range b.children[i] {
			syms = append(syms, sym)
		}
		slices.Sort(syms)
		for _, sym := range syms {
			a.nodes[i].edges = append(a.nodes[i].edges, acEdge{sym, b.children[i][sym]})
		}
	}
	for _, e := range a.nodes[0].edges {
		a.root[e.sym] = e.next
	}
	// Breadth-first: failure links, then dictionary links.
	queue := make([]int32, 0, len(a.nodes))
	for _, e := range a.nodes[0].edges {
		queue = append(queue, e.next)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range a.nodes[n].edges {
			a.nodes[e.next].fail = a.step(a.nodes[n].fail, e.sym)
			queue = append(queue, e.next)
		}
		f := a.nodes[n].fail
		if len(a.nodes[f].out) > 0 {
			a.nodes[n].dict = f
		} else {
			a.nodes[n].dict = a.nodes[f].dict
		}
	}
	return a
}

// next returns the child of node n on sym, or -1.
func (a *automaton) next(n, sym int32) int32 {
	if n == 0 {
		if c := a.root[sym]; c != 0 {
			return c
		}
		return -1
	}
	edges := a.nodes[n].edges
	lo, hi := 0, len(edges)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if edges[m].sym < sym {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(edges) && edges[lo].sym == sym {
		return edges[lo].next
	}
	return -1
}

// step follows failure links from n until sym can be consumed.
func (a *automaton) step(n, sym int32) int32 {
	for {
		if c := a.next(n, sym); c >= 0 {
			return c
		}
		if n == 0 {
			return 0
		}
		n = a.nodes[n].fail
	}
}

// scan appends to events every occurrence of every pattern in toks.
func (a *automaton) scan(buf []byte, toks []token, events []event) []event {
	if len(a.patterns) == 0 {
		return events
	}
	state := int32(0)
	for i := range toks {
		sym := a.vocab.lookup(buf[toks[i].ns:toks[i].ne], toks[i].hash)
		if sym == 0 {
			state = 0
			continue
		}
		state = a.step(state, sym)
		for n := state; n > 0; n = a.nodes[n].dict {
			for _, id := range a.nodes[n].out {
				p := &a.patterns[id]
				first := i - p.n + 1
				if !flagsMatch(p, toks[first:i+1]) {
					continue
				}
				for _, r := range p.refs {
					events = append(events, event{ref: r, first: first, last: i})
				}
			}
		}
	}
	return events
}

// flagsMatch checks the words a pattern wants as #hashtags or @handles.
func flagsMatch(p *acPattern, toks []token) bool {
	if p.hashtags|p.handles == 0 {
		return true
	}
	for i := range toks {
		bit := uint64(1) << i
		if p.hashtags&bit != 0 && toks[i].flag != '#' {
			return false
		}
		if p.handles&bit != 0 && toks[i].flag != '@' {
			return false
		}
	}
	return true
}

// wordTable maps the words of the patterns to their symbols. It is an
// open-addressing hash table keyed by the FNV-1a hash the tokenizer
// computes while it writes each word, so a lookup costs one probe or two
// and a comparison; a Go map would hash the word a second time.
type wordTable struct {
	slots []wordSlot // length is a power of two
	words []byte     // the words, end to end
}

type wordSlot struct {
	hash uint64
	off  uint32
	n    uint32
	sym  int32 // 0: empty slot
}

func newWordTable(vocab map[string]int32) wordTable {
	size := 8
	for size < 2*len(vocab) {
		size *= 2
	}
	t := wordTable{slots: make([]wordSlot, size)}
	for w, sym := range vocab {
		h := fnv1a([]byte(w))
		i := h & uint64(size-1)
		for t.slots[i].sym != 0 {
			i = (i + 1) & uint64(size-1)
		}
		t.slots[i] = wordSlot{hash: h, off: uint32(len(t.words)), n: uint32(len(w)), sym: sym}
		t.words = append(t.words, w...)
	}
	return t
}

// lookup returns the symbol of word, whose FNV-1a hash is h, or 0.
func (t *wordTable) lookup(word []byte, h uint64) int32 {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.sym == 0 {
			return 0
		}
		if s.hash == h && int(s.n) == len(word) && string(t.words[s.off:s.off+s.n]) == string(word) {
			return s.sym
		}
	}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv1a(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}
