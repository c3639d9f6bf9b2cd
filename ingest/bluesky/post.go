package bluesky

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// postCollection is the collection of Bluesky posts in at:// URIs.
const postCollection = "app.bsky.feed.post"

// postView is what the collector reads of app.bsky.feed.defs#postView.
type postView struct {
	URI         string      `json:"uri"`
	Author      profileView `json:"author"`
	Record      postRecord  `json:"record"`
	ReplyCount  int64       `json:"replyCount"`
	RepostCount int64       `json:"repostCount"`
	LikeCount   int64       `json:"likeCount"`
	QuoteCount  int64       `json:"quoteCount"`
	IndexedAt   string      `json:"indexedAt"`
}

// profileView is app.bsky.actor.defs#profileViewBasic (and the detailed
// view getProfiles returns, with followersCount).
type profileView struct {
	DID            string `json:"did"`
	Handle         string `json:"handle"`
	DisplayName    string `json:"displayName"`
	FollowersCount int64  `json:"followersCount"`
	Verification   *struct {
		VerifiedStatus string `json:"verifiedStatus"`
	} `json:"verification"`
}

// postRecord is an app.bsky.feed.post record, from a postView or from a
// Jetstream commit.
type postRecord struct {
	Type      string   `json:"$type"`
	Text      string   `json:"text"`
	CreatedAt string   `json:"createdAt"`
	Langs     []string `json:"langs"`
	Tags      []string `json:"tags"`
	Facets    []facet  `json:"facets"`
	Reply     *struct {
		Parent strongRef `json:"parent"`
	} `json:"reply"`
	Embed *embed `json:"embed"`
}

type strongRef struct {
	URI string `json:"uri"`
}

// embed covers app.bsky.embed.record (a quote), recordWithMedia (a quote
// with media) and external (a link card).
type embed struct {
	Type   string `json:"$type"`
	Record *struct {
		URI    string     `json:"uri"`
		Record *strongRef `json:"record"`
	} `json:"record"`
	External *struct {
		URI string `json:"uri"`
	} `json:"external"`
}

type facet struct {
	Index struct {
		ByteStart int `json:"byteStart"`
		ByteEnd   int `json:"byteEnd"`
	} `json:"index"`
	Features []struct {
		Type string `json:"$type"`
		DID  string `json:"did"`
		URI  string `json:"uri"`
		Tag  string `json:"tag"`
	} `json:"features"`
}

// atURI is a parsed at://<did>/<collection>/<rkey>.
type atURI struct{ did, collection, rkey string }

