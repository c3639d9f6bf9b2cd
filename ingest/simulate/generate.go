package simulate

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// SourceName is the mentions' Source, and the collector's name.
const SourceName = "simulate"

// What kind of account wrote a post, for tests and ring bookkeeping.
type postKind uint8

const (
	kindPublic postKind = iota
	kindRepost
	kindOfficial
	kindCare
	kindMedia
	kindStatement
	kindEmployee
)

// label is the generator's intent for a post.
type label struct {
	brand  int // index in Config.Brands of the brand the post is about
	lang   int
	tone   tone
	crisis bool // part of the crisis wave
	kind   postKind
}

type post struct {
	m *mention.Mention
	label
}

// Rates, per account and day, of the less frequent posters.
const (
	officialPerDay = 8.0 // per official handle
	employeePerDay = 1.0 // per employee
)

// Stream keys keep the random streams of the parts of a minute apart, so
// adding employees does not change the public posts.
const (
	streamPublic   = 0x7075_626c_6963_0001
	streamOfficial = 0x6f66_6669_6369_0002
	streamEvents   = 0x6576_656e_7473_0003
	streamEmployee = 0x656d_706c_6f79_0004
)

// Platforms, only visible through the post's URL and which counts it has.
const (
	platX = iota
	platMastodon
	platLinkedIn
)

// generator makes the posts of one timeline, minute by minute.
type generator struct {
	cfg     Config
	seed    uint64
	curve   *crisisCurve // nil without crisis
	crisis  int          // index of the crisis brand, -1 without
	brands  []*brandState
	emp     []person
	employ  int // index of the employees' brand, -1 without
	people  *people
	events  []event
	meanAct float64 // mean of activity over a week
	meanSq  float64 // mean of activity² (official accounts post by day)

	pcg *rand.PCG
	rng *rand.Rand
	buf []post
	tb  []byte
}

type event struct {
	at   time.Time
	kind postKind // kindMedia or kindStatement
	who  int      // media account, or language for a statement
}

// brandState is one brand, its vocabulary and its recent posts.
type brandState struct {
	Brand
	idx      int
	key      uint64
	forms    []string // how people write the brand's name
	formal   []string // how media and the brand itself write it
	vocab    [nLangs]*vocab
	comps    []string // names of the other brands, for {c}
	official []person

	notable    ring // quiet posts worth relaying
	complaints ring // negative posts the official accounts answer
	crisisRing ring // crisis posts from big accounts
	officials  ring // official posts, for employees to relay
	media      ring // media posts on the crisis
}

// form returns how a post writes the brand: formal posts (official
// accounts, media) use its name or an @alias, the public anything.
func (b *brandState) form(rng *rand.Rand, formal bool) string {
	if formal {
		return b.formal[rng.IntN(len(b.formal))]
	}
	return b.forms[rng.IntN(len(b.forms))]
}

// newGenerator prepares a timeline whose wall-clock start is start. cfg
// must have its defaults set and be valid.
func newGenerator(cfg Config, start time.Time) *generator {
	g := &generator{
		cfg:     cfg,
		seed:    mix(uint64(cfg.Seed)),
		crisis:  -1,
		employ:  cfg.employer(),
		meanAct: meanActivity(1),
		meanSq:  meanActivity(2),
	}
	g.pcg = rand.NewPCG(0, 0)
	g.rng = rand.New(g.pcg)
	g.people = newPeople(g.seed)
	lex := [nLangs]*lexicon{fr: frenchLexicon(), en: englishLexicon()}
	for i, b := range cfg.Brands {
		bs := &brandState{Brand: b, idx: i, key: mix(g.seed ^ hashString(b.ID))}
		bs.forms = brandForms(b)
		bs.formal = []string{b.Name, b.Name, b.Name}
		for _, a := range b.Aliases {
			if strings.HasPrefix(a, "@") {
				bs.formal = append(bs.formal, a)
			}
		}
		for l := range nLangs {
			bs.vocab[l] = newVocab(lex[l], sectorIndex(b.Sector))
		}
		for j, o := range cfg.Brands {
			if j != i {
				bs.comps = append(bs.comps, o.Name)
			}
		}
		for _, h := range b.OfficialHandles {
			h = strings.TrimPrefix(h, "@")
			k := mix(g.seed ^ hashString("official:"+h))
			bs.official = append(bs.official, person{
				id: strconv.FormatUint(1e15+k%9e15, 10), handle: h, name: b.Name,
				followers: 200_000 + int64(k%2_800_000), verified: true,
			})
		}
		g.brands = append(g.brands, bs)
	}
	for _, e := range cfg.Employees {
		k := mix(g.seed ^ hashString("employee:"+e.ID))
		lang := fr
		if k%10 >= 7 {
			lang = en
		}
		rng := rand.New(rand.NewPCG(k, 1))
		g.emp = append(g.emp, person{
			id: strconv.FormatUint(1e15+k%9e15, 10), handle: strings.TrimPrefix(e.Handle, "@"), name: e.Name,
			followers: max(20, int64(math.Exp(math.Log(400)+0.8*rng.NormFloat64()))), lang: lang, employee: e.ID,
		})
	}
	if k := cfg.Crisis; k != nil {
		g.crisis = slices.IndexFunc(cfg.Brands, func(b Brand) bool { return b.ID == k.Brand })
		g.curve = &crisisCurve{onset: start.Add(-k.OnsetBeforeNow), ramp: k.Ramp, peak: k.PeakFactor, halfLife: k.DecayHalfLife}
		g.events = crisisEvents(g.curve, g.people, len(g.brands[g.crisis].official) > 0)
	}
	return g
}

