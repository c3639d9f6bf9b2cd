package mention

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func valid() *Mention {
	return &Mention{ID: "twitter:1234", Source: "twitter", CreatedAt: now.Add(-time.Hour), Text: "Vol annulé #AirFrance",
		Hashtags: []string{"#AirFrance"}, Mentions: []string{"@AirFrance"}, Author: Author{Handle: "@jdupont", Followers: 10}}
}

func TestNormalizeRejects(t *testing.T) {
	for _, tc := range []struct {
		field  string
		mutate func(m *Mention)
	}{
		{"id", func(m *Mention) { m.ID = " " }},
		{"id", func(m *Mention) { m.ID = "twitter:12 34" }},
		{"id", func(m *Mention) { m.ID = "twitter:\xff" }},
		{"source", func(m *Mention) { m.Source = "" }},
		{"source", func(m *Mention) { m.Source = "Twitter" }},
		{"source", func(m *Mention) { m.Source = "a.b" }},
		{"created_at", func(m *Mention) { m.CreatedAt = time.Time{} }},
		{"created_at", func(m *Mention) { m.CreatedAt = now.Add(25 * time.Hour) }},
		{"created_at", func(m *Mention) { m.CreatedAt = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"text", func(m *Mention) { m.Text = strings.Repeat("a", 1001) }},
		{"likes", func(m *Mention) { m.Likes = -1 }},
		{"author.followers", func(m *Mention) { m.Author.Followers = -5 }},
	} {
		m := valid()
		tc.mutate(m)
		err := Normalize(m, Limits{MaxTextBytes: 1000}, now)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: err = %v, want a FieldError on %s", tc.field, err, tc.field)
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "field "+tc.field) {
			t.Errorf("%s: error %q does not name the field or wrap ErrInvalid", tc.field, err)
		}
	}
}

func TestNormalizeRepairs(t *testing.T) {
	m := valid()
	m.Text = "bad \xff\xfe byte"
	m.Author.Name = "Jos\xe9"
	m.CreatedAt = time.Date(2026, 11, 22, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	m.Lang = " FR "
	if err := Normalize(m, Limits{}, now); err != nil {
		t.Fatal(err)
	}
	if !utf8.ValidString(m.Text) || !strings.Contains(m.Text, "\uFFFD") || !utf8.ValidString(m.Author.Name) {
		t.Errorf("invalid UTF-8 not repaired: %q %q", m.Text, m.Author.Name)
	}
	if m.CreatedAt.Location() != time.UTC || m.CreatedAt.Hour() != 9 {
		t.Errorf("created_at not converted to UTC: %v", m.CreatedAt)
	}
	if m.CollectedAt != now {
		t.Errorf("collected_at = %v, want now", m.CollectedAt)
	}
	if m.Hashtags[0] != "airfrance" || m.Mentions[0] != "airfrance" || m.Author.Handle != "jdupont" || m.Lang != "fr" {
		t.Errorf("not normalised: %q %q %q %q", m.Hashtags, m.Mentions, m.Author.Handle, m.Lang)
	}
}

func TestDefaultTextLimit(t *testing.T) {
	m := valid()
	m.Text = strings.Repeat("é", DefaultMaxTextBytes/2)
	if err := Normalize(m, Limits{}, now); err != nil {
		t.Fatalf("a text at the limit is rejected: %v", err)
	}
	m.Text += "x"
	if err := Normalize(m, Limits{}, now); err == nil {
		t.Fatal("a text over the default limit is accepted")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	m := valid()
	m.Sentiment = &Sentiment{Score: -0.5, Label: Negative, Terms: []Term{{"annulé", -0.5}}}
	m.Charter = []CharterFlag{{Rule: "r", Category: "insult", Severity: 3, Spans: []Span{{0, 3, "Vol"}}}}
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID || got.Sentiment.Terms[0].Term != "annulé" || got.Charter[0].Spans[0].Text != "Vol" || !got.CreatedAt.Equal(m.CreatedAt) {
		t.Fatalf("round trip lost data: %+v", got)
	}
	if strings.Contains(string(b), "analyzed_at") {
		t.Errorf("zero analyzed_at is encoded: %s", b)
	}
}

func TestReach(t *testing.T) {
	m := valid()
	if m.Reach() != 10 {
		t.Fatalf("reach = %d, want followers", m.Reach())
	}
	m.Views = 99
	if m.Reach() != 99 {
		t.Fatalf("reach = %d, want views", m.Reach())
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add([]byte(`{"id":"x:1","source":"x","created_at":"2026-11-22T10:00:00Z","text":"hi"}`))
	f.Add([]byte(`{"id":"","source":"x"}`))
	f.Add([]byte("{\"id\":\"x:\xff\",\"text\":\"\xfe\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Unmarshal(data)
		if err != nil {
			return
		}
		if err := Normalize(m, Limits{}, now); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a FieldError: %v", err)
			}
			return
		}
		if !utf8.ValidString(m.Text) || m.ID == "" || m.Source == "" || m.CreatedAt.IsZero() {
			t.Fatalf("accepted an unstorable mention: %+v", m)
		}
		if _, err := Marshal(m); err != nil {
			t.Fatalf("normalised mention does not encode: %v", err)
		}
	})
}
