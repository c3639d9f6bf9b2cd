// Package signals derives employee signals from a mention: ideas
// (suggestions worth a look), relays of the company's official accounts
// and sites (advocacy), and detractors. Pure functions, safe for concurrent use.
package signals

import (
	"unicode"
	"unicode/utf8"
)

// IsIdea reports whether text is phrased as a suggestion: "on devrait",
// "pourquoi ne pas", "et si on", "il faudrait", "ce serait bien", "je
// propose" in French; "what if we", "we should", "why don't we", "it would
// be great if", "I suggest" in English. lang ("fr", "en", "fr-CA"…)
// selects the phrases; any other value tries both.
//
// Phrasings that are not suggestions are left out: regrets and reproaches
// ("we should have been told", "pourquoi ne pas nous avoir prévenus"),
// expectations ("on devrait recevoir la réponse demain", "we should
// already have it"), personal to-dos ("il faudrait que je…"), sarcasm
// ("ce serait bien, pour une fois…") and questions asking for a fact
// ("on devrait être payés quand ?").
func IsIdea(text, lang string) bool {
	var bufArr [1024]byte
	var wordArr [160]word
	buf, words := splitWords(text, bufArr[:0], wordArr[:0])
	fr, en := langs(lang)
	for i := range words {
		if fr && suggestsFR(buf, words, i) {
			return true
		}
		if en && suggestsEN(buf, words, i) {
			return true
		}
	}
	return false
}

// suggestsFR reports a French suggestion starting at word i.
func suggestsFR(buf []byte, ws []word, i int) bool {
	at := func(k int, s string) bool { return i+k < len(ws) && ws[i+k].is(buf, s) }
	switch {
	case at(0, "on") && (at(1, "devrait") || at(1, "pourrait")),
		at(0, "nous") && (at(1, "devrions") || at(1, "pourrions")):
		return !expectation(buf, ws, i) && !factQuestion(buf, ws, i)
	case at(0, "pourquoi") && at(1, "ne") && at(2, "pas"):
		// "pourquoi ne pas nous avoir prévenus" is a reproach.
		return !(at(3, "avoir") || at(4, "avoir") && (at(3, "nous") || at(3, "me") || at(3, "le") || at(3, "les") || at(3, "vous")))
	case at(0, "et") && at(1, "si") && (at(2, "on") || at(2, "nous")):
		return !factQuestion(buf, ws, i)
	case at(0, "il") && at(1, "faudrait"):
		// "il faudrait que je …" is a to-do, not a suggestion.
		return !(at(2, "que") && (at(3, "je") || at(3, "me")))
	case (at(0, "ce") || at(0, "ca")) && at(1, "serait") && (at(2, "bien") || at(2, "top") || at(2, "genial") || at(2, "super") || at(2, "utile")):
		return !sarcastic(buf, ws, i)
	case at(0, "je") && (at(1, "propose") || at(1, "suggere")),
		at(0, "ma") && (at(1, "suggestion") || at(1, "proposition") || at(1, "idee")):
		return true
	}
	return false
}

// suggestsEN reports an English suggestion starting at word i.
func suggestsEN(buf []byte, ws []word, i int) bool {
	at := func(k int, s string) bool { return i+k < len(ws) && ws[i+k].is(buf, s) }
	switch {
	case at(0, "what") && at(1, "if") && at(2, "we"),
		at(0, "how") && at(1, "about") && at(2, "we"):
		return !factQuestion(buf, ws, i)
	case at(0, "we") && (at(1, "should") || at(1, "could")):
		// "we should have been told" is a regret, "we should have a hackathon" is not.
		if at(2, "have") && (i+3 >= len(ws) || pastParticiple(ws[i+3].text(buf))) {
			return false
		}
		return !expectation(buf, ws, i) && !factQuestion(buf, ws, i)
	case at(0, "why") && at(1, "don") && at(2, "t") && at(3, "we"),
		at(0, "why") && at(1, "not") && at(2, "try"):
		return true
	case at(0, "it") && at(1, "would") && at(2, "be") && (at(3, "great") || at(3, "nice") || at(3, "good") || at(3, "awesome") || at(3, "useful")) && (at(4, "if") || at(4, "to")),
		at(0, "wouldn") && at(1, "t") && at(2, "it") && at(3, "be"):
		return !sarcastic(buf, ws, i)
	case at(0, "i") && (at(1, "suggest") || at(1, "propose")),
		at(0, "my") && (at(1, "suggestion") || at(1, "proposal")),
		at(0, "suggestion") && i == 0:
		return true
	}
	return false
}

// expectation reports a modal of likelihood rather than advice: "on devrait
// recevoir la réponse demain", "we should already have it".
func expectation(buf []byte, ws []word, i int) bool {
	for k := i; k < len(ws) && ws[k].sentence == ws[i].sentence; k++ {
		switch ws[k].text(buf) {
		case "demain", "bientot", "deja", "tomorrow", "soon", "already", "tonight":
			return true
		}
	}
	return false
}

// factQuestion reports a question asking for a fact: "on devrait être
// payés quand ?". "Et si on … ?" and "What if we … ?" stay suggestions.
func factQuestion(buf []byte, ws []word, i int) bool {
	if !ws[i].question {
		return false
	}
	for k := i; k < len(ws) && ws[k].sentence == ws[i].sentence; k++ {
		switch ws[k].text(buf) {
		case "quand", "combien", "when", "where", "much", "many":
			return true
		}
	}
	return false
}

