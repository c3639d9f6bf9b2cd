package mastodon

import (
	"html"
	"strings"
	"unicode/utf8"
)

// htmlText turns the sanitized HTML of a status (<p>, <br>, <a>, <span>,
// and from other fediverse servers a few more block tags) into plain
// text, and returns the links it holds other than mentions and hashtags.
//
// Paragraphs become blank lines, <br> a newline; runs of white space
// collapse to one space as a browser would show them; entities are
// decoded. Links keep their full text: Mastodon splits a long URL into an
// "invisible" prefix, an "ellipsis" middle and an "invisible" rest, whose
// concatenation is the URL. Anything that is not well-formed HTML is kept
// as text. It never fails.
func htmlText(s string) (text string, links []string) {
	var b strings.Builder
	b.Grow(len(s))
	var w textWriter
	w.b = &b
	skip := "" // inside <script> or <style>: skip to its end tag
	pre := 0
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			if skip == "" {
				w.text(s[i:], pre > 0)
			}
			break
		}
		if lt > 0 && skip == "" {
			w.text(s[i:i+lt], pre > 0)
		}
		i += lt
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		t, n, ok := parseTag(s[i:])
		if !ok {
			if skip == "" {
				w.text("<", pre > 0)
			}
			i++
			continue
		}
		i += n
		if skip != "" {
			if t.closing && t.name == skip {
				skip = ""
			}
			continue
		}
		switch t.name {
		case "br":
			w.newline(1)
		case "p", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "hr":
			w.newline(2)
		case "pre":
			w.newline(2)
			if t.closing {
				pre = max(pre-1, 0)
			} else if !t.selfClosing {
				pre++
			}
		case "li", "tr", "dt", "dd":
			w.newline(1)
		case "script", "style":
			if !t.closing && !t.selfClosing {
				skip = t.name
			}
		case "a":
			if !t.closing && isWebLink(t.href) && !t.mentionOrTag {
				links = appendNew(links, t.href)
			}
		}
	}
	return w.done(), links
}

// textWriter collapses white space and line breaks as they are written.
type textWriter struct {
	b        *strings.Builder
	space    bool // a space is pending
	newlines int  // newlines pending (0, 1 or 2)
}

func (w *textWriter) text(raw string, pre bool) {
	s := html.UnescapeString(raw)
	for _, r := range s {
		if r == utf8.RuneError {
			w.put(r)
			continue
		}
		if pre && r == '\n' {
			w.newline(1)
			continue
		}
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			if !pre {
				w.space = true
				continue
			}
		}
		w.put(r)
	}
}

func (w *textWriter) put(r rune) {
	if w.b.Len() > 0 {
		switch {
		case w.newlines > 0:
			w.b.WriteString("\n\n"[:w.newlines])
		case w.space:
			w.b.WriteByte(' ')
		}
	}
	w.newlines, w.space = 0, false
	w.b.WriteRune(r)
}

func (w *textWriter) newline(n int) {
	w.space = false
	w.newlines = max(w.newlines, n)
}

func (w *textWriter) done() string { return w.b.String() }

// tag is what htmlText reads of a tag.
type tag struct {
	name         string // lower-case
	closing      bool
	selfClosing  bool
	href         string
	mentionOrTag bool // a link to a profile or a hashtag page
}

// parseTag reads the tag at the start of s ("<a href=…>"), returning it
// and its length, or ok=false when s does not start with a tag.
func parseTag(s string) (t tag, n int, ok bool) {
	i := 1
	if i < len(s) && s[i] == '/' {
		t.closing = true
		i++
	}
	start := i
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	if i == start || !isLetter(s[start]) {
		return tag{}, 0, false
	}
	t.name = strings.ToLower(s[start:i])
	var class, rel string
	for i < len(s) {
		c := s[i]
		switch {
		case c == '>':
			if t.name == "a" {
				t.mentionOrTag = hasWord(class, "mention") || hasWord(class, "hashtag") || hasWord(rel, "tag")
			}
			return t, i + 1, true
		case c == '/' && i+1 < len(s) && s[i+1] == '>':
			t.selfClosing = true
			i++
		case isSpace(c) || c == '/':
			i++
		default:
			var name, val string
			name, val, i = parseAttr(s, i)
			if i < 0 {
				return tag{}, 0, false
			}
			switch name {
			case "href":
				t.href = html.UnescapeString(strings.TrimSpace(val))
			case "class":
				class = val
			case "rel":
				rel = val
			}
		}
	}
	return tag{}, 0, false // no '>'
}

// parseAttr reads name[=value] at s[i:]; the value may be quoted. It
// returns the index after it, or -1 when a quote is not closed.
func parseAttr(s string, i int) (name, val string, next int) {
	start := i
	for i < len(s) && !isSpace(s[i]) && s[i] != '=' && s[i] != '>' && s[i] != '/' {
		i++
	}
	if i == start { // a stray '=' or quote: skip it
		return "", "", i + 1
	}
	name = strings.ToLower(s[start:i])
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i >= len(s) || s[i] != '=' {
		return name, "", i
	}
	i++
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		q := s[i]
		end := strings.IndexByte(s[i+1:], q)
		if end < 0 {
			return "", "", -1
		}
		return name, s[i+1 : i+1+end], i + 1 + end + 1
	}
	start = i
	for i < len(s) && !isSpace(s[i]) && s[i] != '>' {
		i++
	}
	return name, s[start:i], i
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isNameByte(c byte) bool { return isLetter(c) || c >= '0' && c <= '9' || c == '-' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if f == w {
			return true
		}
	}
	return false
}

func isWebLink(s string) bool {
	return len(s) > 8 && (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) &&
		!strings.ContainsAny(s, " \t\r\n")
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
