// Package mention holds the Mention record: the one type every vigie stage
// shares, with its validation and its JSON wire encoding.
package mention

import "time"

// Sentiment labels.
const (
	Negative = "negative"
	Neutral  = "neutral"
	Positive = "positive"
)

// Mention is one public post or employee post, as collected and then
// enriched by analysis. It travels as JSON on the bus.
type Mention struct {
	// Identity.
	ID          string    `json:"id"`            // source-scoped and stable: "twitter:1234", "rss:<sha256 of url>"
	Source      string    `json:"source"`        // collector name: twitter, mastodon, rss, webhook, simulate…
	URL         string    `json:"url,omitempty"` // canonical link to the post
	CreatedAt   time.Time `json:"created_at"`    // event time, UTC
	CollectedAt time.Time `json:"collected_at"`  // when vigie received it, UTC

	Author Author `json:"author"`

	// Content.
	Text     string   `json:"text"`
	Lang     string   `json:"lang,omitempty"` // ISO 639-1 as given by the platform, else detected
	Hashtags []string `json:"hashtags,omitempty"`
	Mentions []string `json:"mentions,omitempty"` // @handles named in the post
	Links    []string `json:"links,omitempty"`
	ReplyTo  string   `json:"reply_to,omitempty"`  // id of the post answered
	RepostOf string   `json:"repost_of,omitempty"` // id of the post relayed
	QuoteOf  string   `json:"quote_of,omitempty"`  // id of the post quoted
	Geo      *Geo     `json:"geo,omitempty"`

	// Engagement at collection time.
	Likes   int64 `json:"likes,omitempty"`
	Reposts int64 `json:"reposts,omitempty"`
	Replies int64 `json:"replies,omitempty"`
	Views   int64 `json:"views,omitempty"` // impressions when the platform gives them

	// Added by analysis.
	Watches         []string      `json:"watches,omitempty"` // matched watch ids
	Sentiment       *Sentiment    `json:"sentiment,omitempty"`
	Charter         []CharterFlag `json:"charter,omitempty"`
	Entities        []string      `json:"entities,omitempty"`
	Idea            bool          `json:"idea,omitempty"`
	RelayOfOfficial bool          `json:"relay_of_official,omitempty"`
	Detractor       bool          `json:"detractor,omitempty"`
	AnalyzedAt      time.Time     `json:"analyzed_at,omitzero"`
}

// Author is who wrote a mention.
type Author struct {
	ID         string `json:"id,omitempty"`
	Handle     string `json:"handle,omitempty"`
	Name       string `json:"name,omitempty"`
	Followers  int64  `json:"followers,omitempty"`
	Verified   bool   `json:"verified,omitempty"`
	EmployeeID string `json:"employee_id,omitempty"` // set when the employee roster matches
	Region     string `json:"region,omitempty"`
}

// Geo is a point, when the platform gives one.
type Geo struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Sentiment is the analysis verdict on a mention's tone.
type Sentiment struct {
	Score float64 `json:"score"` // in [-1, 1]
	Label string  `json:"label"` // Negative, Neutral or Positive
	Terms []Term  `json:"terms,omitempty"`
}

// Term is one word or sign that moved the sentiment score, with its contribution.
type Term struct {
	Term   string  `json:"term"`
	Weight float64 `json:"weight"`
}

// CharterFlag says that a post may break a rule of the social media charter.
type CharterFlag struct {
	Rule     string `json:"rule"`
	Category string `json:"category"`
	Severity int    `json:"severity"` // 1 (low) to 5 (critical)
	Spans    []Span `json:"spans,omitempty"`
}

// Span is a matched part of a text, as byte offsets into Mention.Text.
type Span struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// IsEmployee reports whether the roster matched the author.
func (m *Mention) IsEmployee() bool { return m.Author.EmployeeID != "" }

// Reach is the potential audience of the post: its impressions when the
// platform gives them, else the author's followers.
func (m *Mention) Reach() int64 {
	if m.Views > 0 {
		return m.Views
	}
	return m.Author.Followers
}

// Marshal encodes m for the bus, as json.Marshal would (see AppendJSON).
func Marshal(m *Mention) ([]byte, error) {
	b, err := AppendJSON(make([]byte, 0, encodedSizeHint(m)), m)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Unmarshal decodes a mention from the bus, as json.Unmarshal would (see
// codec.go). It does not validate. The mention's strings share one copy of
// data, so keeping any of them keeps the whole copy in memory.
func Unmarshal(data []byte) (*Mention, error) { return decode(data) }
