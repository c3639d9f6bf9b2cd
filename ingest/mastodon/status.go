package mastodon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// status is what the collector reads of a Mastodon Status entity
// (https://docs.joinmastodon.org/entities/Status/).
type status struct {
	ID              flexID    `json:"id"`
	CreatedAt       time.Time `json:"created_at"`
	InReplyToID     flexID    `json:"in_reply_to_id"`
	Language        string    `json:"language"`
	URI             string    `json:"uri"`
	URL             string    `json:"url"`
	Visibility      string    `json:"visibility"`
	SpoilerText     string    `json:"spoiler_text"`
	Content         string    `json:"content"`
	RepliesCount    int64     `json:"replies_count"`
	ReblogsCount    int64     `json:"reblogs_count"`
	FavouritesCount int64     `json:"favourites_count"`
	Account         account   `json:"account"`
	Reblog          *status   `json:"reblog"`
	Quote           *quote    `json:"quote"`
	Mentions        []struct {
		Acct string `json:"acct"`
	} `json:"mentions"`
	Tags []struct {
		Name string `json:"name"`
	} `json:"tags"`
	Card *struct {
		URL string `json:"url"`
	} `json:"card"`
}

type account struct {
	ID             flexID `json:"id"`
	Username       string `json:"username"`
	Acct           string `json:"acct"`
	DisplayName    string `json:"display_name"`
	FollowersCount int64  `json:"followers_count"`
}

// quote is a Quote or a ShallowQuote (Mastodon 4.4+).
type quote struct {
	State          string  `json:"state"`
	QuotedStatus   *status `json:"quoted_status"`
	QuotedStatusID flexID  `json:"quoted_status_id"`
}

// flexID is an id the API documents as a string; a number is accepted too
// (some fediverse servers send one), null is empty.
type flexID string

func (id *flexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = flexID(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id: want a string or a number, got %.40s", b)
		}
		*id = flexID(n.String())
	}
	return nil
}

// errNoID and errNoTime reject a status before conversion.
var (
	errNoID   = errors.New("status has no id")
	errNoTime = errors.New("status has no created_at")
)

// decodeStatus decodes one status object.
func decodeStatus(raw []byte) (*status, error) {
	st := new(status)
	if err := unmarshalJSON(raw, st); err != nil {
		return nil, err
	}
	if st.ID == "" {
		return nil, errNoID
	}
	if st.CreatedAt.IsZero() {
		return nil, errNoTime
	}
	return st, nil
}

// decodePage splits a JSON array of statuses into its elements, so that
// one malformed status does not lose the others.
func decodePage(body []byte) ([]json.RawMessage, error) {
	var page []json.RawMessage
	if err := unmarshalJSON(body, &page); err != nil {
		return nil, fmt.Errorf("page: want a JSON array of statuses: %w", err)
	}
	return page, nil
}

func unmarshalJSON(b []byte, v any) error { return json.Unmarshal(b, v) }

// converter turns statuses read from one instance into mentions.
type converter struct {
	host string // the instance's host: ids are scoped by it
	now  time.Time
}

func (c converter) id(statusID flexID) string {
	if statusID == "" {
		return ""
	}
	return Name + ":" + c.host + ":" + string(statusID)
}

// public reports whether a status may be collected: only public and
// unlisted statuses are; a token that can read private statuses must not
// leak them into a listening tool.
func public(st *status) bool {
	return st.Visibility == "" || st.Visibility == "public" || st.Visibility == "unlisted"
}

// mentions converts a status: a reblog gives the reblogged status and the
// relay (RepostOf the former, with its text so that watches match it).
func (c converter) mentions(st *status) []*mention.Mention {
	if st.Reblog == nil {
		return []*mention.Mention{c.mention(st)}
	}
	orig := c.mention(st.Reblog)
	relay := &mention.Mention{
		ID:          c.id(st.ID),
		Source:      Name,
		URL:         firstNonEmpty(st.URL, st.URI),
		CreatedAt:   st.CreatedAt.UTC(),
		CollectedAt: c.now.UTC(),
		Author:      c.author(st.Account),
		Text:        orig.Text,
		Lang:        orig.Lang,
		Hashtags:    append([]string(nil), orig.Hashtags...),
		Mentions:    append([]string(nil), orig.Mentions...),
		Links:       append([]string(nil), orig.Links...),
		RepostOf:    orig.ID,
	}
	return []*mention.Mention{orig, relay}
}

func (c converter) mention(st *status) *mention.Mention {
	text, links := htmlText(st.Content)
	if spoiler := strings.TrimSpace(st.SpoilerText); spoiler != "" {
		text = spoiler + "\n\n" + text
	}
	if st.Card != nil && isWebLink(st.Card.URL) {
		links = appendNew(links, st.Card.URL)
	}
	m := &mention.Mention{
		ID:          c.id(st.ID),
		Source:      Name,
		URL:         firstNonEmpty(st.URL, st.URI),
		CreatedAt:   st.CreatedAt.UTC(),
		CollectedAt: c.now.UTC(),
		Author:      c.author(st.Account),
		Text:        text,
		Lang:        st.Language,
		Links:       links,
		ReplyTo:     c.id(st.InReplyToID),
		Likes:       st.FavouritesCount,
		Reposts:     st.ReblogsCount,
		Replies:     st.RepliesCount,
	}
	for _, t := range st.Tags {
		if t.Name != "" {
			m.Hashtags = appendNew(m.Hashtags, strings.ToLower(t.Name))
		}
	}
	for _, mm := range st.Mentions {
		if mm.Acct != "" {
			m.Mentions = appendNew(m.Mentions, c.qualify(mm.Acct))
		}
	}
	if q := st.Quote; q != nil {
		switch {
		case q.QuotedStatus != nil && q.QuotedStatus.ID != "":
			m.QuoteOf = c.id(q.QuotedStatus.ID)
		case q.QuotedStatusID != "":
			m.QuoteOf = c.id(q.QuotedStatusID)
		}
	}
	return m
}

// author: the handle is the account's full address (user@domain), the
// same whichever instance it was read from; Mastodon has no verified
// accounts (a profile link's verified_at only proves a website link).
func (c converter) author(a account) mention.Author {
	au := mention.Author{
		Handle:    c.qualify(firstNonEmpty(a.Acct, a.Username)),
		Name:      a.DisplayName,
		Followers: a.FollowersCount,
	}
	if a.ID != "" {
		au.ID = c.host + ":" + string(a.ID)
	}
	return au
}

// qualify appends the instance host to a local account's acct.
func (c converter) qualify(acct string) string {
	acct = strings.TrimPrefix(acct, "@")
	if acct == "" || strings.Contains(acct, "@") {
		return acct
	}
	return acct + "@" + c.host
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// newerID reports whether status id a sorts after b. Mastodon ids are
// strings "cast from an integer but not guaranteed to be a number":
// numeric ids compare as numbers, others as strings.
func newerID(a, b string) bool {
	if numeric(a) && numeric(b) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) > len(b)
		}
	}
	return a > b
}

func numeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