// brandForms lists the ways posts write a brand, with weights by
// repetition: mostly the name, often an alias, sometimes lower case.
func brandForms(b Brand) []string {
	forms := []string{b.Name, b.Name, b.Name, b.Name}
	for _, a := range b.Aliases {
		forms = append(forms, a, a)
	}
	if low := strings.ToLower(b.Name); low != b.Name {
		forms = append(forms, low)
	}
	return forms
}

// crisisEvents schedules the big accounts early in the ramp (French media
// first, as the story breaks in France) and the brand's statement.
func crisisEvents(c *crisisCurve, p *people, official bool) []event {
	var ev []event
	for i, at := range []float64{0.08, 0.14, 0.2, 0.27, 0.35, 0.45, 0.58} {
		ev = append(ev, event{at: c.onset.Add(time.Duration(at * float64(c.ramp))), kind: kindMedia, who: i % len(p.media)})
	}
	if official {
		at := c.onset.Add(time.Duration(0.85 * float64(c.ramp)))
		ev = append(ev, event{at: at, kind: kindStatement, who: fr}, event{at: at.Add(4 * time.Minute), kind: kindStatement, who: en})
	}
	return ev
}

// errStop ends a run early without error.
var errStop = errors.New("simulate: stop")

// run calls fn with every post created in [from, to), in created_at
// order; a zero to never ends. It stops at fn's first error.
func (g *generator) run(from, to time.Time, fn func(*post) error) error {
	for t := from.Truncate(time.Minute); to.IsZero() || t.Before(to); t = t.Add(time.Minute) {
		posts := g.minute(t)
		for i := range posts {
			p := &posts[i]
			if p.m.CreatedAt.Before(from) {
				continue
			}
			if !to.IsZero() && !p.m.CreatedAt.Before(to) {
				return nil
			}
			if err := fn(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *generator) reseed(stream uint64, minute int64) {
	g.pcg.Seed(g.seed^stream, uint64(minute))
}

// minute generates the posts of the minute starting at t, sorted.
func (g *generator) minute(t time.Time) []post {
	g.buf = g.buf[:0]
	idx := t.Unix() / 60
	mid := t.Add(30 * time.Second)
	act := activity(mid)
	for _, bs := range g.brands {
		curve := g.curveOf(bs)
		g.reseed(bs.key^streamPublic, idx)
		lam := bs.BasePerMinute * act * noise(bs.key, mid) * curve.factor(mid)
		for k := range poisson(g.rng, lam) {
			g.public(bs, g.at(t), idx, k, curve)
		}
		if len(bs.official) > 0 {
			g.reseed(bs.key^streamOfficial, idx)
			lam := officialPerDay / 1440 * float64(len(bs.official)) * act * act / g.meanSq
			for k := range poisson(g.rng, lam) {
				g.officialPost(bs, g.at(t), idx, k, curve)
			}
		}
		if curve != nil {
			g.reseed(bs.key^streamEvents, idx)
			for k, ev := range g.events {
				if !ev.at.Before(t) && ev.at.Before(t.Add(time.Minute)) {
					g.eventPost(bs, ev, idx, k)
				}
			}
		}
	}
	if len(g.emp) > 0 {
		bs := g.brands[g.employ]
		curve := g.curveOf(bs)
		g.reseed(streamEmployee, idx)
		f := curve.factor(mid)
		lam := float64(len(g.emp)) * employeePerDay / 1440 * act / g.meanAct * (1 + 3*(1-1/f))
		for k := range poisson(g.rng, lam) {
			g.employeePost(bs, &g.emp[g.rng.IntN(len(g.emp))], g.at(t), idx, k, curve)
		}
	}
	slices.SortFunc(g.buf, func(a, b post) int {
		if c := a.m.CreatedAt.Compare(b.m.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.m.ID, b.m.ID)
	})
	for i := range g.buf {
		g.remember(&g.buf[i])
	}
	return g.buf
}

func (g *generator) curveOf(bs *brandState) *crisisCurve {
	if bs.idx == g.crisis {
		return g.curve
	}
	return nil
}

// at draws a time within the minute starting at t, to the millisecond.
func (g *generator) at(t time.Time) time.Time {
	return t.Add(time.Duration(g.rng.IntN(60_000)) * time.Millisecond)
}

// remember files a post in its brand's rings, for later reposts, replies
// and relays.
func (g *generator) remember(p *post) {
	bs := g.brands[p.brand]
	r := ref{id: p.m.ID, handle: p.m.Author.Handle, text: p.m.Text, url: p.m.URL, lang: p.lang, tone: p.tone, crisis: p.crisis}
	switch {
	case p.kind == kindMedia:
		bs.media.add(r)
	case p.kind == kindStatement:
		bs.officials.add(r)
		bs.crisisRing.add(r)
	case p.kind == kindOfficial:
		bs.officials.add(r)
		bs.notable.add(r)
	case p.kind == kindCare || p.m.RepostOf != "":
		// Answers and relays are not relayed again.
	case p.crisis:
		if p.m.Author.Followers >= 1500 {
			bs.crisisRing.add(r)
		}
	default:
		if p.m.Author.Followers >= 800 {
			bs.notable.add(r)
		}
		if p.tone == negative && p.kind == kindPublic {
			bs.complaints.add(r)
		}
	}
}

// public makes one post by the public about a brand: original or repost,
// quiet or part of the crisis.
func (g *generator) public(bs *brandState, at time.Time, idx int64, k int, curve *crisisCurve) {
	rng := g.rng
	f := curve.factor(at)
	crisis := f > 1 && rng.Float64() < 1-1/f
	id := g.postID(bs.key^streamPublic, idx, k)
	if crisis {
		if rng.Float64() < 0.15+0.3*curve.progress(at) {
			src := &bs.crisisRing
			if bs.media.n > 0 && (src.n == 0 || rng.Float64() < 0.25) {
				src = &bs.media
			}
			if r, ok := src.pick(rng); ok {
				g.repost(bs, r, at, id)
				return
			}
		}
	} else if rng.Float64() < 0.08 {
		if r, ok := bs.notable.pick(rng); ok {
			g.repost(bs, r, at, id)
			return
		}
	}
	lang := fr
	if rng.Float64() >= frShare {
		lang = en
	}
	var t tone
	if crisis {
		t = draw(rng, 0.13, 0.07) // 80% negative
	} else {
		t = draw(rng, 0.55, 0.25) // 20% negative
	}
	author := g.people.pick(rng, lang)
	s := g.slots(bs, lang, at)
	v := bs.vocab[lang]
	list := v.core[t]
	if crisis {
		list = v.crisis[t]
	}
	text := g.compose(s, list, t, crisis)
	boost := 1.0
	if crisis {
		boost = 3
	}
	plat := platformOf(rng, 0.6, 0.2)
	g.emit(bs, author, at, id, plat, text, lang, boost, label{tone: t, crisis: crisis, kind: kindPublic})
}

// draw returns neutral with probability pNeutral, positive with
// pPositive, negative otherwise.
func draw(rng *rand.Rand, pNeutral, pPositive float64) tone {
	switch u := rng.Float64(); {
	case u < pNeutral:
		return neutral
	case u < pNeutral+pPositive:
		return positive
	}
	return negative
}

func (g *generator) slots(bs *brandState, lang int, at time.Time) *slots {
	s := &slots{rng: g.rng, v: bs.vocab[lang], brand: bs, at: at}
	if len(bs.comps) > 0 {
		s.comp = pick(g.rng, bs.comps)
	}
	if c := g.cfg.Crisis; c != nil && bs.idx == g.crisis {
		s.tag = pick(g.rng, c.Hashtags)
		s.inc = pick(g.rng, s.v.incidents)
	}
	return s
}

// compose builds an original post from a template and optional parts:
// an opener, a tail, emoji, hashtags, a link, a friend's @handle.
func (g *generator) compose(s *slots, list templates, t tone, crisis bool) string {
	rng, lex := s.rng, s.v.lex
	b := g.tb[:0]
	proper := rng.Float64() >= 0.18 // else the casual all-lower-case style
	capFirst := proper
	if rng.Float64() < 0.06 {
		b = append(b, '@')
		b = append(b, g.people.pick(rng, lex.lang).handle...)
		b = append(b, ' ')
	}
	if rng.Float64() < 0.35 && (!crisis || t == negative) { // news-like crisis posts take no opener
		op := pick(rng, lex.openers[t])
		b = append(b, op...)
		b = append(b, ' ')
		capFirst = proper && endsSentence(op)
	}
	start := len(b)
	b = render(b, list.pick(rng, s.comp != ""), s)
	if crisis && t == negative && s.comp != "" && rng.Float64() < 0.15 {
		b = join(b, ". ")
		b = render(b, pick(rng, lex.switchers), s)
	}
	if rng.Float64() < 0.35 {
		b = join(b, pick(rng, []string{", ", "… ", ". ", ". "}))
		b = append(b, pick(rng, lex.tails[t])...)
	}
	if rng.Float64() < 0.25 {
		b = emphasize(rng, b, lex.lang)
	}
	if proper {
		b = capitalizeSentences(b, start, capFirst)
	}
	if rng.Float64() < 0.5 {
		e := pick(rng, emojis(t, crisis))
		for n := 1 + rng.IntN(3)/2*rng.IntN(3); n > 0; n-- { // mostly one, sometimes 2-3
			b = append(b, ' ')
			b = append(b, e...)
		}
	}
	if crisis && rng.Float64() < 0.65 {
		b = appendTag(b, s.tag)
		if rng.Float64() < 0.2 {
			b = appendTag(b, pick(rng, g.cfg.Crisis.Hashtags))
		}
	}
	if rng.Float64() < 0.12 {
		for _, f := range s.brand.forms {
			if strings.HasPrefix(f, "#") {
				b = appendTag(b, f)
				break
			}
		}
	}
	if rng.Float64() < 0.1 {
		b = appendTag(b, pick(rng, s.v.tags))
	}
	if rng.Float64() < 0.1 && !strings.Contains(string(b), "https://") {
		b = append(b, ' ')
		b = appendLink(b, s)
	}
	g.tb = b
	return string(b)
}

// emphasize varies the end of a post the way people do: "??", "?!",
// "!!!", "...", French typography's " !".
func emphasize(rng *rand.Rand, b []byte, lang int) []byte {
	if len(b) == 0 {
		return b
	}
	switch last := b[len(b)-1]; {
	case last == '?':
		return append(b, pick(rng, []string{"?", "!", "??"})...)
	case last == '!' || last == '.':
		return append(b, "!!"[:1+rng.IntN(2)]...)
	case last >= 'a' && last <= 'z' || last >= 'A' && last <= 'Z':
		if lang == fr {
			return append(b, pick(rng, []string{" !", "...", " !!", "."})...)
		}
		return append(b, pick(rng, []string{"!", "...", "!!", "."})...)
	}
	return b
}

// appendTag adds " #tag" unless the text already has it.
func appendTag(b []byte, tag string) []byte {
	if tag == "" || strings.Contains(strings.ToLower(string(b)), strings.ToLower(tag)) {
		return b
	}
	b = append(b, ' ')
	return append(b, tag...)
}

func emojis(t tone, crisis bool) []string {
	switch {
	case crisis && t == negative:
		return []string{"😡", "🤬", "👎", "🤡", "🔥", "😱", "⚠️", "🙄", "😤", "💀"}
	case t == positive:
		return []string{"😍", "🙌", "👏", "💙", "😊", "🥰", "👍", "☀️", "🎉", "❤️", ":)", "^^"}
	case t == negative:
		return []string{"😡", "🤬", "🙄", "😤", "👎", "😩", "🤡", "💀", "😠", "🤦‍♂️", "🤦‍♀️", ":(", "-_-"}
	}
	return []string{"🤔", "👀", "✈️", "🧳", "📱", "🙂", "🤷"}
}

// repost relays r as "RT @handle: text" from an account of its language.
func (g *generator) repost(bs *brandState, r ref, at time.Time, id uint64) {
	author := g.people.pick(g.rng, r.lang)
	text := bs.vocab[r.lang].lex.repost + r.handle + ": " + r.text
	m := g.emit(bs, author, at, id, platformOf(g.rng, 0.75, 0.25), text, r.lang, 0.1,
		label{tone: r.tone, crisis: r.crisis, kind: kindRepost})
	m.RepostOf = r.id
}

// postID is stable: the same seed, stream, minute and rank give the same
// id whatever the window generated.
func (g *generator) postID(stream uint64, minute int64, k int) uint64 {
	return mix(mix(g.seed^stream) ^ mix(uint64(minute)^uint64(k)<<40))
}
