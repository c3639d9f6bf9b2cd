package sentiment

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxHashtagPart is the longest hashtag part, in bytes, that is segmented;
// longer ones are kept as one unknown word.
const maxHashtagPart = maxWord

// hashtag reads the hashtag whose body starts at text[i:] and emits its
// words: "#BoycottAirFrance" and "#boycottairfrance" both give boycott,
// air, france. It returns the index after the hashtag.
func (z *tokenizer) hashtag(text string, i int) int {
	start := i
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && !unicode.Is(unicode.Mn, r) {
			break
		}
		i += size
	}
	body := text[start:i]
	for {
		part, rest, found := strings.Cut(body, "_")
		z.camelParts(part)
		if !found {
			return i
		}
		body = rest
	}
}

// camelParts splits a hashtag part at case changes ("JeSuisFurieux",
// "Greve2024") and emits each piece.
func (z *tokenizer) camelParts(s string) {
	begin := 0
	var prev rune
	for j, r := range s {
		if j > begin && ((unicode.IsUpper(r) && unicode.IsLower(prev)) ||
			unicode.IsDigit(r) != unicode.IsDigit(prev)) {
			z.hashtagPiece(s[begin:j])
			begin = j
		}
		prev = r
	}
	z.hashtagPiece(s[begin:])
}

// hashtagPiece emits one piece of a hashtag: as a word when the lexicon
// knows it, else as the words of its segmentation, else as an unknown word.
func (z *tokenizer) hashtagPiece(s string) {
	if s == "" {
		return
	}
	n, letters, upper := 0, 0, 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
		lr := unicode.ToLower(r)
		if n+utf8.RuneLen(lr) > maxWord {
			break
		}
		n = len(utf8.AppendRune(z.buf[:n], lr))
	}
	caps := letters >= 2 && upper == letters
	if letters > 0 {
		z.words++
		if caps {
			z.caps++
		}
	}
	b := z.buf[:n]
	if e := z.lookupWord(b, false); e != nil {
		z.push(token{e: e, caps: caps})
		return
	}
	if letters == 0 || (!z.segment(b, caps) && !z.segmentPartial(b, caps)) {
		z.push(token{caps: caps})
	}
}

// Hashtag segmentation costs: each word costs 1, each byte left unknown
// (a brand name: #boycottairlutece) unknownByteCost.
const (
	unknownByteCost = 3
	// minPartialWord: in a split that leaves unknown bytes, only sentiment
	// words at least this long (in bytes) are kept, so that a name is not
	// read as the short words it happens to contain.
	minPartialWord = 5
)

// segment splits b into the fewest lexicon words that cover it entirely
// and emits them; it reports false (and emits nothing) when no such split
// exists.
func (z *tokenizer) segment(b []byte, caps bool) bool {
	var sp split
	if !sp.run(z.lx.trie, b, false) {
		return false
	}
	for k := sp.count - 1; k >= 0; k-- {
		z.push(token{e: sp.word[sp.ends[k]], caps: caps})
	}
	return true
}

// segmentPartial splits b allowing unknown bytes and emits only the long
// sentiment words of the split ("boycott" in #boycottairlutece); it reports
// whether it found one.
func (z *tokenizer) segmentPartial(b []byte, caps bool) bool {
	var sp split
	if !sp.run(z.lx.trie, b, true) {
		return false
	}
	found := false
	start := 0
	for k := sp.count - 1; k >= 0; k-- {
		end := sp.ends[k]
		if e := sp.word[end]; e != nil && e.valence != 0 && e.flags == 0 && end-start >= minPartialWord {
			z.push(token{e: e, caps: caps})
			found = true
		}
		start = end
	}
	return found
}

// split is the dynamic programme of hashtag segmentation, on the stack.
type split struct {
	cost  [maxHashtagPart + 1]int
	from  [maxHashtagPart + 1]int8
	word  [maxHashtagPart + 1]*entry // nil for an unknown byte
	ends  [maxHashtagPart]int
	count int
}

// run finds the cheapest split of b into trie words (and, if partial,
// unknown bytes), and lists the end of each piece in ends, last first.
func (sp *split) run(t *trie, b []byte, partial bool) bool {
	n := len(b)
	if n < 4 || n > maxHashtagPart {
		return false
	}
	const inf = 1 << 30
	cost, from, word := &sp.cost, &sp.from, &sp.word
	for j := 1; j <= n; j++ {
		cost[j] = inf
	}
	for i := 0; i < n; i++ {
		if cost[i] == inf {
			continue
		}
		if partial && cost[i]+unknownByteCost < cost[i+1] {
			cost[i+1], from[i+1], word[i+1] = cost[i]+unknownByteCost, int8(i), nil
		}
		node := 0
		for j := i; j < n; j++ {
			node = t.child(node, b[j])
			if node < 0 {
				break
			}
			if e := t.nodes[node].e; e != nil && cost[i]+1 < cost[j+1] {
				cost[j+1], from[j+1], word[j+1] = cost[i]+1, int8(i), e
			}
		}
	}
	if cost[n] == inf {
		return false
	}
	sp.count = 0
	for j := n; j > 0; j = int(from[j]) {
		sp.ends[sp.count] = j
		sp.count++
	}
	return true
}

// trie holds the single words of a lexicon for segmentation. Node 0 is the
// root; the edges of node i are edges[nodes[i].first:][:nodes[i].n],
// sorted by byte.
type trie struct {
	nodes []trieNode
	edges []trieEdge
}

type trieNode struct {
	first int32
	n     int32
	e     *entry
}

type trieEdge struct {
	b  byte
	to int32
}

// child returns the node reached from node by byte c, or -1.
func (t *trie) child(node int, c byte) int {
	nd := t.nodes[node]
	for _, ed := range t.edges[nd.first : nd.first+nd.n] {
		if ed.b == c {
			return int(ed.to)
		}
		if ed.b > c {
			break
		}
	}
	return -1
}

// buildTrie indexes the words of words usable in hashtags: at least two
// bytes, letters only.
func buildTrie(words map[string]*entry) *trie {
	keys := make([]string, 0, len(words))
	for k := range words {
		if len(k) >= 2 && isLetters(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	t := &trie{nodes: []trieNode{{}}}
	if len(keys) > 0 {
		t.fill(0, keys, 0, words)
	}
	return t
}

// fill builds the subtree of node for keys, which are sorted and share
// their first depth bytes.
func (t *trie) fill(node int, keys []string, depth int, words map[string]*entry) {
	if len(keys[0]) == depth {
		t.nodes[node].e = words[keys[0]]
		keys = keys[1:]
	}
	first := int32(len(t.edges))
	var groups [][]string
	for len(keys) > 0 {
		c := keys[0][depth]
		j := 1
		for j < len(keys) && keys[j][depth] == c {
			j++
		}
		groups = append(groups, keys[:j])
		t.edges = append(t.edges, trieEdge{b: c, to: -1})
		keys = keys[j:]
	}
	t.nodes[node].first, t.nodes[node].n = first, int32(len(groups))
	for gi, g := range groups {
		child := len(t.nodes)
		t.nodes = append(t.nodes, trieNode{})
		t.edges[int(first)+gi].to = int32(child)
		t.fill(child, g, depth+1, words)
	}
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}
