package alerting

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleNotification() *Notification {
	at := time.Date(2015, 10, 5, 12, 40, 0, 0, time.UTC) // 14:40 in Paris
	return &Notification{
		Key: "crisis/airfrance/42", Kind: KindCrisis, Status: StatusOpen, Watch: "airfrance", WatchName: "Air France",
		Severity: 4, Since: at.Add(-35 * time.Minute), At: at, Observed: 1240, Expected: 68.9,
		Signals: []string{"volume"}, TopTerms: []string{"#chemise", "DRH"},
		SamplePosts:   []Post{{Author: "@journaliste", Followers: 125000, Text: "La chemise arrachée <!channel> & *tous*", URL: "https://x.example/s/1"}},
		TopSpreaders:  []Spreader{{Handle: "@bfmtv", Followers: 2100000, Posts: 12}},
		EmployeeShare: 0.12, ConsoleURL: "https://vigie.example/crises/42", AckURL: "https://vigie.example/ack/42",
	}
}

func TestRenderSaysWhatHowBigSinceWhen(t *testing.T) {
	tp, err := DefaultTemplates()
	if err != nil {
		t.Fatal(err)
	}
	n := sampleNotification()
	want := map[string][]string{
		LangFrench:  {"Crise détectée : Air France (sévérité 4/5)", "1\u00a0240 mentions/h, 18× la normale, depuis 14:05 (35\u00a0min)", "@journaliste (125\u00a0000 abonnés)", "@bfmtv : 2\u00a0100\u00a0000 abonnés, 12 publications", "12\u00a0%", "Ouvrir la console", "Prendre en charge"},
		LangEnglish: {"Crisis detected: Air France (severity 4/5)", "1,240 mentions/h, 18x normal, since 14:05 (35\u00a0min)", "@journaliste (125,000 followers)", "@bfmtv: 2,100,000 followers, 12 posts", "12%", "Open the console", "Acknowledge"},
	}
	for lang, parts := range want {
		n.Lang = lang
		m, err := tp.Render(n, MarkupText)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			if !strings.Contains(m.Body, p) {
				t.Errorf("%s body lacks %q:\n%s", lang, p, m.Body)
			}
		}
		for _, link := range []string{n.ConsoleURL, n.AckURL, "https://x.example/s/1"} {
			if !strings.Contains(m.Body, link) {
				t.Errorf("%s body lacks the link %s", lang, link)
			}
		}
	}
}

func TestRenderEveryKindStatusLanguageAndMarkup(t *testing.T) {
	tp, err := DefaultTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{KindCrisis, KindCharter, KindGap, KindHealth, KindTest, KindDigest} {
		for _, status := range []string{StatusOpen, StatusUpdate, StatusResolved, StatusAcknowledged} {
			for _, lang := range []string{LangFrench, LangEnglish} {
				for _, drill := range []bool{false, true} {
					n := sampleNotification()
					n.Kind, n.Status, n.Lang, n.Drill, n.AckedBy = kind, status, lang, drill, "marie"
					if kind == KindDigest {
						n.Digest = []DigestEntry{{Key: "k", Kind: KindCharter, Status: StatusOpen, WatchName: "Marque", Severity: 3, At: n.At, Drill: drill}}
					}
					marker := "EXERCICE"
					if lang == LangEnglish {
						marker = "DRILL"
					}
					for _, markup := range []string{MarkupText, MarkupSlack, MarkupMarkdown, MarkupTelegram} {
						m, err := tp.Render(n, markup)
						if err != nil {
							t.Fatalf("%s/%s/%s/%s: %v", kind, status, lang, markup, err)
						}
						if m.Subject == "" || m.Title == "" || m.Body == "" || m.Summary == "" {
							t.Errorf("%s/%s/%s/%s: empty part in %+v", kind, status, lang, markup, m)
						}
						for part, s := range map[string]string{"subject": m.Subject, "title": m.Title, "body": m.Body} {
							if strings.Contains(s, marker) != drill {
								t.Errorf("%s/%s/%s/%s drill=%v: %s %q", kind, status, lang, markup, drill, part, s)
							}
						}
						if strings.Contains(m.Body, "<no value>") {
							t.Errorf("%s/%s/%s/%s: <no value> in body", kind, status, lang, markup)
						}
					}
					h, err := tp.RenderHTML(n)
					if err != nil {
						t.Fatalf("%s/%s/%s html: %v", kind, status, lang, err)
					}
					if strings.Contains(h, marker) != drill || !strings.Contains(h, `lang="`+lang+`"`) {
						t.Errorf("%s/%s/%s html drill=%v: marker or lang wrong", kind, status, lang, drill)
					}
				}
			}
		}
	}
}

