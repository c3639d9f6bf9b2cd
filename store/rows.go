package store

import (
	"time"

	"github.com/vigie-project/vigie/mention"
)

// MentionsInsert lists the columns Row fills, in its order.
const MentionsInsert = `INSERT INTO mentions (id, watch, source, url, created_at, collected_at, analyzed_at, stored_at,
author_id, author_handle, author_name, author_followers, author_verified, employee_id, author_region,
text, lang, hashtags, user_mentions, links, reply_to, repost_of, quote_of,
likes, reposts, replies, views, reach, sentiment_score, sentiment_label, sentiment_terms,
charter_rules, charter_categories, charter_max_severity, entities, idea, relay_of_official, detractor, watches, version)`

// Row is the mentions row of m for one watch.
func Row(m *mention.Mention, watch string, storedAt time.Time) []any {
	var (
		score float32
		label string
		terms []string
	)
	if s := m.Sentiment; s != nil {
		score, label = float32(s.Score), s.Label
		terms = make([]string, len(s.Terms))
		for i, t := range s.Terms {
			terms[i] = t.Term
		}
	}
	rules := make([]string, len(m.Charter))
	cats := make([]string, len(m.Charter))
	var maxSev uint8
	for i, f := range m.Charter {
		rules[i], cats[i] = f.Rule, f.Category
		maxSev = max(maxSev, uint8(min(max(f.Severity, 0), 255)))
	}
	version := m.AnalyzedAt
	if version.IsZero() {
		version = m.CollectedAt
	}
	return []any{
		m.ID, watch, m.Source, m.URL, m.CreatedAt.UTC(), m.CollectedAt.UTC(), m.AnalyzedAt.UTC(), storedAt,
		m.Author.ID, m.Author.Handle, m.Author.Name, uint64(max(m.Author.Followers, 0)), b2u(m.Author.Verified), m.Author.EmployeeID, m.Author.Region,
		m.Text, m.Lang, nonNil(m.Hashtags), nonNil(m.Mentions), nonNil(m.Links), m.ReplyTo, m.RepostOf, m.QuoteOf,
		uint64(max(m.Likes, 0)), uint64(max(m.Reposts, 0)), uint64(max(m.Replies, 0)), uint64(max(m.Views, 0)), uint64(max(m.Reach(), 0)),
		score, label, nonNil(terms),
		rules, cats, maxSev, nonNil(m.Entities), b2u(m.Idea), b2u(m.RelayOfOfficial), b2u(m.Detractor), nonNil(m.Watches),
		uint64(max(version.UnixNano(), 0)),
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
