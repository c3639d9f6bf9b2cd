package sentiment

import (
	"math"
	"strings"
)

// Rule constants. Most are VADER's (Hutto & Gilbert 2014), which were
// fitted on human ratings; the French ones mirror them.
const (
	boostIncr      = 0.293 // VADER B_INCR: "very good"
	boostDecr      = -0.293
	capsIncr       = 0.733 // VADER C_INCR: "GOOD" among lower-case words
	elongIncr      = 0.293 // "goooood", "nuuuul": as strong as an intensifier
	negScalar      = -0.74 // VADER N_SCALAR: "not good" is -0.74 x "good"
	neverSoScalar  = 1.25  // VADER: "never so good" is stronger, not negated
	beforeContrast = 0.5   // VADER's "but" rule: the clause before weighs half
	afterContrast  = 1.5   // and the clause after one and a half
	conceded       = 0.5   // "malgré la grève", "despite the delay": half weight
	exclIncr       = 0.292 // VADER: each "!" (at most 4) adds this
	maxExcl        = 4
	questIncr      = 0.18 // VADER: with 2 or 3 "?", each adds this
	maxQuestAmp    = 0.96 // VADER: 4 "?" or more add this
	alpha          = 15   // VADER normalisation: score = x / sqrt(x² + alpha)
	scope          = 3    // tokens looked back for a negator or an intensifier
)

// modifier gives a rule role to some words.
type modifier struct {
	words []string
	flags flags
	boost float64
	// dual: the word is also a sentiment word of its own ("super", "bien")
	// when it has nothing to boost.
	dual bool
}

// frenchRules are the French negators, intensifiers, dampeners, contrast
// words and pronouns.
func frenchRules() []modifier {
	return []modifier{
		{words: []string{"ne", "n'"}, flags: fNegator | fNe},
		{words: []string{"pas", "rien", "guère", "jamais"}, flags: fNegator | fPostNegator},
		{words: []string{"jamais"}, flags: fNeverSo},
		{words: []string{"plus"}, flags: fNegator | fNegNeedsNe | fPostNegator},
		{words: []string{"aucun", "aucune", "sans", "ni", "nullement", "peu", "zéro"}, flags: fNegator},
		{words: []string{"bon", "ben", "bah", "bref"}, flags: fInterjection},
		{words: []string{"aussi", "si", "autant"}, flags: fSoLike},
		{words: []string{"très", "vraiment", "extrêmement", "complètement", "totalement", "absolument",
			"carrément", "vachement", "profondément", "terriblement", "follement", "particulièrement",
			"hyper", "ultra", "méga", "archi"}, flags: fBooster, boost: boostIncr},
		{words: []string{"trop", "tellement", "tant"}, flags: fBooster, boost: 0.35},
		{words: []string{"super", "grave", "énorme"}, flags: fBooster, boost: 0.35, dual: true},
		{words: []string{"bien", "vrai", "vraie", "sacré", "sacrée"}, flags: fBooster, boost: 0.2, dual: true},
		{words: []string{"quel", "quelle", "quels", "quelles", "encore"}, flags: fBooster, boost: 0.2},
		{words: []string{"un peu", "légèrement", "quelque peu", "à peine", "assez", "moyennement"},
			flags: fBooster, boost: boostDecr},
		{words: []string{"plutôt", "presque", "relativement", "un brin"}, flags: fBooster, boost: -0.15},
		{words: []string{"mais", "pourtant", "cependant", "toutefois", "néanmoins", "par contre",
			"en revanche", "sauf que"}, flags: fContrast},
		{words: []string{"malgré", "en dépit de"}, flags: fConcession},
		{words: []string{"je", "j'", "tu", "t'", "il", "elle", "on", "ça", "ca", "c'", "nous", "vous",
			"ils", "elles"}, flags: fSubject},
		{words: []string{"le", "la", "l'", "les", "me", "m'", "te", "t'", "se", "s'", "lui", "leur",
			"y", "en", "nous", "vous"}, flags: fObject},
	}
}

