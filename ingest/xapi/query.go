package xapi

import (
	"github.com/vigie-project/vigie/ingest/internal/tweetquery"
	"strings"
	"unicode/utf8"

	"github.com/vigie-project/vigie/ingest/watch"
)

// Building X queries (recent search) and rules (filtered stream) from a
// watch's Upstream: every positive term ORed, the watch's languages
// ANDed, split into several queries when one would pass the access
// level's length limit. The matcher decides afterwards; a query only has
// to bring every post the watch may match.

// dropped is an upstream term X cannot search, with why.
type dropped struct {
	Term   string
	Reason string
}

// queryItems returns the OR-able operators of up, in a stable order
// without duplicates, and the terms left out.
func queryItems(up watch.Upstream) (items []string, out []dropped) {
	seen := map[string]bool{}
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
			out = append(out, dropped{"#" + h, "not an X hashtag"})
		}
	}
	for _, h := range up.Handles {
		if tweetquery.ValidHandle(h) {
			add("@" + h)     // posts that mention the account
			add("from:" + h) // posts by the account
		} else {
			out = append(out, dropped{"@" + h, "not an X username"})
		}
	}
	for _, p := range up.Prefixes {
		out = append(out, dropped{p + "*", "X has no wildcard operator"})
	}
	return items, out
}

// langClause is what restricts a query to the watch's languages.
func langClause(langs []string) string {
	var ok []string
	for _, l := range langs {
		if tweetquery.ValidLang(l) {
			ok = append(ok, "lang:"+strings.ToLower(l))
		}
	}
	switch len(ok) {
	case 0:
		return ""
	case 1:
		return " " + ok[0]
	}
	return " (" + strings.Join(ok, " OR ") + ")"
}

// buildQueries packs the items of up into queries of at most max
// characters. An item that cannot fit alone is dropped.
func buildQueries(up watch.Upstream, max int) ([]string, []dropped) {
	items, out := queryItems(up)
	suffix := langClause(up.Langs)
	queries, tooLong := pack(items, suffix, max)
	for _, it := range tooLong {
		out = append(out, dropped{it, "longer than the query limit"})
	}
	return queries, out
}

// pack groups items greedily: "a OR b OR c", or "(a OR b) lang:fr" with a
// suffix (AND binds before OR in X queries, hence the parentheses).
func pack(items []string, suffix string, max int) (queries, tooLong []string) {
	sl := utf8.RuneCountInString(suffix)
	size := func(n, chars int) int {
		l := chars + 4*(n-1) + sl // " OR " between items
		if suffix != "" && n > 1 {
			l += 2 // parentheses
		}
		return l
	}
	var cur []string
	chars := 0
	flush := func() {
		if len(cur) == 0 {
			return
		}
		q := strings.Join(cur, " OR ")
		if suffix != "" && len(cur) > 1 {
			q = "(" + q + ")"
		}
		queries = append(queries, q+suffix)
		cur, chars = nil, 0
	}
	for _, it := range items {
		n := utf8.RuneCountInString(it)
		if size(1, n) > max {
			tooLong = append(tooLong, it)
			continue
		}
		if len(cur) > 0 && size(len(cur)+1, chars+n) > max {
			flush()
		}
		cur = append(cur, it)
		chars += n
	}
	flush()
	return queries, tooLong
}