func TestRenderEscapesOutsideText(t *testing.T) {
	tp, err := DefaultTemplates()
	if err != nil {
		t.Fatal(err)
	}
	n := sampleNotification()
	n.SamplePosts[0].Text = `Regardez <!channel> @channel <https://evil.example|Acquitter> & <script>alert(1)</script> **gras** [lien](https://evil.example)`
	cases := map[string][]string{
		MarkupSlack:    {"&lt;!channel&gt;", "&lt;https://evil.example|Acquitter&gt;", "&amp;"},
		MarkupTelegram: {"&lt;script&gt;", "&amp;"},
		MarkupMarkdown: {`\*\*gras\*\*`, "@\u200bchannel"},
	}
	for markup, wants := range cases {
		m, err := tp.Render(n, markup)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			if !strings.Contains(m.Body, w) {
				t.Errorf("%s body lacks %q:\n%s", markup, w, m.Body)
			}
		}
		if markup != MarkupMarkdown && (strings.Contains(m.Body, "<!channel>") || strings.Contains(m.Body, "<script>")) {
			t.Errorf("%s body lets markup through:\n%s", markup, m.Body)
		}
		if markup == MarkupMarkdown && (strings.Contains(m.Body, " @channel") || strings.Contains(m.Body, "[lien](")) {
			t.Errorf("%s body lets markup through:\n%s", markup, m.Body)
		}
	}
	h, err := tp.RenderHTML(n)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "<script>") {
		t.Error("html lets a script through")
	}
	n.SamplePosts[0].URL = "javascript:alert(1)"
	m, err := tp.Render(n, MarkupSlack)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Body, "javascript:") {
		t.Errorf("a javascript: URL became a link:\n%s", m.Body)
	}
}

func TestTemplateOverrides(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fr.tmpl"), []byte(`{{define "label_console"}}Voir la crise{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "en.tmpl"), []byte(`{{define "body_slack"}}custom {{.B .Headline}}{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tp, err := NewTemplates(TemplateConfig{Dir: dir, Location: "UTC", DefaultLang: LangEnglish})
	if err != nil {
		t.Fatal(err)
	}
	n := sampleNotification()
	n.Lang = LangFrench
	m, err := tp.Render(n, MarkupText)
	if err != nil {
		t.Fatal(err)
	}
	if m.Labels["console"] != "Voir la crise" || !strings.Contains(m.Body, "Voir la crise") || !strings.Contains(m.Body, "12:05") {
		t.Errorf("French override or UTC location not applied: %q\n%s", m.Labels["console"], m.Body)
	}
	n.Lang = ""
	m, err = tp.Render(n, MarkupSlack)
	if err != nil {
		t.Fatal(err)
	}
	if m.Lang != LangEnglish || m.Body != "custom *Crisis detected: Air France (severity 4/5)*" {
		t.Errorf("English per-markup override: lang %s body %q", m.Lang, m.Body)
	}

	if err := os.WriteFile(filepath.Join(dir, "fr.tmpl"), []byte(`{{define "body"}}{{.Nope}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewTemplates(TemplateConfig{Dir: dir}); !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), "fr.tmpl") {
		t.Errorf("broken override: %v, want ErrTemplate naming fr.tmpl", err)
	}
	if _, err := NewTemplates(TemplateConfig{Location: "Nowhere/City"}); !errors.Is(err, ErrTemplate) {
		t.Errorf("bad location: %v", err)
	}
}

func TestFormats(t *testing.T) {
	cases := []struct{ got, want string }{
		{FormatCount("fr", 1240), "1\u00a0240"},
		{FormatCount("en", 1240), "1,240"},
		{FormatCount("en", 1500000), "1,500,000"},
		{FormatCount("fr", 999), "999"},
		{FormatCount("en", -32545), "-32,545"},
		{FormatRatio("fr", 18.1), "18"},
		{FormatRatio("fr", 2.46), "2,5"},
		{FormatRatio("en", 2.46), "2.5"},
		{FormatRatio("en", 1240), "1,240"},
		{FormatPercent("fr", 0.69), "69\u00a0%"},
		{FormatPercent("en", 0.69), "69%"},
		{FormatDuration("fr", 35*time.Minute), "35\u00a0min"},
		{FormatDuration("en", 80*time.Minute), "1\u00a0h\u00a020"},
		{FormatDuration("fr", 2*time.Hour), "2\u00a0h"},
		{FormatDuration("fr", 51*time.Hour), "2\u00a0j\u00a03\u00a0h"},
		{FormatDuration("en", 48*time.Hour), "2\u00a0d"},
		{FormatDuration("en", 10*time.Second), "less than a minute"},
		{Truncate("abcdef", 4), "abc…"},
		{Truncate("été", 3), "été"},
		{Truncate("éééé", 2), "é…"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: %q, want %q", i, c.got, c.want)
		}
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	ref := time.Date(2015, 10, 5, 12, 0, 0, 0, time.UTC)
	if got := FormatClock("fr", ref.Add(-24*time.Hour), ref, paris); got != "4\u00a0oct. 14:00" {
		t.Errorf("FormatClock yesterday = %q", got)
	}
	if got := FormatClock("en", ref, ref, paris); got != "14:00" {
		t.Errorf("FormatClock today = %q", got)
	}
	if got := FormatDateTime("fr", ref, paris); got != "5\u00a0oct.\u00a02015 14:00 CEST" {
		t.Errorf("FormatDateTime = %q", got)
	}
}
