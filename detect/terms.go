package detect

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Term memory bounds, per watch.
const (
	maxTermMemory   = 400 // entries kept before pruning
	keptAfterPrune  = 200
	minTermMentions = 5 // a term needs this many mentions in the window to count as surging
	termCandidates  = 3 // terms given the exact test each step
)

// termMemory remembers how often each term and hashtag was used, with an
// exponential decay applied lazily: a count stored at step At is worth
// Count * 2^-((now-At)/halfLife) at step now.
type termMemory struct {
	Terms   map[string]termStat `json:"terms"`
	Posts   float64             `json:"posts"` // decayed number of mentions seen
	PostsAt int64               `json:"posts_at"`
}

type termStat struct {
	Count float64 `json:"c"`
	At    int64   `json:"at"`
}

func newTermMemory() termMemory { return termMemory{Terms: make(map[string]termStat)} }

func decay(v float64, from, to int64, halfLife float64) float64 {
	if to <= from || !(halfLife > 0) {
		return v
	}
	return v * math.Exp2(-float64(to-from)/halfLife)
}

// share is the decayed fraction of mentions that used term, with a prior
// of half a mention so a never-seen term is rare, not impossible.
func (tm *termMemory) share(term string, now int64, halfLife float64) float64 {
	posts := decay(tm.Posts, tm.PostsAt, now, halfLife)
	c := 0.0
	if st, ok := tm.Terms[term]; ok {
		c = decay(st.Count, st.At, now, halfLife)
	}
	q := (c + 0.5) / (posts + 1)
	if q > 1 {
		q = 1
	}
	return q
}

// learn adds one step's term counts.
func (tm *termMemory) learn(volume float64, terms, hashtags map[string]int, now int64, halfLife float64) {
	if tm.Terms == nil {
		tm.Terms = make(map[string]termStat)
	}
	tm.Posts = decay(tm.Posts, tm.PostsAt, now, halfLife) + volume
	tm.PostsAt = now
	add := func(k string, n int) {
		st := tm.Terms[k]
		tm.Terms[k] = termStat{Count: decay(st.Count, st.At, now, halfLife) + float64(n), At: now}
	}
	for k, n := range terms {
		add(k, n)
	}
	for k, n := range hashtags {
		add("#"+k, n)
	}
	if len(tm.Terms) > maxTermMemory {
		tm.prune(now, halfLife)
	}
}

// prune keeps the keptAfterPrune most used terms.
func (tm *termMemory) prune(now int64, halfLife float64) {
	type kv struct {
		k string
		v float64
	}
	all := make([]kv, 0, len(tm.Terms))
	for k, st := range tm.Terms {
		all = append(all, kv{k, decay(st.Count, st.At, now, halfLife)})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].k < all[j].k
	})
	for _, e := range all[keptAfterPrune:] {
		delete(tm.Terms, e.k)
	}
}

// addCounts adds (sign +1) or removes (sign -1) a minute's counts from a
// sliding total, dropping entries that reach zero.
func addCounts(dst map[string]int, src map[string]int, sign int) {
	for k, n := range src {
		v := dst[k] + sign*n
		if v <= 0 {
			delete(dst, k)
		} else {
			dst[k] = v
		}
	}
}

// topCounts returns the n largest entries of counts, largest first, ties by name.
func topCounts(counts map[string]int, n int) []TermCount {
	out := make([]TermCount, 0, len(counts))
	for k, c := range counts {
		out = append(out, TermCount{Term: k, Count: c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Term < out[j].Term
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Tokenizer bounds.
const (
	minTokenRunes = 4
	maxTokenBytes = 40
)

// tokenize calls fn with each word of text worth tracking, lower-cased
// into buf (fn must copy what it keeps): at least minTokenRunes letters or
// digits, not all digits, not a stop word, not part of a link, @handle or
// #hashtag (hashtags are counted from the mention's own list). fn may see
// the same word twice. It returns buf for reuse.
func tokenize(text string, buf []byte, fn func(tok []byte)) []byte {
	i := 0
	for i < len(text) {
		c := text[i]
		// Skip links, handles and hashtags up to the next space.
		if c == '@' || c == '#' || (c == 'h' && (strings.HasPrefix(text[i:], "http://") || strings.HasPrefix(text[i:], "https://"))) {
			for i < len(text) && !isSpaceByte(text[i]) {
				i++
			}
			continue
		}
		if c < utf8.RuneSelf && !isWordByte(c) {
			i++
			continue
		}
		// A word: ASCII letters and digits, or any Unicode letter or digit.
		start, ascii, digits := i, true, true
		runes := 0
		for i < len(text) {
			c := text[i]
			if c < utf8.RuneSelf {
				if !isWordByte(c) {
					break
				}
				digits = digits && '0' <= c && c <= '9'
				i++
				runes++
				continue
			}
			r, size := utf8.DecodeRuneInString(text[i:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			ascii, digits = false, false
			i += size
			runes++
		}
		if i == start {
			_, size := utf8.DecodeRuneInString(text[i:])
			i += size // a rune that is neither a letter nor a digit
			continue
		}
		if runes < minTokenRunes || i-start > maxTokenBytes || digits {
			continue
		}
		buf = buf[:0]
		if ascii {
			for k := start; k < i; k++ {
				b := text[k]
				if 'A' <= b && b <= 'Z' {
					b += 'a' - 'A'
				}
				buf = append(buf, b)
			}
		} else {
			for _, r := range text[start:i] {
				buf = utf8.AppendRune(buf, unicode.ToLower(r))
			}
		}
		if !isStopword(string(buf)) {
			fn(buf)
		}
	}
	return buf
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func isWordByte(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// isStopword lists frequent French and English words of four letters or
// more that never make a crisis' vocabulary.
func isStopword(w string) bool {
	switch w {
	case "this", "that", "with", "from", "have", "just", "what", "your", "they", "will", "about",
		"there", "their", "been", "were", "more", "when", "which", "than", "then", "them", "also",
		"here", "only", "some", "into", "over", "very", "would", "could", "should", "these", "those",
		"because", "after", "before", "being", "does", "dont", "cant", "didn", "doesn", "today",
		"pour", "dans", "avec", "mais", "plus", "sont", "leur", "leurs", "nous", "vous", "elle",
		"elles", "être", "fait", "comme", "tout", "tous", "toute", "toutes", "cette", "très", "aussi",
		"encore", "même", "quand", "alors", "avoir", "faire", "peut", "sans", "sous", "chez", "entre",
		"depuis", "avant", "après", "donc", "ceux", "celle", "celui", "votre", "notre", "était",
		"suis", "sera", "bien", "rien", "aujourd", "http", "https", "www":
		return true
	}
	return false
}
