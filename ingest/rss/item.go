package rss

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/vigie-project/vigie/mention"
)

// IDPrefix starts every id of this collector: "rss:<sha256 hex>".
const IDPrefix = Name + ":"

// trackingParams are query parameters that only say where a click came
// from; they are dropped from canonical URLs so that one article has one
// id whatever feed or campaign links to it.
func trackingParam(k string) bool {
	k = strings.ToLower(k)
	if strings.HasPrefix(k, "utm_") || strings.HasPrefix(k, "at_") {
		return true
	}
	switch k {
	case "xtor", "fbclid", "gclid", "mc_cid", "mc_eid", "ns_source", "ns_mchannel", "ns_campaign", "cmp", "origin", "ref", "dclid", "yclid", "_hsenc", "_hsmi":
		return true
	}
	return false
}

// canonicalURL resolves raw against base and normalises it: http(s)
// only, lower-case scheme and host, no default port, no fragment, no
// tracking parameters. It returns "" when raw is not such a URL.
func canonicalURL(raw string, base *url.URL) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	host := strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(host, ":80")) || (u.Scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	u.Host = strings.TrimSuffix(host, ".")
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	if u.RawQuery != "" {
		q := u.Query()
		dropped := false
		for k := range q {
			if trackingParam(k) {
				q.Del(k)
				dropped = true
			}
		}
		if dropped {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// identity returns an item's canonical URL (possibly "") and the hex
// SHA-256 that makes its id: of the canonical URL, else of the GUID, else
// of the feed URL, title and date (an item with neither link nor GUID).
func identity(feedURL string, base *url.URL, it *gofeed.Item) (link, hash string) {
	link = canonicalURL(it.Link, base)
	if link == "" {
		for _, l := range it.Links {
			if link = canonicalURL(l, base); link != "" {
				break
			}
		}
	}
	key := link
	if key == "" {
		key = strings.TrimSpace(it.GUID)
		if isHTTP(key) {
			// A permalink GUID is the item's URL.
			link = canonicalURL(key, nil)
			if link != "" {
				key = link
			}
		}
	}
	if key == "" {
		key = feedURL + "\n" + strings.TrimSpace(it.Title) + "\n" + it.Published + it.Updated
	}
	sum := sha256.Sum256([]byte(key))
	return link, hex.EncodeToString(sum[:])
}

// converter turns the items of one feed document into mentions.
type converter struct {
	feed    Feed
	maxText int
	now     time.Time
	doc     *gofeed.Feed
	base    *url.URL // the site, to resolve relative links
	site    string   // host of the site, without "www."
	name    string   // the site's name
	lang    string
}

func newConverter(feed Feed, maxText int, now time.Time, doc *gofeed.Feed) *converter {
	c := &converter{feed: feed, maxText: maxText, now: now, doc: doc}
	feedURL, _ := url.Parse(feed.URL)
	c.base = feedURL
	if doc.Link != "" {
		if u, err := url.Parse(strings.TrimSpace(doc.Link)); err == nil && u.Host != "" &&
			(u.Scheme == "http" || u.Scheme == "https") {
			c.base = u
		}
	}
	if c.base != nil {
		c.site = strings.TrimPrefix(strings.ToLower(c.base.Hostname()), "www.")
	}
	c.name = oneLine(doc.Title)
	if c.name == "" {
		c.name = feed.Name
	}
	if l, ok := primaryLang(feed.Lang); ok {
		c.lang = l
	} else if l, ok := primaryLang(doc.Language); ok {
		c.lang = l
	}
	return c
}

// mention builds the mention of an item; link and hash come from
// identity. It does not validate.
func (c *converter) mention(it *gofeed.Item, link, hash string) *mention.Mention {
	title := oneLine(it.Title)
	if looksLikeHTML(title) || strings.ContainsAny(title, "<&") {
		title, _ = htmlText(title)
		title = oneLine(title)
	}
	src := it.Content
	if strings.TrimSpace(src) == "" {
		src = it.Description
	}
	body, links := htmlText(src)
	if looksLikeHTML(body) {
		var more []string
		body, more = htmlText(body)
		links = append(links, more...)
	}
	text := body
	switch {
	case title == "":
	case body == "" || strings.HasPrefix(body, title):
		text = title + strings.TrimPrefix(body, title)
	default:
		text = title + "\n\n" + body
	}
	created, _ := c.itemTime(it)
	m := &mention.Mention{
		ID:          IDPrefix + hash,
		Source:      Name,
		URL:         link,
		CreatedAt:   created,
		CollectedAt: c.now,
		Author:      mention.Author{ID: c.site, Handle: c.site, Name: c.name},
		Text:        cut(text, c.maxText),
		Lang:        c.lang,
	}
	for _, l := range links {
		if l = canonicalURL(l, nil); l != "" && l != link && !contains(m.Links, l) {
			m.Links = append(m.Links, l)
		}
	}
	return m
}

// itemTime is when an item was published (else updated); an item without
// a usable date is dated when first seen, and dated is false.
func (c *converter) itemTime(it *gofeed.Item) (t time.Time, dated bool) {
	for _, p := range []*time.Time{it.PublishedParsed, it.UpdatedParsed} {
		if p == nil || p.IsZero() || p.Year() < 2000 || p.After(c.now.Add(mention.MaxFutureSkew)) {
			continue
		}
		return p.UTC(), true
	}
	return c.now, false
}

// oneLine collapses white space, line breaks included.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// cut shortens s to at most n bytes, at a rune boundary, with an ellipsis.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	i := n - len(ellipsis)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + ellipsis
}
