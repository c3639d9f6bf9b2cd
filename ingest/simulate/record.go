package simulate

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// Turning a composed post into a mention record.

// emit builds the mention and appends it to the minute's posts.
func (g *generator) emit(bs *brandState, a *person, at time.Time, id uint64, plat int, text string, lang int,
	boost float64, l label) *mention.Mention {
	rng := g.rng
	num := id >> 1
	m := &mention.Mention{
		ID:          mentionID(id),
		Source:      SourceName,
		URL:         postURL(plat, a.handle, num),
		CreatedAt:   at.UTC(),
		CollectedAt: at.UTC().Add(2*time.Second + time.Duration(rng.IntN(58_000))*time.Millisecond),
		Author: mention.Author{ID: a.id, Handle: a.handle, Name: a.name, Followers: a.followers,
			Verified: a.verified, EmployeeID: a.employee, Region: a.region},
		Text: text,
		Lang: langCode(lang),
	}
	if plat == platMastodon && rng.Float64() < 0.15 {
		m.Lang = "" // no language given: analysis detects it
	}
	m.Hashtags, m.Mentions, m.Links = extract(text)
	engage(rng, m, plat, boost)
	l.brand, l.lang = bs.idx, lang
	g.buf = append(g.buf, post{m: m, label: l})
	return m
}

// mentionID formats "simulate:" and id as 16 hex digits.
func mentionID(id uint64) string {
	var b [len(SourceName) + 1 + 16]byte
	n := copy(b[:], SourceName+":")
	for i := 15; i >= 0; i-- {
		b[n+i] = "0123456789abcdef"[id&15]
		id >>= 4
	}
	return string(b[:])
}

func langCode(l int) string {
	if l == en {
		return "en"
	}
	return "fr"
}

func postURL(plat int, handle string, num uint64) string {
	n := strconv.FormatUint(num, 10)
	switch plat {
	case platMastodon:
		return "https://mastodon.example/@" + handle + "/" + n
	case platLinkedIn:
		return "https://linkedin.example/posts/" + handle + "_" + n
	}
	return "https://x.example/" + handle + "/status/" + n
}

// engage sets the engagement counts: impressions a fraction of followers
// (X only gives views), likes a fraction of impressions, reposts and
// replies a fraction of likes. Small accounts mostly get nothing.
func engage(rng *rand.Rand, m *mention.Mention, plat int, boost float64) {
	reach := float64(m.Author.Followers) * (0.03 + 0.25*rng.Float64()) * boost
	if plat == platX {
		m.Views = roundRand(rng, reach)
	}
	likes := reach * (0.003 + 0.02*rng.Float64())
	m.Likes = roundRand(rng, likes)
	m.Reposts = roundRand(rng, likes*(0.05+0.25*rng.Float64()))
	m.Replies = roundRand(rng, likes*(0.05+0.2*rng.Float64()))
}

// roundRand rounds x up or down at random, in proportion, so small
// expectations still give a 1 now and then.
func roundRand(rng *rand.Rand, x float64) int64 {
	if !(x > 0) {
		return 0
	}
	n := math.Floor(x)
	if rng.Float64() < x-n {
		n++
	}
	return int64(min(n, 1e15))
}

func platformOf(rng *rand.Rand, pX, pMastodon float64) int {
	switch u := rng.Float64(); {
	case u < pX:
		return platX
	case u < pX+pMastodon:
		return platMastodon
	}
	return platLinkedIn
}
