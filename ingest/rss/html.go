package rss

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLinks bounds the links kept from one article.
const maxLinks = 32

// htmlText turns an HTML fragment into plain text: tags go, entities are
// decoded, the content of script, style and similar elements is dropped,
// block elements and <br> end a line, and white space is collapsed. It
// also returns the absolute http(s) targets of <a href>. It never fails:
// broken markup gives its best reading.
func htmlText(s string) (text string, links []string) {
	var out strings.Builder
	out.Grow(len(s))
	seg := 0 // start of the text since the last tag, still encoded
	for i := 0; i < len(s); {
		if s[i] != '<' {
			i++
			continue
		}
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			writeText(&out, s[seg:i])
			end := strings.Index(rest[4:], "-->")
			if end < 0 {
				i = len(s)
			} else {
				i += 4 + end + 3
			}
			seg = i
			continue
		case strings.HasPrefix(rest, "<![CDATA["):
			writeText(&out, s[seg:i])
			body := rest[9:]
			end := strings.Index(body, "]]>")
			if end < 0 {
				end = len(body)
				i = len(s)
			} else {
				i += 9 + end + 3
			}
			out.WriteString(body[:end]) // CDATA is not encoded
			seg = i
			continue
		}
		name, closing, tagEnd, ok := scanTag(rest)
		if !ok {
			// Not a tag ("a < b"): literal text.
			i++
			continue
		}
		writeText(&out, s[seg:i])
		tag := rest[:tagEnd]
		i += tagEnd
		seg = i
		switch {
		case !closing && isRawText(name):
			// Skip to the matching end tag.
			end := indexFold(s[i:], "</"+name)
			if end < 0 {
				i = len(s)
			} else {
				i += end
				if gt := strings.IndexByte(s[i:], '>'); gt >= 0 {
					i += gt + 1
				} else {
					i = len(s)
				}
			}
			seg = i
		case isBlock(name):
			out.WriteByte('\n')
		case name == "a" && !closing && len(links) < maxLinks:
			if href := attr(tag, "href"); href != "" {
				href = html.UnescapeString(href)
				if isHTTP(href) && !contains(links, href) {
					links = append(links, href)
				}
			}
		case name == "td" || name == "th" || name == "img":
			out.WriteByte(' ')
		}
	}
	writeText(&out, s[seg:])
	return collapse(out.String()), links
}

// writeText writes text found between tags, decoding its entities.
func writeText(out *strings.Builder, piece string) {
	if strings.IndexByte(piece, '&') >= 0 {
		piece = html.UnescapeString(piece)
	}
	out.WriteString(piece)
}

// scanTag reads a tag at the start of s ("<name ...>" or "</name>"):
// its lower-case name, whether it closes, and the length up to and
// including '>'. Quoted attribute values may hold '>'.
func scanTag(s string) (name string, closing bool, n int, ok bool) {
	i := 1
	if i < len(s) && (s[i] == '/') {
		closing = true
		i++
	}
	if i < len(s) && (s[i] == '!' || s[i] == '?') { // doctype, processing instruction
		end := strings.IndexByte(s, '>')
		if end < 0 {
			return "", false, 0, false
		}
		return "!", false, end + 1, true
	}
	start := i
	for i < len(s) && (isASCIILetter(s[i]) || (i > start && (s[i] >= '0' && s[i] <= '9' || s[i] == '-' || s[i] == ':'))) {
		i++
	}
	if i == start {
		return "", false, 0, false
	}
	name = strings.ToLower(s[start:i])
	var quote byte
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return name, closing, i + 1, true
		}
	}
	// Unterminated: the rest is the tag.
	return name, closing, len(s), true
}

// attr returns the value of attribute key in a tag, "" when absent.
func attr(tag, key string) string {
	for i := 0; i < len(tag); {
		j := indexFold(tag[i:], key)
		if j < 0 {
			return ""
		}
		j += i
		i = j + len(key)
		if j == 0 || !isSpaceByte(tag[j-1]) {
			continue
		}
		k := i
		for k < len(tag) && isSpaceByte(tag[k]) {
			k++
		}
		if k >= len(tag) || tag[k] != '=' {
			continue
		}
		k++
		for k < len(tag) && isSpaceByte(tag[k]) {
			k++
		}
		if k >= len(tag) {
			return ""
		}
		if q := tag[k]; q == '"' || q == '\'' {
			end := strings.IndexByte(tag[k+1:], q)
			if end < 0 {
				return tag[k+1:]
			}
			return tag[k+1 : k+1+end]
		}
		end := k
		for end < len(tag) && !isSpaceByte(tag[end]) && tag[end] != '>' {
			end++
		}
		return tag[k:end]
	}
	return ""
}

// collapse trims every line, collapses runs of white space inside lines
// to one space and drops empty lines.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space, newline := false, false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			newline = b.Len() > 0
			space = false
		case unicode.IsSpace(r) || r == '\u200b':
			space = b.Len() > 0 && !newline
		case r == utf8.RuneError || unicode.IsControl(r):
			// dropped
		default:
			if newline {
				b.WriteByte('\n')
			} else if space {
				b.WriteByte(' ')
			}
			newline, space = false, false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// looksLikeHTML reports whether text still holds markup, as when a feed
// escapes its HTML twice.
func looksLikeHTML(s string) bool {
	for _, t := range []string{"</", "<p>", "<br", "<div", "<a href"} {
		if indexFold(s, t) >= 0 {
			return true
		}
	}
	return false
}

func isRawText(name string) bool {
	switch name {
	case "script", "style", "noscript", "template", "iframe", "object", "svg", "math", "head", "title":
		return true
	}
	return false
}

func isBlock(name string) bool {
	switch name {
	case "br", "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
		"blockquote", "pre", "section", "article", "header", "footer", "aside", "nav", "figure",
		"figcaption", "table", "tr", "hr", "address", "main", "details", "summary":
		return true
	}
	return false
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isHTTP(u string) bool {
	return len(u) > 8 && (strings.EqualFold(u[:7], "http://") || strings.EqualFold(u[:8], "https://"))
}

// indexFold is strings.Index ignoring ASCII case; sub must be ASCII and
// start with a non-letter or a lower-case letter.
func indexFold(s, sub string) int {
	n := len(sub)
	if n == 0 {
		return 0
	}
	first := sub[0]
	for i := 0; i+n <= len(s); i++ {
		if s[i]|0x20 != first && s[i] != first {
			continue
		}
		if strings.EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