// englishRules are VADER's negators, boosters and dampeners, plus contrast
// words beside "but".
func englishRules() []modifier {
	return []modifier{
		{words: []string{"no"}, flags: fNegator, dual: true},
		{words: []string{"not", "never", "none", "nope", "nor", "neither", "nothing", "nobody",
			"nowhere", "without", "cannot", "rarely", "seldom", "uhuh", "uh-uh", "n't",
			"aint", "arent", "cant", "couldnt", "darent", "didnt", "doesnt", "dont", "hadnt", "hasnt",
			"havent", "isnt", "mightnt", "mustnt", "neednt", "oughtnt", "shant", "shouldnt", "wasnt",
			"werent", "wont", "wouldnt"}, flags: fNegator},
		{words: []string{"never"}, flags: fNeverSo},
		{words: []string{"so", "this"}, flags: fSoLike},
		{words: []string{"absolutely", "amazingly", "awfully", "completely", "considerable",
			"considerably", "decidedly", "deeply", "effing", "enormous", "enormously", "entirely",
			"especially", "exceptional", "exceptionally", "extreme", "extremely", "fabulously",
			"flipping", "flippin", "frackin", "fracking", "fricking", "frickin", "frigging", "friggin",
			"fully", "fuckin", "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely",
			"incredible", "incredibly", "intensely", "major", "majorly", "more", "most", "particularly",
			"purely", "quite", "really", "remarkably", "so", "substantially", "thoroughly", "total",
			"totally", "tremendous", "tremendously", "uber", "unbelievably", "unusually", "utter",
			"utterly", "very"}, flags: fBooster, boost: boostIncr},
		{words: []string{"almost", "barely", "hardly", "just enough", "kind of", "kinda", "kindof",
			"less", "little", "marginal", "marginally", "occasional", "occasionally", "partly", "scarce",
			"scarcely", "slight", "slightly", "somewhat", "sort of", "sorta", "sortof"},
			flags: fBooster, boost: boostDecr},
		{words: []string{"super"}, flags: fBooster, boost: boostIncr, dual: true},
		{words: []string{"but", "however", "nevertheless", "nonetheless"}, flags: fContrast},
		{words: []string{"despite", "in spite of"}, flags: fConcession},
	}
}

// applyRules gives rule roles to words. Negators, contrast words and plain
// intensifiers lose any valence a lexicon gave them ("plus", "complètement").
func (lx *lexicon) applyRules(mods []modifier) {
	for _, m := range mods {
		for _, w := range m.words {
			parts := splitKey(w, lx.fr)
			var e *entry
			if len(parts) == 1 {
				e = lx.word(parts[0])
			} else {
				e = lx.phrase(parts, normKey(w))
			}
			e.flags |= m.flags
			switch {
			case m.dual:
				e.boost = m.boost
				e.dual = e.valence != 0
			case m.flags&(fNegator|fContrast|fConcession|fPostNegator|fBooster) != 0:
				e.boost = m.boost
				e.valence = 0
			}
		}
	}
	if lx.fr {
		for _, w := range frenchElisions() {
			lx.word(w).flags |= fElision
		}
	}
}

// ironyMarkers are the emoji that turn the praise of a post into sarcasm:
// "Génial. 🙃", "Merci pour la réponse 🙄", "Bravo les 🤡".
const ironyMarkers = "🙃🙄🤡"

