package twitter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gotwitter "github.com/dghubble/go-twitter/twitter"

	"github.com/vigie-project/vigie/mention"
)

// Errors of convert.
var (
	errNoID      = errors.New("no valid id")
	errNoCreated = errors.New("no valid created_at")
	errNoUser    = errors.New("no user")
)

// tweetID returns the id of t as a decimal string: id_str, else id.
func tweetID(idStr string, id int64) string {
	if isID(idStr) {
		return idStr
	}
	if id > 0 {
		return strconv.FormatInt(id, 10)
	}
	return ""
}

// convert turns a v1.1 tweet (search, with tweet_mode=extended, or
// stream) into a mention (not yet normalized). The id space is shared
// with the v2 collector: the same post gives the same record.
func convert(t *gotwitter.Tweet, now time.Time) (*mention.Mention, error) {
	id := tweetID(t.IDStr, t.ID)
	if id == "" {
		return nil, errNoID
	}
	created, err := time.Parse(time.RubyDate, t.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("tweet %s: %w: %q", id, errNoCreated, clip(t.CreatedAt, 64))
	}
	if t.User == nil {
		return nil, fmt.Errorf("tweet %s: %w", id, errNoUser)
	}
	u := t.User
	m := &mention.Mention{
		ID:          IDPrefix + id,
		Source:      MentionSource,
		URL:         statusURL(u.ScreenName, id),
		CreatedAt:   created.UTC(),
		CollectedAt: now.UTC(),
		Author: mention.Author{
			ID: tweetID(u.IDStr, u.ID), Handle: u.ScreenName, Name: u.Name,
			Followers: int64(max(u.FollowersCount, 0)), Verified: u.Verified,
		},
		Lang: platformLang(t.Lang),
	}
	if r := tweetID(t.InReplyToStatusIDStr, t.InReplyToStatusID); r != "" {
		m.ReplyTo = IDPrefix + r
	}
	if q := tweetID(t.QuotedStatusIDStr, t.QuotedStatusID); q != "" {
		m.QuoteOf = IDPrefix + q
	} else if t.QuotedStatus != nil {
		if q := tweetID(t.QuotedStatus.IDStr, t.QuotedStatus.ID); q != "" {
			m.QuoteOf = IDPrefix + q
		}
	}
	text, ents := fullText(t)
	if rt := t.RetweetedStatus; rt != nil {
		// A retweet's own text is cut: "RT @user: " and the original in full.
		if r := tweetID(rt.IDStr, rt.ID); r != "" {
			m.RepostOf = IDPrefix + r
		}
		otext, oents := fullText(rt)
		if rt.User != nil && rt.User.ScreenName != "" && otext != "" {
			text = "RT @" + rt.User.ScreenName + ": " + otext
			m.Mentions = append(m.Mentions, rt.User.ScreenName)
			ents = oents
		}
	} else {
		// A retweet's counts are its original's: they belong to the
		// original post. The retweet's reach is its author's followers.
		m.Likes = int64(max(t.FavoriteCount, 0))
		m.Reposts = int64(max(t.RetweetCount, 0))
		m.Replies = int64(max(t.ReplyCount, 0))
	}
	m.Text = unescape(text)
	if ents != nil {
		for _, h := range ents.Hashtags {
			if h.Text != "" {
				m.Hashtags = append(m.Hashtags, h.Text)
			}
		}
		for _, um := range ents.UserMentions {
			if um.ScreenName != "" && !containsFold(m.Mentions, um.ScreenName) {
				m.Mentions = append(m.Mentions, um.ScreenName)
			}
		}
		for _, l := range ents.Urls {
			link := l.ExpandedURL
			if link == "" {
				link = l.URL
			}
			if link != "" {
				m.Links = append(m.Links, link)
			}
		}
	}
	if c := t.Coordinates; c != nil && strings.EqualFold(c.Type, "Point") {
		lon, lat := c.Coordinates[0], c.Coordinates[1]
		if lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && (lat != 0 || lon != 0) {
			m.Geo = &mention.Geo{Lat: lat, Lon: lon}
		}
	}
	return m, nil
}

// fullText returns the untruncated text of t and the entities that go
// with it: extended_tweet (stream), full_text (tweet_mode=extended), text.
func fullText(t *gotwitter.Tweet) (string, *gotwitter.Entities) {
	if e := t.ExtendedTweet; e != nil && e.FullText != "" {
		if e.Entities != nil {
			return e.FullText, e.Entities
		}
		return e.FullText, t.Entities
	}
	if t.FullText != "" {
		return t.FullText, t.Entities
	}
	return t.Text, t.Entities
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// statusURL is the canonical link to a post (the same as the v2 collector's).
func statusURL(handle, id string) string {
	if handle == "" {
		return "https://x.com/i/web/status/" + id
	}
	return "https://x.com/" + handle + "/status/" + id
}

// unescape undoes the three entities Twitter escapes in tweet text; it
// runs once, so a literal "&amp;lt;" typed by the author stays "&lt;".
var unescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace

// platformLang maps Twitter's language tag to the mention's: "und" and
// the special codes (zxx: media only; qme, qht, qam, qct, qst: links,
// hashtags, mentions, cashtags only, very short) mean no language to
// trust; the old codes Twitter uses for Indonesian and Hebrew are updated.
func platformLang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	switch {
	case tag == "", tag == "und", tag == "zxx", tag == "mul":
		return ""
	case len(tag) == 3 && tag[0] == 'q' && tag[1] >= 'a' && tag[1] <= 't':
		return ""
	case tag == "in":
		return "id"
	case tag == "iw":
		return "he"
	case len(tag) > 35:
		return ""
	}
	return tag
}

// isID reports whether s is 1 to 20 ASCII digits.
func isID(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip shortens s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
