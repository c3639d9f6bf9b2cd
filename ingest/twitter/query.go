package twitter

import (
	"github.com/vigie-project/vigie/ingest/internal/tweetquery"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/vigie-project/vigie/ingest/watch"
)

// From a watch's Upstream to v1.1 search queries and to the stream's
// track and follow lists. Every positive term is ORed; the analyzer's
// matcher decides afterwards, so upstream only has to bring every post a
// watch may match.

// Limits of statuses/filter (standard access).
const (
	maxTrack       = 400  // track phrases
	maxTrackBytes  = 60   // bytes per track phrase
	maxFollow      = 5000 // user ids
	maxLookupBatch = 100  // screen names per users/lookup
)

// dropped is an upstream term Twitter cannot search, with why.
type dropped struct {
	Term   string
	Reason string
}

// searchPlan is the v1.1 search of one watch.
type searchPlan struct {
	queries []string
	lang    string // the lang parameter, when the watch has exactly one language
}

// buildSearch packs the watch's terms into queries of at most max
// characters: keywords, "phrases", #hashtags, @handle OR from:handle.
func buildSearch(up watch.Upstream, max int) (searchPlan, []dropped) {
	seen := map[string]bool{}
	var items []string
	var out []dropped
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			items = append(items, s)
		}
	}
	for _, t := range up.Terms {
		if t = strings.TrimSpace(t); t != "" {
			add(tweetquery.Keyword(t))
		}
	}
	for _, p := range up.Phrases {
		if p = tweetquery.CleanPhrase(p); p != "" {
			add(`"` + p + `"`)
		}
	}
	for _, h := range up.Hashtags {
		if tweetquery.ValidHashtag(h) {
			add("#" + h)
		} else {
			out = append(out, dropped{"#" + h, "not a Twitter hashtag"})
		}
	}
	for _, h := range up.Handles {
		if tweetquery.ValidHandle(h) {
			add("@" + h)
			add("from:" + h)
		} else {
			out = append(out, dropped{"@" + h, "not a Twitter screen name"})
		}
	}
	for _, p := range up.Prefixes {
		out = append(out, dropped{p + "*", "Twitter has no wildcard operator"})
	}
	var plan searchPlan
	plan.queries, items = pack(items, max)
	for _, it := range items {
		out = append(out, dropped{it, "longer than the query limit"})
	}
	if len(up.Langs) == 1 && tweetquery.ValidLang(up.Langs[0]) {
		plan.lang = strings.ToLower(up.Langs[0])
	}
	return plan, out
}

// pack groups items greedily into "a OR b OR c" of at most max
// characters; it returns the queries and the items too long alone.
func pack(items []string, max int) (queries, tooLong []string) {
	var cur []string
	chars := 0
	flush := func() {
		if len(cur) > 0 {
			queries = append(queries, strings.Join(cur, " OR "))
			cur, chars = nil, 0
		}
	}
	for _, it := range items {
		n := utf8.RuneCountInString(it)
		if n > max {
			tooLong = append(tooLong, it)
			continue
		}
		if len(cur) > 0 && chars+4*len(cur)+n > max {
			flush()
		}
		cur = append(cur, it)
		chars += n
	}
	flush()
	return queries, tooLong
}

// streamPlan is the statuses/filter request of the selected watches.
type streamPlan struct {
	track   []string // phrases: words ANDed, phrases ORed
	handles []string // screen names to resolve into follow ids
	langs   []string // the language parameter: set only when every watch has languages
}

// buildStream unions the watches' terms into track phrases. Twitter
// matches track words exactly (UTF-8, "touché" is not "touche") while
// watches fold accents, so an accented term is tracked with its folded
// form too. A track word also matches #word and @word; a handle is
// tracked (mentions) and followed (posts by the account).
func buildStream(ups []watch.Upstream) (streamPlan, []dropped) {
	var p streamPlan
	var out []dropped
	seen := map[string]bool{}
	add := func(phrase string) {
		for _, v := range []string{phrase, fold(phrase)} {
			if v == "" || seen[v] {
				continue
			}
			seen[v] = true
			if len(p.track) == maxTrack {
				out = append(out, dropped{v, "over the 400 track phrases"})
				continue
			}
			p.track = append(p.track, v)
		}
	}
	allLangs := len(ups) > 0
	var langs []string
	for _, up := range ups {
		for _, t := range up.Terms {
			add(trackPhrase(t))
		}
		for _, ph := range up.Phrases {
			add(trackPhrase(ph))
		}
		for _, h := range up.Hashtags {
			if tweetquery.ValidHashtag(h) {
				add(trackPhrase(h))
			} else {
				out = append(out, dropped{"#" + h, "not a Twitter hashtag"})
			}
		}
		for _, h := range up.Handles {
			if !tweetquery.ValidHandle(h) {
				out = append(out, dropped{"@" + h, "not a Twitter screen name"})
				continue
			}
			add(strings.ToLower(h))
			if !slices.Contains(p.handles, strings.ToLower(h)) {
				p.handles = append(p.handles, strings.ToLower(h))
			}
		}
		for _, pre := range up.Prefixes {
			out = append(out, dropped{pre + "*", "Twitter has no wildcard operator"})
		}
		if len(up.Langs) == 0 {
			allLangs = false
		}
		for _, l := range up.Langs {
			if tweetquery.ValidLang(l) && !slices.Contains(langs, strings.ToLower(l)) {
				langs = append(langs, strings.ToLower(l))
			}
		}
	}
	if allLangs {
		p.langs = langs
	}
	return p, out
}

// trackPhrase turns a term or phrase into a track phrase: words made of
// letters and digits, separated by spaces, at most 60 bytes (words are
// dropped from the end to fit: fewer words match more, never less).
func trackPhrase(s string) string {
	words := strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && !unicode.Is(unicode.Mn, r)
	})
	for len(words) > 0 && len(strings.Join(words, " ")) > maxTrackBytes {
		words = words[:len(words)-1]
	}
	return strings.ToLower(strings.Join(words, " "))
}

// fold removes accents and other combining marks ("grève" → "greve").
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return out
}