// finishRules sets the flags that depend on the whole lexicon: expressions
// that contain a negator are not negated again ("ne fonctionne pas"), and
// (English) every word in "n't" is a negator, as in VADER, and an
// expression that ends in a negator negates the words after it.
func (lx *lexicon) finishRules() {
	for k, e := range lx.words {
		if !lx.fr && strings.HasSuffix(k, "n't") {
			e.flags |= fNegator
			e.valence = 0
		}
		for _, ph := range e.phrases {
			for _, w := range ph.words {
				if w.flags&(fNegator|fPostNegator) != 0 {
					ph.entry.flags |= fSelfNegating
				}
			}
			// "toujours pas remboursé": an expression ending in a negator
			// negates what follows, like the negator would.
			if last := ph.words[len(ph.words)-1]; last.flags&fNegator != 0 && last.flags&fNegNeedsNe == 0 && ph.entry.flags&fBooster == 0 {
				ph.entry.flags |= fNegator
			}
		}
	}
}

// textStats are the whole-text facts the rules need.
type textStats struct {
	excl, quest int  // counts of "!" and "?"
	mixedCaps   bool // some words are ALL CAPS and some are not
}

// scoreTokens applies the rules to toks (phrases already merged), writes
// each token's contribution in toks[i].v and returns their sum and the
// punctuation emphasis to add in the direction of the sum.
func scoreTokens(toks []token, st textStats) (sum, emphasis float64) {
	markBoosting(toks)
	markClauses(toks)
	contrast := -1
	for i := range toks {
		if e := toks[i].e; e != nil && e.flags&fContrast != 0 {
			contrast = i
		}
	}
	irony := false
	for i := range toks {
		if e := toks[i].e; e != nil && e.flags&fIrony != 0 {
			irony = true
		}
	}
	for i := range toks {
		t := &toks[i]
		if t.e == nil || t.e.valence == 0 || t.boosting || isInterjection(toks, i) {
			continue
		}
		if t.e.flags&fNegator != 0 && negates(toks, i) {
			continue // "no" before a sentiment word negates it; alone it is negative
		}
		v := t.e.valence
		if t.kind == tkWord {
			// Emphasis, intensifiers and negation concern words, not emoji.
			sign := math.Copysign(1, v)
			if t.caps && st.mixedCaps {
				v += sign * capsIncr
			}
			if t.elong {
				v += sign * elongIncr
			}
			v += sign * boostBefore(toks, i, st.mixedCaps)
			if i+1 < len(toks) && toks[i+1].boosting && toks[i+1].post {
				v += sign * toks[i+1].e.boost
			}
			switch by, after, neverSo := negatedBy(toks, i); {
			case neverSo:
				v *= neverSoScalar
			case by != nil:
				v *= negScalar
				t.negBy, t.negAfter = by, after
			}
		}
		if t.conceded {
			v *= conceded
		}
		if irony && v > 0 && t.kind == tkWord {
			v *= negScalar
		}
		if contrast >= 0 {
			if i < contrast {
				v *= beforeContrast
			} else if i > contrast {
				v *= afterContrast
			}
		}
		t.v = v
		sum += v
	}
	if sum != 0 {
		emphasis = float64(min(st.excl, maxExcl)) * exclIncr
		switch {
		case st.quest > 3:
			emphasis += maxQuestAmp
		case st.quest > 1:
			emphasis += float64(st.quest) * questIncr
		}
	}
	return sum, emphasis
}

// markBoosting decides, for each intensifier, whether it boosts a word:
// a plain intensifier always does; a dual one ("super", "grave") does when
// a sentiment word follows within two tokens ("super content") or comes
// just before it ("je kiffe grave"), and is a sentiment word otherwise.
func markBoosting(toks []token) {
	for i := range toks {
		e := toks[i].e
		if e == nil || e.flags&fBooster == 0 {
			continue
		}
		if !e.dual {
			toks[i].boosting = true
			continue
		}
		for k := 1; k <= 2 && i+k < len(toks) && toks[i+k].kind == tkWord; k++ {
			if n := toks[i+k].e; n != nil && n.valence != 0 && !n.dual {
				toks[i].boosting = true
				break
			}
		}
		if !toks[i].boosting && i > 0 && toks[i-1].kind == tkWord {
			if p := toks[i-1].e; p != nil && p.valence != 0 && !p.dual {
				toks[i].boosting, toks[i].post = true, true
			}
		}
	}
}

