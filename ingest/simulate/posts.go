package simulate

import (
	"math/rand/v2"
	"strings"
	"time"
)

// The less frequent posters: official accounts, media, employees.

// officialPost is a post by one of the brand's own accounts: an answer to
// a recent complaint, or a promotion (none while a crisis rages).
func (g *generator) officialPost(bs *brandState, at time.Time, idx int64, k int, curve *crisisCurve) {
	rng := g.rng
	id := g.postID(bs.key^streamOfficial, idx, k)
	acc := &bs.official[rng.IntN(len(bs.official))]
	raging := curve.factor(at) > 2
	if r, ok := bs.complaints.pick(rng); ok && (raging || rng.Float64() < 0.45) {
		s := g.slots(bs, r.lang, at)
		s.to, s.formal = "@"+r.handle, true
		text := g.sentence(s, pick(rng, s.v.lex.care), false)
		m := g.emit(bs, acc, at, id, platX, text, r.lang, 0.3, label{tone: neutral, kind: kindCare})
		m.ReplyTo = r.id
		return
	}
	if raging {
		return
	}
	lang := fr
	if rng.Float64() >= frShare {
		lang = en
	}
	s := g.slots(bs, lang, at)
	s.link, s.formal = linkOfficial, true
	text := g.sentence(s, s.v.official.pick(rng, false), true)
	g.emit(bs, acc, at, id, platformOf(rng, 0.7, 0), text, lang, 1, label{tone: positive, kind: kindOfficial})
}

// eventPost is a scheduled crisis post: a big media account breaking the
// story, or the brand's statement.
func (g *generator) eventPost(bs *brandState, ev event, idx int64, k int) {
	id := g.postID(bs.key^streamEvents, idx, k)
	switch ev.kind {
	case kindMedia:
		acc := &g.people.media[ev.who]
		s := g.slots(bs, acc.lang, ev.at)
		s.link, s.host, s.formal = linkMedia, strings.ReplaceAll(acc.handle, "_", "-"), true
		text := g.sentence(s, pick(g.rng, s.v.media), true)
		if g.rng.IntN(2) == 0 {
			text = string(appendTag([]byte(text), s.tag))
		}
		g.emit(bs, acc, ev.at, id, platX, text, acc.lang, 1.5, label{tone: neutral, crisis: true, kind: kindMedia})
	case kindStatement:
		s := g.slots(bs, ev.who, ev.at)
		s.link, s.formal = linkPress, true
		text := g.sentence(s, s.v.statement, true)
		g.emit(bs, &bs.official[0], ev.at, id, platX, text, ev.who, 2, label{tone: neutral, crisis: true, kind: kindStatement})
	}
}

// employeePost is a post by an employee about their employer: during a
// crisis, often a comment on it; otherwise relays of official posts
// (advocacy), complaints, ideas, the odd indiscretion, everyday posts.
func (g *generator) employeePost(bs *brandState, e *person, at time.Time, idx int64, k int, curve *crisisCurve) {
	rng := g.rng
	id := g.postID(streamEmployee, idx, k)
	f := curve.factor(at)
	s := g.slots(bs, e.lang, at)
	lex := s.v.lex
	plat := platformOf(rng, 0.35, 0.1)
	l := label{kind: kindEmployee}
	var text string
	if f > 1 && rng.Float64() < 0.7*(1-1/f) {
		l.crisis = true
		l.tone = draw(rng, 0.15, 0.35)
		text = g.sentence(s, pick(rng, lex.empCrisis[l.tone]), rng.Float64() >= 0.3)
		if rng.Float64() < 0.25 {
			text = string(appendTag([]byte(text), s.tag))
		}
		g.emit(bs, e, at, id, plat, text, e.lang, 2, l)
		return
	}
	switch u := rng.Float64(); {
	case u < 0.45 && bs.officials.n > 0:
		r, _ := bs.officials.pick(rng)
		l.tone, l.crisis = positive, r.crisis
		if rng.Float64() < 0.6 {
			text = bs.vocab[r.lang].lex.repost + r.handle + ": " + r.text
			l.lang = r.lang
			m := g.emit(bs, e, at, id, plat, text, r.lang, 0.5, l)
			m.RepostOf = r.id
			return
		}
		text = g.sentence(s, pick(rng, lex.empAdvocacy), true) + " " + r.url
		m := g.emit(bs, e, at, id, plat, text, e.lang, 1, l)
		m.QuoteOf = r.id
		return
	case u < 0.63:
		l.tone = negative
		text = g.sentence(s, pick(rng, lex.empComplaint), rng.Float64() >= 0.3)
	case u < 0.73:
		l.tone = neutral
		text = g.sentence(s, pick(rng, lex.empIdea), true)
	case u < 0.76:
		l.tone = neutral
		text = g.sentence(s, pick(rng, lex.empRisky), rng.Float64() >= 0.3)
	default:
		l.tone = draw(rng, 0.4, 0.6)
		text = g.compose(s, s.v.core[l.tone], l.tone, false)
	}
	g.emit(bs, e, at, id, plat, text, e.lang, 1, l)
}

// sentence renders one template, capitalised or in the casual lower case.
func (g *generator) sentence(s *slots, tmpl string, capitalized bool) string {
	b := render(g.tb[:0], tmpl, s)
	if capitalized {
		b = capitalizeSentences(b, 0, true)
	}
	g.tb = b
	return string(b)
}

// ref is a post kept for later reposts and replies.
type ref struct {
	id, handle, text, url string
	lang                  int
	tone                  tone
	crisis                bool
}

// ring keeps the last refs added.
type ring struct {
	items [32]ref
	n     int // number of items held
	next  int
}

func (r *ring) add(x ref) {
	r.items[r.next] = x
	r.next = (r.next + 1) % len(r.items)
	r.n = min(r.n+1, len(r.items))
}

func (r *ring) pick(rng *rand.Rand) (ref, bool) {
	if r.n == 0 {
		return ref{}, false
	}
	return r.items[rng.IntN(r.n)], true
}