func parseATURI(s string) (atURI, bool) {
	rest, ok := strings.CutPrefix(s, "at://")
	if !ok {
		return atURI{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || !strings.HasPrefix(parts[0], "did:") || parts[1] == "" || parts[2] == "" {
		return atURI{}, false
	}
	for _, p := range parts {
		if strings.ContainsAny(p, " \t\r\n?#") {
			return atURI{}, false
		}
	}
	return atURI{did: parts[0], collection: parts[1], rkey: parts[2]}, true
}

// postID returns bluesky:<did>/<rkey> for the at:// URI of a post, or ""
// for anything else.
func postID(uri string) string {
	u, ok := parseATURI(uri)
	if !ok || u.collection != postCollection {
		return ""
	}
	return Name + ":" + u.did + "/" + u.rkey
}

var (
	errNotPost = errors.New("not an app.bsky.feed.post at:// URI")
	errNoTime  = errors.New("no createdAt nor indexedAt")
)

// decodePost decodes one postView.
func decodePost(raw []byte) (*postView, error) {
	p := new(postView)
	if err := json.Unmarshal(raw, p); err != nil {
		return nil, err
	}
	if postID(p.URI) == "" {
		return nil, fmt.Errorf("uri %.100q: %w", p.URI, errNotPost)
	}
	if parseTime(p.Record.CreatedAt).IsZero() && parseTime(p.IndexedAt).IsZero() {
		return nil, errNoTime
	}
	return p, nil
}

// sortAt is the time searchPosts sorts by: the earlier of createdAt and
// indexedAt (a client may set any createdAt).
func (p *postView) sortAt() time.Time {
	c, i := parseTime(p.Record.CreatedAt), parseTime(p.IndexedAt)
	switch {
	case c.IsZero():
		return i
	case i.IsZero() || c.Before(i):
		return c
	}
	return i
}

// parseTime reads an atproto datetime (RFC 3339 with a time zone); the
// zero time when it is missing or malformed.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// eventTime is the post's creation time, unless the client set it in the
// future of its indexing (then indexedAt, which the service set).
func eventTime(created, indexed time.Time) time.Time {
	switch {
	case created.IsZero():
		return indexed
	case !indexed.IsZero() && created.After(indexed.Add(5*time.Minute)):
		return indexed
	}
	return created
}

// toMention converts a post view; followers comes from the profile cache
// (0 when unknown).
func (p *postView) toMention(now time.Time, followers int64) *mention.Mention {
	u, _ := parseATURI(p.URI)
	a := p.Author
	m := recordMention(u, &p.Record, now)
	m.CreatedAt = eventTime(parseTime(p.Record.CreatedAt), parseTime(p.IndexedAt))
	m.Author = mention.Author{
		ID:        a.DID,
		Handle:    a.Handle,
		Name:      a.DisplayName,
		Followers: followers,
		Verified:  a.Verification != nil && a.Verification.VerifiedStatus == "valid",
	}
	if a.Handle == "" || a.Handle == "handle.invalid" {
		m.Author.Handle = ""
	}
	m.URL = postURL(firstNonEmpty(m.Author.Handle, u.did), u.rkey)
	m.Likes, m.Reposts, m.Replies = p.LikeCount, p.RepostCount+p.QuoteCount, p.ReplyCount
	return m
}

// recordMention converts the post record itself: what a Jetstream commit
// carries too (no handle, no counts).
func recordMention(u atURI, r *postRecord, now time.Time) *mention.Mention {
	m := &mention.Mention{
		ID:          Name + ":" + u.did + "/" + u.rkey,
		Source:      Name,
		URL:         postURL(u.did, u.rkey),
		CreatedAt:   parseTime(r.CreatedAt),
		CollectedAt: now.UTC(),
		Author:      mention.Author{ID: u.did},
		Text:        r.Text,
	}
	if len(r.Langs) > 0 {
		m.Lang, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(r.Langs[0])), "-")
	}
	if r.Reply != nil {
		m.ReplyTo = postID(r.Reply.Parent.URI)
	}
	if e := r.Embed; e != nil {
		switch {
		case e.Record != nil && e.Record.Record != nil: // recordWithMedia
			m.QuoteOf = postID(e.Record.Record.URI)
		case e.Record != nil:
			m.QuoteOf = postID(e.Record.URI)
		}
		if e.External != nil && isWebLink(e.External.URI) {
			m.Links = appendNew(m.Links, e.External.URI)
		}
	}
	for _, f := range r.Facets {
		for _, ft := range f.Features {
			switch ft.Type {
			case "app.bsky.richtext.facet#tag":
				if t := strings.TrimPrefix(strings.TrimSpace(ft.Tag), "#"); t != "" {
					m.Hashtags = appendNew(m.Hashtags, strings.ToLower(t))
				}
			case "app.bsky.richtext.facet#link":
				if isWebLink(ft.URI) {
					m.Links = appendNew(m.Links, ft.URI)
				}
			case "app.bsky.richtext.facet#mention":
				if h := facetText(r.Text, f); strings.HasPrefix(h, "@") && len(h) > 1 {
					m.Mentions = appendNew(m.Mentions, strings.ToLower(h[1:]))
				} else if ft.DID != "" {
					m.Mentions = appendNew(m.Mentions, ft.DID)
				}
			}
		}
	}
	for _, t := range r.Tags {
		if t = strings.TrimPrefix(strings.TrimSpace(t), "#"); t != "" {
			m.Hashtags = appendNew(m.Hashtags, strings.ToLower(t))
		}
	}
	return m
}

// facetText returns the text a facet covers (byte offsets into the UTF-8
// text), or "" when the offsets are out of range.
func facetText(text string, f facet) string {
	s, e := f.Index.ByteStart, f.Index.ByteEnd
	if s < 0 || e > len(text) || s >= e {
		return ""
	}
	return strings.TrimSpace(text[s:e])
}

// postURL is the post's page on bsky.app.
func postURL(actor, rkey string) string {
	return "https://bsky.app/profile/" + actor + "/post/" + rkey
}

func isWebLink(s string) bool {
	return len(s) > 8 && (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) &&
		!strings.ContainsAny(s, " \t\r\n")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