// sarcastic reports "pour une fois" / "for once" in the sentence: "ce
// serait bien que la direction écoute, pour une fois".
func sarcastic(buf []byte, ws []word, i int) bool {
	for k := i; k+1 < len(ws) && ws[k].sentence == ws[i].sentence; k++ {
		if ws[k].is(buf, "une") && ws[k+1].is(buf, "fois") && k > 0 && ws[k-1].is(buf, "pour") ||
			ws[k].is(buf, "for") && ws[k+1].is(buf, "once") {
			return true
		}
	}
	return false
}

func pastParticiple(w string) bool {
	switch w {
	case "been", "done", "known", "seen", "gone", "told", "thought", "said", "made", "had", "got",
		"gotten", "taken", "given", "heard", "kept", "left", "sent", "built", "paid", "let", "put", "not":
		return true
	}
	return len(w) > 3 && w[len(w)-2:] == "ed"
}

// word is one normalised word of a text: lower case, accents removed,
// French elisions expanded (qu'on → que on).
type word struct {
	start, end int  // in buf
	sentence   int  // index of its sentence
	question   bool // its sentence ends with '?'
}

func (w word) text(buf []byte) string       { return string(buf[w.start:w.end]) }
func (w word) is(buf []byte, s string) bool { return string(buf[w.start:w.end]) == s }

// splitWords normalises text into words. Sentences end at . ! ? … and
// line breaks.
func splitWords(text string, buf []byte, ws []word) ([]byte, []word) {
	sentence, sentenceStart := 0, 0
	inWord := false
	var cur word
	endSentence := func(question bool) {
		for k := sentenceStart; k < len(ws); k++ {
			ws[k].question = question
		}
		sentence++
		sentenceStart = len(ws)
	}
	for i, r := range text {
		var letter bool
		if r < utf8.RuneSelf {
			letter = r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		} else {
			letter = unicode.IsLetter(r) || unicode.IsDigit(r)
			if !letter && inWord && unicode.Is(unicode.Mn, r) {
				continue // a combining accent
			}
		}
		if letter {
			if !inWord {
				cur, inWord = word{start: len(buf), sentence: sentence}, true
			}
			if r < utf8.RuneSelf {
				buf = append(buf, byte(r)|0x20) // ASCII letters and digits: | 0x20 lower-cases, keeps digits
			} else {
				buf = appendFolded(buf, r)
			}
			continue
		}
		if inWord {
			cur.end = len(buf)
			if (r == '\'' || r == '’') && i+1 < len(text) {
				buf = expandElision(buf, cur.start)
				cur.end = len(buf)
			}
			ws = append(ws, cur)
			inWord = false
		}
		switch r {
		case '?':
			endSentence(true)
		case '.', '!', '…', '\n':
			endSentence(false)
		}
	}
	if inWord {
		cur.end = len(buf)
		ws = append(ws, cur)
	}
	if sentenceStart < len(ws) {
		endSentence(false)
	}
	return buf, ws
}

// expandElision rewrites the elided word at buf[start:] (qu', j', n', c',
// l', d') to its full form (que, je, ne, ce, le, de).
func expandElision(buf []byte, start int) []byte {
	var full string
	switch string(buf[start:]) {
	case "qu":
		full = "que"
	case "j":
		full = "je"
	case "n":
		full = "ne"
	case "c":
		full = "ce"
	case "l":
		full = "le"
	case "d":
		full = "de"
	default:
		return buf
	}
	return append(buf[:start], full...)
}

// appendFolded appends r lower-cased, without its accent for the letters
// French uses (é→e, ç→c, œ→oe).
func appendFolded(buf []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(buf, byte(r))
	}
	switch unicode.ToLower(r) {
	case 'à', 'â', 'ä', 'á', 'ã', 'å':
		return append(buf, 'a')
	case 'é', 'è', 'ê', 'ë':
		return append(buf, 'e')
	case 'î', 'ï', 'í', 'ì':
		return append(buf, 'i')
	case 'ô', 'ö', 'ó', 'ò', 'õ':
		return append(buf, 'o')
	case 'ù', 'û', 'ü', 'ú':
		return append(buf, 'u')
	case 'ç':
		return append(buf, 'c')
	case 'ÿ':
		return append(buf, 'y')
	case 'œ':
		return append(buf, 'o', 'e')
	case 'æ':
		return append(buf, 'a', 'e')
	}
	return utf8.AppendRune(buf, unicode.ToLower(r))
}

// langs tells which phrase sets apply to lang: "fr", "en" (region
// subtags and case ignored), or both for anything else.
func langs(lang string) (fr, en bool) {
	for i := 0; i < len(lang); i++ {
		if lang[i] == '-' || lang[i] == '_' {
			lang = lang[:i]
			break
		}
	}
	if len(lang) == 2 {
		switch a, b := lang[0]|0x20, lang[1]|0x20; {
		case a == 'f' && b == 'r':
			return true, false
		case a == 'e' && b == 'n':
			return false, true
		}
	}
	return true, true
}
