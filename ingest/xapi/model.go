package xapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// The v2 objects vigie reads. Unknown fields are ignored; a tweet or user
// that does not decode is skipped on its own, not with its page.

type tweet struct {
	ID               string        `json:"id"`
	Text             string        `json:"text"`
	AuthorID         string        `json:"author_id"`
	CreatedAt        string        `json:"created_at"`
	Lang             string        `json:"lang"`
	ConversationID   string        `json:"conversation_id"`
	PublicMetrics    *tweetMetrics `json:"public_metrics"`
	Entities         *entities     `json:"entities"`
	ReferencedTweets []reference   `json:"referenced_tweets"`
	NoteTweet        *noteTweet    `json:"note_tweet"`
}

type tweetMetrics struct {
	RetweetCount    int64  `json:"retweet_count"`
	ReplyCount      int64  `json:"reply_count"`
	LikeCount       int64  `json:"like_count"`
	QuoteCount      int64  `json:"quote_count"`
	ImpressionCount *int64 `json:"impression_count"`
}

type entities struct {
	Hashtags []struct {
		Tag string `json:"tag"`
	} `json:"hashtags"`
	Mentions []struct {
		Username string `json:"username"`
	} `json:"mentions"`
	URLs []struct {
		URL         string `json:"url"`
		ExpandedURL string `json:"expanded_url"`
	} `json:"urls"`
}

type reference struct {
	Type string `json:"type"` // retweeted, quoted, replied_to
	ID   string `json:"id"`
}

// noteTweet holds the full text of a post longer than 280 characters.
type noteTweet struct {
	Text     string    `json:"text"`
	Entities *entities `json:"entities"`
}

type user struct {
	ID            string       `json:"id"`
	Name          string       `json:"name"`
	Username      string       `json:"username"`
	Verified      bool         `json:"verified"`
	PublicMetrics *userMetrics `json:"public_metrics"`
}

type userMetrics struct {
	FollowersCount int64 `json:"followers_count"`
}

// includes are the expanded objects of a response, kept raw so that one
// bad object costs only itself.
type includes struct {
	Users  []json.RawMessage `json:"users"`
	Tweets []json.RawMessage `json:"tweets"`
}

