// Package tweetquery holds the search-query syntax that the Twitter API
// v1.1 and X API v2 collectors share: quoting keywords and phrases, and
// which hashtags, handles and language tags the APIs accept.
package tweetquery

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Keyword returns t as a query Keyword, quoted when it holds anything
// but letters, digits and '_', or reads as an operator.
func Keyword(t string) string {
	plain := true
	for _, r := range t {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && !unicode.Is(unicode.Mn, r) {
			plain = false
			break
		}
	}
	if plain && !strings.EqualFold(t, "or") && !strings.EqualFold(t, "and") {
		return t
	}
	return `"` + CleanPhrase(t) + `"`
}

// CleanPhrase makes p safe inside double quotes.
func CleanPhrase(p string) string {
	p = strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r == '“' || r == '”' || unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, p)
	return strings.Join(strings.Fields(p), " ")
}

// ValidHashtag: letters, digits, marks and '_', at most 100 characters.
func ValidHashtag(h string) bool {
	if h == "" || utf8.RuneCountInString(h) > 100 {
		return false
	}
	for _, r := range h {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return true
}

// ValidHandle: a screen name is 1 to 15 ASCII letters, digits or '_'.
func ValidHandle(h string) bool {
	if h == "" || len(h) > 15 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ValidLang: a language tag as Twitter uses them ("fr", "zh-tw").
func ValidLang(l string) bool {
	if len(l) < 2 || len(l) > 8 {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}
