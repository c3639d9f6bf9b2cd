package mention

import (
	"strings"
	"time"
)

// benchMention is the benchmark's realistic mention: about 700 bytes of
// JSON, French text with accents and emoji, hashtags, an author, engagement,
// a sentiment with terms, watches, and analysis times with nanoseconds.
func benchMention() *Mention {
	return &Mention{
		ID:          "twitter:1861234567890123456",
		Source:      "twitter",
		URL:         "https://x.com/jdupont/status/1861234567890123456",
		CreatedAt:   time.Date(2026, 11, 22, 9, 41, 7, 0, time.UTC),
		CollectedAt: time.Date(2026, 11, 22, 9, 41, 9, 512000000, time.UTC),
		Author:      Author{Handle: "jdupont", Name: "Jeanne D. 🇫🇷", Followers: 1843},
		Text:        "Vol annulé, encore ! @AirFrance 😡 Aucune info à l'aéroport, un bon de 15 € 🙄 #AirFrance #grève",
		Lang:        "fr",
		Hashtags:    []string{"airfrance", "grève"},
		Mentions:    []string{"airfrance"},
		Likes:       42, Reposts: 7, Views: 5120,
		Watches: []string{"air-france"},
		Sentiment: &Sentiment{Score: -0.8125, Label: Negative, Terms: []Term{
			{"annulé", -0.5}, {"😡", -0.75}, {"aucune info", -0.3},
		}},
		Detractor:  true,
		AnalyzedAt: time.Date(2026, 11, 22, 9, 41, 10, 123456789, time.UTC),
	}
}

// fixtures are realistic mentions for table tests and fuzz seeds.
func fixtures() map[string]*Mention {
	paris := time.FixedZone("CET", 3600)
	return map[string]*Mention{
		"bench": benchMention(),
		"minimal": {ID: "rss:3f2a", Source: "rss",
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		"html and escapes": {ID: "webhook:42", Source: "webhook", URL: "https://exemple.fr/a?x=1&y=<2>",
			CreatedAt: time.Date(2026, 3, 1, 8, 0, 0, 1, paris),
			Text:      "<script>alert(\"x\")</script> & \\o/ \ttab\nligne\r\u2028\u2029 \x00\x1f\x7f",
			Author:    Author{Name: "A & B <co>", Verified: true},
			Links:     []string{"https://exemple.fr/?q=a&b", "javascript:<x>"},
		},
		"invalid utf-8": {ID: "mastodon:\xff", Source: "mastodon", Text: "caf\xe9 \xe2\x82 fin \xed\xa0\x80",
			CreatedAt: time.Date(2025, 12, 31, 23, 59, 59, 999999999, time.UTC),
			Author:    Author{Handle: "\xc3", Followers: -1}},
		"long text": {ID: "reddit:t3_abc", Source: "reddit", Lang: "fr",
			CreatedAt: time.Date(2026, 6, 15, 12, 30, 0, 500, time.FixedZone("", -5*3600-30*60)),
			Text: strings.Repeat("Le service client a été très réactif, merci à l'équipe 👏🏽 ! ", 80) +
				"Fin de l'article.",
			Geo:     &Geo{Lat: 48.8566, Lon: 2.3522},
			ReplyTo: "reddit:t1_x", RepostOf: "reddit:t3_y", QuoteOf: "reddit:t3_z",
			Entities:  []string{"Air France", "Roissy-Charles-de-Gaulle"},
			Sentiment: &Sentiment{Score: 0.6, Label: Positive, Terms: []Term{{"réactif", 0.4}, {"merci", 0.2}}},
			Charter: []CharterFlag{
				{Rule: "no-insult", Category: "insult", Severity: 3, Spans: []Span{{0, 2, "Le"}, {3, 10, "service"}}},
				{Rule: "no-leak", Category: "confidential", Severity: 5},
			},
			Idea: true, RelayOfOfficial: true,
		},
		"employee": {ID: "xapi:77", Source: "xapi",
			CreatedAt:   time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
			CollectedAt: time.Date(2026, 11, 22, 10, 0, 1, 0, time.UTC),
			Author:      Author{ID: "77", Handle: "marie_l", EmployeeID: "E-1024", Region: "Occitanie"},
			Text:        "Fière de notre équipe à Toulouse ✈️💙 #fierté",
			Hashtags:    []string{"fierté"}, Watches: []string{"employer-brand"},
			Geo: &Geo{}, Sentiment: &Sentiment{Label: Neutral},
		},
	}
}