// partialError is an entry of "errors" in a 2xx answer: an object that
// could not be returned (a deleted referenced tweet, a suspended user).
type partialError struct {
	Title        string `json:"title"`
	Detail       string `json:"detail"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Type         string `json:"type"`
}

// lookup indexes the includes of one response.
type lookup struct {
	users  map[string]*user
	tweets map[string]*tweet
	bad    int // included objects that did not decode
}

func newLookup(inc includes) lookup {
	l := lookup{users: make(map[string]*user, len(inc.Users))}
	for _, raw := range inc.Users {
		u := new(user)
		if err := json.Unmarshal(raw, u); err != nil || !isID(u.ID) {
			l.bad++
			continue
		}
		l.users[u.ID] = u
	}
	if len(inc.Tweets) > 0 {
		l.tweets = make(map[string]*tweet, len(inc.Tweets))
		for _, raw := range inc.Tweets {
			t := new(tweet)
			if err := json.Unmarshal(raw, t); err != nil || !isID(t.ID) {
				l.bad++
				continue
			}
			l.tweets[t.ID] = t
		}
	}
	return l
}

// Errors of convert; wrapped with the tweet id when there is one.
var (
	errNoID      = errors.New("no valid id")
	errNoCreated = errors.New("no valid created_at")
)

// decodeTweet decodes one entry of "data".
func decodeTweet(raw json.RawMessage) (*tweet, error) {
	t := new(tweet)
	if err := json.Unmarshal(raw, t); err != nil {
		return nil, err
	}
	return t, nil
}

// convert turns a tweet and its includes into a mention (not yet
// normalized). The id space is shared with the v1.1 collector.
func convert(t *tweet, l lookup, now time.Time) (*mention.Mention, error) {
	if !isID(t.ID) {
		return nil, errNoID
	}
	created, err := time.Parse(time.RFC3339Nano, t.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("tweet %s: %w: %q", t.ID, errNoCreated, clip(t.CreatedAt, 64))
	}
	m := &mention.Mention{
		ID:          IDPrefix + t.ID,
		Source:      MentionSource,
		CreatedAt:   created.UTC(),
		CollectedAt: now.UTC(),
		Lang:        platformLang(t.Lang),
	}
	if u := l.users[t.AuthorID]; u != nil {
		m.Author = mention.Author{ID: u.ID, Handle: u.Username, Name: u.Name, Verified: u.Verified}
		if u.PublicMetrics != nil {
			m.Author.Followers = u.PublicMetrics.FollowersCount
		}
	} else if isID(t.AuthorID) {
		m.Author.ID = t.AuthorID
	}
	m.URL = statusURL(m.Author.Handle, t.ID)

	text, ents := t.Text, t.Entities
	if t.NoteTweet != nil && t.NoteTweet.Text != "" {
		text = t.NoteTweet.Text
		if t.NoteTweet.Entities != nil {
			ents = t.NoteTweet.Entities
		}
	}
	retweet := false
	for _, r := range t.ReferencedTweets {
		if !isID(r.ID) {
			continue
		}
		switch r.Type {
		case "retweeted":
			retweet = true
			m.RepostOf = IDPrefix + r.ID
			// The text of a retweet is cut at 140 characters: take the
			// original's in full when it was expanded.
			if orig := l.tweets[r.ID]; orig != nil {
				text = retweetText(text, orig)
			}
		case "quoted":
			m.QuoteOf = IDPrefix + r.ID
		case "replied_to":
			m.ReplyTo = IDPrefix + r.ID
		}
	}
	m.Text = unescape(text)
	if ents != nil {
		for _, h := range ents.Hashtags {
			if h.Tag != "" {
				m.Hashtags = append(m.Hashtags, h.Tag)
			}
		}
		for _, u := range ents.Mentions {
			if u.Username != "" {
				m.Mentions = append(m.Mentions, u.Username)
			}
		}
		for _, u := range ents.URLs {
			link := u.ExpandedURL
			if link == "" {
				link = u.URL
			}
			if link != "" {
				m.Links = append(m.Links, link)
			}
		}
	}
	// A retweet's counts are its original's: they belong to the original
	// post. The retweet's reach is its author's followers.
	if pm := t.PublicMetrics; pm != nil && !retweet {
		m.Likes, m.Reposts, m.Replies = pm.LikeCount, pm.RetweetCount, pm.ReplyCount
		if pm.ImpressionCount != nil {
			m.Views = *pm.ImpressionCount
		}
	}
	return m, nil
}

// retweetText rebuilds "RT @author: full original text" from the cut text
// of a retweet and the expanded original.
func retweetText(cut string, orig *tweet) string {
	full := orig.Text
	if orig.NoteTweet != nil && orig.NoteTweet.Text != "" {
		full = orig.NoteTweet.Text
	}
	if full == "" || !strings.HasPrefix(cut, "RT @") {
		return cut
	}
	head, _, ok := strings.Cut(cut, ": ")
	if !ok {
		return cut
	}
	return head + ": " + full
}

// statusURL is the canonical link to a post.
func statusURL(handle, id string) string {
	if handle == "" {
		return "https://x.com/i/web/status/" + id
	}
	return "https://x.com/" + handle + "/status/" + id
}

// unescape undoes the three entities X escapes in post text; it runs
// once, so a literal "&amp;lt;" typed by the author stays "&lt;".
var unescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace

// platformLang maps X's language tag to the mention's: "und" and X's
// special codes (zxx: media only, qme, qht, qam, qct, qst: links,
// hashtags, mentions, cashtags only, very short) say there is no language
// to trust, and the ISO 639 codes X still uses for Indonesian and Hebrew
// are updated.
func platformLang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	switch {
	case tag == "", tag == "und", tag == "zxx", tag == "mul":
		return ""
	case len(tag) == 3 && tag[0] == 'q' && tag[1] >= 'a' && tag[1] <= 't':
		return "" // ISO 639-2 private use, X's special codes
	case tag == "in":
		return "id"
	case tag == "iw":
		return "he"
	case len(tag) > 35:
		return ""
	}
	return tag
}

// isID reports whether s is a tweet or user id: 1 to 20 ASCII digits.
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

// newerID reports whether id a is after id b (both decimal, no sign).
// Tweet ids grow with time, so the newest post has the largest id.
func newerID(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}
