package reddit

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// listing is a Reddit Listing (what /r/<sub>/new and /search return).
type listing struct {
	Kind string `json:"kind"`
	Data struct {
		After    *string `json:"after"`
		Children []struct {
			Kind string          `json:"kind"`
			Data json.RawMessage `json:"data"`
		} `json:"children"`
	} `json:"data"`
}

// link is what the collector reads of a t3 (a post).
type link struct {
	ID              string  `json:"id"`
	Name            string  `json:"name"` // fullname: t3_<id>
	Title           string  `json:"title"`
	Selftext        string  `json:"selftext"`
	Author          string  `json:"author"`
	AuthorFullname  string  `json:"author_fullname"`
	Subreddit       string  `json:"subreddit"`
	CreatedUTC      float64 `json:"created_utc"`
	Permalink       string  `json:"permalink"`
	URL             string  `json:"url"`
	IsSelf          bool    `json:"is_self"`
	Score           int64   `json:"score"`
	NumComments     int64   `json:"num_comments"`
	NumCrossposts   int64   `json:"num_crossposts"`
	Over18          bool    `json:"over_18"`
	CrosspostParent string  `json:"crosspost_parent"`
}

var (
	errNotListing = errors.New("not a Listing")
	errBadID      = errors.New("no valid id")
	errBadTime    = errors.New("no valid created_utc")
)

func decodeListing(body []byte) (*listing, error) {
	var l listing
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, fmt.Errorf("listing: %w", err)
	}
	if l.Kind != "Listing" {
		return nil, fmt.Errorf("listing: kind %.40q: %w", l.Kind, errNotListing)
	}
	return &l, nil
}

// decodeLink decodes one t3's data.
func decodeLink(raw []byte) (*link, error) {
	var p link
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	if !validID(p.ID) || (p.Name != "" && p.Name != "t3_"+p.ID) {
		return nil, fmt.Errorf("id %.40q: %w", p.ID, errBadID)
	}
	if !(p.CreatedUTC > 0) || p.CreatedUTC > 1e11 || math.IsInf(p.CreatedUTC, 0) {
		return nil, errBadTime
	}
	return &p, nil
}

// validID: Reddit ids are base 36, lower case.
func validID(id string) bool {
	if id == "" || len(id) > 13 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// newerID reports whether base-36 id a was assigned after b.
func newerID(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

func (p *link) created() time.Time {
	sec, frac := math.Modf(p.CreatedUTC)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// toMention converts a post: text is the title, a blank line and the
// self text; a link post's URL is in links; a crosspost is a repost of
// its parent. Reddit gives no language and no follower counts.
func (p *link) toMention(now time.Time) *mention.Mention {
	text := p.Title
	if body := strings.TrimSpace(p.Selftext); body != "" {
		text += "\n\n" + body
	}
	m := &mention.Mention{
		ID:          Name + ":" + p.ID,
		Source:      Name,
		URL:         "https://www.reddit.com" + p.Permalink,
		CreatedAt:   p.created(),
		CollectedAt: now.UTC(),
		Text:        text,
		Likes:       max(p.Score, 0),
		Replies:     max(p.NumComments, 0),
		Reposts:     max(p.NumCrossposts, 0),
	}
	if !strings.HasPrefix(p.Permalink, "/") {
		m.URL = "https://www.reddit.com/comments/" + p.ID + "/"
	}
	if p.Author != "" && p.Author != "[deleted]" {
		m.Author = mention.Author{ID: p.AuthorFullname, Handle: p.Author, Name: p.Author}
	}
	if parent, ok := strings.CutPrefix(p.CrosspostParent, "t3_"); ok && validID(parent) {
		m.RepostOf = Name + ":" + parent
	}
	if !p.IsSelf && isWebLink(p.URL) && !strings.Contains(p.URL, "reddit.com/r/") {
		m.Links = appendNew(m.Links, p.URL)
	}
	for _, l := range textLinks(p.Selftext) {
		m.Links = appendNew(m.Links, l)
	}
	m.Mentions = userMentions(text)
	return m
}

// textLinks finds the http(s) URLs in markdown text: bare, <angled> or
// in [text](url).
func textLinks(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "http")
		if i < 0 {
			return out
		}
		s = s[i:]
		if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
			s = s[4:]
			continue
		}
		end := urlEnd(s)
		u := strings.TrimRight(s[:end], ".,;:!?*_")
		if isWebLink(u) {
			out = appendNew(out, u)
		}
		s = s[end:]
	}
}

// urlEnd returns where the URL at the start of s ends: at white space,
// a bracket or quote, or a ')' that closes no '(' of the URL (markdown's
// [text](url)).
func urlEnd(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n', ']', '>', '<', '"', '\'':
			return i
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return len(s)
}

// userMentions finds u/name and /u/name in text.
func userMentions(s string) []string {
	var out []string
	for i := 0; i+2 < len(s); i++ {
		if s[i] != 'u' || s[i+1] != '/' {
			continue
		}
		if i > 0 && s[i-1] != '/' && !isBoundary(s[i-1]) {
			continue
		}
		j := i + 2
		for j < len(s) && (isNameByte(s[j])) && j-i-2 < 20 {
			j++
		}
		if j-i-2 >= 3 {
			out = appendNew(out, strings.ToLower(s[i+2:j]))
		}
		i = j
	}
	return out
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func isBoundary(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '(' || c == '[' || c == '>' || c == '*' || c == ','
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

func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}
