package stage

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/mention"
)

var convNow = time.Date(2015, 10, 5, 12, 40, 0, 0, time.UTC)

func testConverter() *converter {
	return &converter{
		publicURL: "https://vigie.example", consolePath: "/crises/", gapSeverity: 2,
		watchName: func(id string) string {
			if id == "airfrance" {
				return "Air France"
			}
			return id
		},
		now: func() time.Time { return convNow },
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConvertCrisis(t *testing.T) {
	c := testConverter()
	e := crisisEvent(key, "open", 4, convNow, 124) // 124 over 6 min
	e.Window = 6 * time.Minute
	e.Drill = true
	n, err := c.convert(SubjectCrisis+"airfrance", nil, mustJSON(t, e))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case n.Key != key || n.Kind != alerting.KindCrisis || n.Status != alerting.StatusOpen || n.Severity != 4:
		t.Errorf("identity: %+v", n)
	case n.WatchName != "Air France" || !n.Drill:
		t.Errorf("watch name %q, drill %v", n.WatchName, n.Drill)
	case n.Observed != 1240 || n.Expected != 700:
		t.Errorf("per hour: observed %v expected %v, want 1240 and 700", n.Observed, n.Expected)
	case joined(n.TopTerms) != "#airfrance,chemise" || joined(n.Signals) != "volume,negative_share":
		t.Errorf("terms %v signals %v", n.TopTerms, n.Signals)
	case n.SamplePosts[0].Author != "@journaliste" || n.TopSpreaders[0].Handle != "@bfmtv":
		t.Errorf("handles: %+v %+v", n.SamplePosts, n.TopSpreaders)
	case n.ConsoleURL != "https://vigie.example/crises/airfrance%2F20151005T1220Z":
		t.Errorf("console URL %s", n.ConsoleURL)
	case n.AckURL != "https://vigie.example/api/v1/alerts/airfrance%2F20151005T1220Z/ack":
		t.Errorf("ack URL %s", n.AckURL)
	case n.Extra[extraSummaryFR] != "Pic de mentions" || n.Extra[extraSummaryEN] != "Mention spike":
		t.Errorf("summaries %v", n.Extra)
	}

	res := crisisEvent(key, "resolved", 0, convNow, 10)
	res.PeakSeverity = 5
	n, err = c.convert(SubjectCrisis+"airfrance", nil, mustJSON(t, res))
	if err != nil || n.Severity != 5 || n.AckURL != "" {
		t.Errorf("resolution: %v, %+v", err, n)
	}
}

func TestConvertGapAndCharter(t *testing.T) {
	c := testConverter()
	g := ingest.Gap{Source: "mastodon", Feed: "mastodon.social", From: convNow.Add(-5 * time.Minute), To: convNow.Add(10 * time.Minute), Reason: "rate_limited", Missed: 7}
	n, err := c.convert(SubjectGap+"mastodon", nil, mustJSON(t, g))
	if err != nil {
		t.Fatal(err)
	}
	if n.Key != "gap:mastodon" || n.Kind != alerting.KindGap || n.Severity != 2 || !n.Since.Equal(g.From) ||
		n.Extra[extraGapUntil] != "2015-10-05T12:50:00Z" || n.Extra["missed"] != "7" {
		t.Errorf("gap: %+v", n)
	}

	m := mention.Mention{
		ID: "mastodon:7", CreatedAt: convNow.Add(-time.Hour), AnalyzedAt: convNow, Lang: "en", Text: "my IBAN is …",
		Author:  mention.Author{Handle: "ann", Followers: 300, EmployeeID: "E1"},
		Charter: []mention.CharterFlag{{Rule: "iban", Category: "personal_data", Severity: 3}, {Rule: "insult", Category: "harassment", Severity: 5}},
	}
	n, err = c.convert(SubjectCharter+"airfrance", nats.Header{}, mustJSON(t, m))
	if err != nil {
		t.Fatal(err)
	}
	if n.Key != "charter:mastodon:7" || n.Severity != 5 || n.Lang != "en" || joined(n.Signals) != "iban,insult" ||
		n.Extra["categories"] != "personal_data,harassment" || !n.At.Equal(convNow) || n.SamplePosts[0].Author != "@ann" {
		t.Errorf("charter: %+v", n)
	}
}

func TestConvertRejects(t *testing.T) {
	c := testConverter()
	for _, tc := range []struct {
		name, subject string
		header        nats.Header
		data          string
		want          error
	}{
		{"not json", SubjectCrisis + "w", nil, `{`, errUndecodable},
		{"wrong type", SubjectCrisis + "w", nil, `{"id": 4}`, errUndecodable},
		{"no id", SubjectCrisis + "w", nil, `{"status": "open", "severity": 3}`, errInvalid},
		{"bad status", SubjectCrisis + "w", nil, `{"id": "a", "status": "burning", "severity": 3}`, errInvalid},
		{"severity 0 on open", SubjectCrisis + "w", nil, `{"id": "a", "status": "open"}`, errInvalid},
		{"severity 9", SubjectCrisis + "w", nil, `{"id": "a", "status": "open", "severity": 9}`, errInvalid},
		{"gap without source", SubjectGap, nil, `{"reason": "x"}`, errInvalid},
		{"charter without flags", SubjectCharter + "w", nil, `{"id": "t:1", "text": "fine"}`, errInvalid},
		{"charter bad status", SubjectCharter + "w", nats.Header{HeaderStatus: {"maybe"}}, `{"id": "t:1", "charter": [{"rule": "r", "severity": 2}]}`, errInvalid},
		{"other kind", "vigie.event.report.weekly", nil, `{}`, errIgnored},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.convert(tc.subject, tc.header, []byte(tc.data))
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// Whatever comes from the bus, convert returns a valid notification or an
// error; it never panics.
func FuzzConvert(f *testing.F) {
	f.Add("crisis.airfrance", `{"id":"a/1","watch":"airfrance","status":"open","severity":4,"window":60000000000,"observed":3}`)
	f.Add("gap.twitter", `{"source":"twitter","from":"2015-10-05T12:00:00Z","to":"2015-10-05T11:00:00Z"}`)
	f.Add("charter.w", `{"id":"t:1","text":"x","charter":[{"rule":"r","severity":7}]}`)
	f.Add("crisis.x", `{"id":"a","status":"resolved","severity":-3,"observed":1e308,"window":1}`)
	c := testConverter()
	f.Fuzz(func(t *testing.T, subject, data string) {
		n, err := c.convert("vigie.event."+subject, nil, []byte(data))
		if err != nil {
			if !errors.Is(err, errUndecodable) && !errors.Is(err, errInvalid) && !errors.Is(err, errIgnored) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if verr := n.Validate(); verr != nil {
			t.Fatalf("invalid notification accepted: %v", verr)
		}
		if strings.HasPrefix(subject, "gap.") && !strings.HasPrefix(n.Key, KeyPrefixGap) {
			t.Fatalf("gap key %q", n.Key)
		}
	})
}