// markClauses notes, for each token, whether "ne"/"n'" or a concession
// ("malgré", "despite") comes before it in its clause, in one pass.
func markClauses(toks []token) {
	conceded, ne := false, false
	for i := range toks {
		t := &toks[i]
		if t.kind == tkBreak {
			conceded, ne = false, false
			continue
		}
		t.conceded, t.afterNe = conceded, ne
		if e := t.e; e != nil {
			conceded = conceded || e.flags&fConcession != 0
			ne = ne || e.flags&fNe != 0
		}
	}
}

// negates reports whether the negator at toks[i] has a sentiment word in
// its scope.
func negates(toks []token, i int) bool {
	for k := 1; k <= scope && i+k < len(toks) && toks[i+k].kind == tkWord; k++ {
		if e := toks[i+k].e; e != nil && e.valence != 0 && e.flags&fBooster == 0 {
			return true
		}
	}
	return false
}

// isInterjection reports an interjection alone in its clause: "Bon, on verra".
func isInterjection(toks []token, i int) bool {
	return toks[i].e.flags&fInterjection != 0 &&
		(i == 0 || toks[i-1].isBoundary()) && (i+1 == len(toks) || toks[i+1].isBoundary())
}

// boostBefore sums the intensifiers and dampeners in the scope before i,
// fading with distance as in VADER.
func boostBefore(toks []token, i int, mixedCaps bool) float64 {
	var total float64
	for k := 1; k <= scope && i-k >= 0; k++ {
		b := &toks[i-k]
		if b.kind != tkWord {
			break
		}
		if b.e == nil || !b.boosting || b.post {
			continue
		}
		s := b.e.boost
		if b.caps && mixedCaps {
			s += math.Copysign(capsIncr, s)
		}
		switch k {
		case 2:
			s *= 0.95
		case 3:
			s *= 0.9
		}
		total += s
	}
	return total
}

// negatedBy finds the negator whose scope covers toks[i]: one of the
// `scope` tokens before it in the same clause ("pas bon", "n'aime",
// "not good"), or, in French, "pas" right after a verb that follows its
// subject ("j'aime pas", "je le recommande pas"), then after is true.
// neverSo reports "never so good" / "jamais été aussi bien", which VADER
// boosts instead.
func negatedBy(toks []token, i int) (by *entry, after, neverSo bool) {
	if toks[i].e.flags&fSelfNegating != 0 {
		return nil, false, false
	}
	for k := 1; k <= scope && i-k >= 0; k++ {
		j := i - k
		t := &toks[j]
		if t.kind != tkWord {
			break
		}
		e := t.e
		if e == nil {
			continue
		}
		if e.flags&fContrast != 0 {
			break
		}
		if e.flags&fNegator == 0 {
			continue
		}
		if e.flags&fNegNeedsNe != 0 && !t.afterNe {
			continue
		}
		if e.flags&fNeverSo != 0 {
			for m := j + 1; m < i; m++ {
				if s := toks[m].e; s != nil && s.flags&fSoLike != 0 {
					return nil, false, true
				}
			}
		}
		return e, false, false
	}
	if i+1 < len(toks) {
		if n := toks[i+1].e; n != nil && n.flags&fPostNegator != 0 && afterSubject(toks, i) {
			return n, true, false
		}
	}
	return nil, false, false
}

// afterSubject reports whether toks[i] directly follows a French subject
// pronoun, possibly with object pronouns between: "j'aime", "je le
// recommande", "ça vaut".
func afterSubject(toks []token, i int) bool {
	for m := i - 1; m >= 0 && m >= i-3; m-- {
		e := toks[m].e
		if e == nil {
			return false
		}
		if e.flags&fSubject != 0 {
			return true
		}
		if e.flags&fObject == 0 {
			return false
		}
	}
	return false
}
