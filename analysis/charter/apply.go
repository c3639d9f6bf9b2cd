package charter

import (
	"cmp"
	"slices"
	"sort"

	"github.com/vigie-project/vigie/mention"
)

// apply checks one rule and appends its flag when it fires. Word and list
// matches come from the events for free; validators and regular
// expressions cost more, so they run only once their gate is open and the
// conditions that do not depend on where they match hold.
func (e *Engine) apply(idx int32, text string, s *scratch, dst []mention.CharterFlag) []mention.CharterFlag {
	r := &e.rules[idx]
	ms := s.matches[:0]
	switch {
	case r.validator != nil:
		if !r.validator.gate(&s.stats) || !r.conditionsMayHold(idx, s.events) {
			return dst
		}
		s.found = r.validator.find(text, s.found[:0])
		for _, m := range s.found {
			ms = append(ms, s.hitAt(m.Start, m.End))
			if len(ms) >= maxMatches {
				break
			}
		}
	case len(r.regexes) > 0:
		if r.hasPrefilter && !hasEvent(s.events, refPrefilter, idx) || !r.conditionsMayHold(idx, s.events) {
			return dst
		}
		for _, re := range r.regexes {
			for _, loc := range re.FindAllStringIndex(text, maxSpans) {
				if loc[1] > loc[0] {
					ms = append(ms, s.hitAt(loc[0], loc[1]))
				}
			}
		}
	default:
		kind, id := refTrigger, idx
		if r.list >= 0 {
			kind, id = refListWord, r.list
		}
		for _, ev := range s.events {
			if ev.kind != kind || ev.idx != id || overlaps(s.events, refExcept, idx, ev) {
				continue
			}
			if r.list >= 0 && overlaps(s.events, refListExcept, r.list, ev) {
				continue
			}
			ms = append(ms, s.hitWords(ev.first, ev.last))
			if len(ms) >= maxMatches {
				break // a flag shows maxSpans spans; more only cost time
			}
		}
		if len(ms) > 0 && !r.conditionsMayHold(idx, s.events) {
			ms = ms[:0]
		}
	}
	s.matches = ms
	if len(ms) == 0 {
		return dst
	}
	if r.rule.Requires.Within > 0 {
		kept := ms[:0]
		for _, m := range ms {
			if r.requiresHold(idx, s.events, m, r.rule.Requires.Within) {
				kept = append(kept, m)
			}
		}
		ms = kept
		if len(ms) == 0 {
			return dst
		}
	}
	return append(dst, r.flag(text, ms))
}

// maxMatches bounds the matches a rule collects in one text (with
// requires.within, some may still be dropped, so keep more than maxSpans).
const maxMatches = 4 * maxSpans

// conditionsMayHold checks the conditions that do not depend on where the
// rule matches: nothing of requires.none or requires.none_lists occurs, and
// requires.lists and requires.words occur somewhere. With requires.within
// at 0 that settles them; otherwise requiresHold checks the distance.
func (r *compiledRule) conditionsMayHold(idx int32, events []event) bool {
	if r.hasNone && hasEvent(events, refNone, idx) {
		return false
	}
	anywhere := hit{first: 0, last: 0}
	for _, l := range r.noneLists {
		if listNear(events, l, anywhere, 0) {
			return false
		}
	}
	return r.requiresHold(idx, events, anywhere, 0)
}

// requiresHold checks requires.lists and requires.words within w words of
// m (anywhere when w is 0).
func (r *compiledRule) requiresHold(idx int32, events []event, m hit, w int) bool {
	if len(r.reqLists) > 0 {
		found := false
		for _, l := range r.reqLists {
			if listNear(events, l, m, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if r.hasReqWords {
		for _, ev := range events {
			if ev.kind == refReqWord && ev.idx == idx && near(ev, m, w) {
				return true
			}
		}
		return false
	}
	return true
}

// flag builds the rule's flag from its matches: overlapping matches are
// merged, at most maxSpans are kept, personal data is masked.
func (r *compiledRule) flag(text string, ms []hit) mention.CharterFlag {
	slices.SortFunc(ms, func(a, b hit) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end)) })
	merged := ms[:1]
	for _, m := range ms[1:] {
		last := &merged[len(merged)-1]
		if m.start < last.end {
			last.end = max(last.end, m.end)
			continue
		}
		merged = append(merged, m)
	}
	if len(merged) > maxSpans {
		merged = merged[:maxSpans]
	}
	f := mention.CharterFlag{
		Rule:     r.rule.ID,
		Category: string(r.rule.Category),
		Severity: r.rule.Severity,
		Spans:    make([]mention.Span, len(merged)),
	}
	for i, m := range merged {
		t := text[m.start:m.end]
		if r.rule.Category == PersonalData {
			t = maskSpan(t, r.validator)
		}
		f.Spans[i] = mention.Span{Start: m.start, End: m.end, Text: t}
	}
	return f
}

// hitWords is the hit covering words first..last, with the '#' or '@'
// of a first word that is a hashtag or a handle.
func (s *scratch) hitWords(first, last int) hit {
	start := s.toks[first].start
	if s.toks[first].flag != 0 {
		start--
	}
	return hit{start: start, end: s.toks[last].end, first: first, last: last}
}

// hitAt is the hit for bytes start..end, with the words it covers (or the
// nearest word, for a span without any).
func (s *scratch) hitAt(start, end int) hit {
	h := hit{start: start, end: end}
	n := len(s.toks)
	h.first = sort.Search(n, func(i int) bool { return s.toks[i].end > start })
	h.last = sort.Search(n, func(i int) bool { return s.toks[i].start >= end }) - 1
	if h.first >= n {
		h.first = max(n-1, 0)
	}
	if h.last < h.first {
		h.last = h.first
	}
	return h
}

func hasEvent(events []event, kind refKind, idx int32) bool {
	for _, ev := range events {
		if ev.kind == kind && ev.idx == idx {
			return true
		}
	}
	return false
}

// overlaps reports whether ev shares a word with an event of this kind and
// index: "bâtard" in "pain bâtard", "the best" in "the best workplace".
func overlaps(events []event, kind refKind, idx int32, ev event) bool {
	for _, x := range events {
		if x.kind == kind && x.idx == idx && x.first <= ev.last && ev.first <= x.last {
			return true
		}
	}
	return false
}

// listNear reports a word of list l, not inside one of its exceptions,
// within w words of m (anywhere when w is 0).
func listNear(events []event, l int32, m hit, w int) bool {
	for _, ev := range events {
		if ev.kind == refListWord && ev.idx == l && near(ev, m, w) && !overlaps(events, refListExcept, l, ev) {
			return true
		}
	}
	return false
}

// near reports whether ev is at most w words from m; w == 0 means anywhere.
func near(ev event, m hit, w int) bool {
	if w == 0 {
		return true
	}
	gap := max(ev.first-m.last, m.first-ev.last, 0)
	return gap <= w
}
