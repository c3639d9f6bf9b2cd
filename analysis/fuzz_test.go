package analysis_test

import (
	"strings"
	"testing"

	"github.com/vigie-project/vigie/mention"
)

// The whole analysis on hostile text: a result, never a panic, a score
// in [-1, 1] and a label that agrees with it.
func FuzzAnalyze(f *testing.F) {
	a := newAnalyzer(f)
	for _, s := range []string{
		"", " ", strings.Repeat("nul ", 25_000), "\xff\xfe\xfd invalid \xc3", "😡😡😡🔥", "https://t.co/x https://ex.example/a?b=c",
		"شركة الطيران سيئة جدا", "עברית טקסט", "ze\u200bro\u200dwidth\ufeff", "ne ... pas", "#", "@", "l'", "’", "!!!",
		"Air France AIR FRANCE air france #AirFrance @airfrance", "IBAN FR76 3000 6000 0112 3456 7890 189 et 06 12 34 56 78",
	} {
		f.Add(s, "", false)
		f.Add(s, "fr", true)
	}
	f.Fuzz(func(t *testing.T, text, lang string, employee bool) {
		m := &mention.Mention{Text: text, Lang: lang}
		if employee {
			m.Author.EmployeeID = "e1"
		}
		a.Analyze(m)
		s := m.Sentiment
		if s == nil || s.Score < -1 || s.Score > 1 {
			t.Fatalf("sentiment %+v", s)
		}
		switch s.Label {
		case mention.Negative, mention.Neutral, mention.Positive:
		default:
			t.Fatalf("label %q", s.Label)
		}
		if (s.Label == mention.Negative && s.Score >= 0) || (s.Label == mention.Positive && s.Score <= 0) {
			t.Fatalf("label %s disagrees with score %v", s.Label, s.Score)
		}
		for _, f := range m.Charter {
			for _, sp := range f.Spans {
				if sp.Start < 0 || sp.End > len(text) || sp.Start > sp.End {
					t.Fatalf("span %+v outside the text (len %d)", sp, len(text))
				}
			}
		}
	})
}
