package mention

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// checkEncoding fails unless AppendJSON(m) is byte for byte json.Marshal(m),
// or both fail.
func checkEncoding(t *testing.T, m *Mention) {
	t.Helper()
	want, wantErr := json.Marshal(m)
	got, err := AppendJSON(nil, m)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("AppendJSON error = %v, json.Marshal error = %v", err, wantErr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON differs from json.Marshal:\n got %s\nwant %s", got, want)
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for name, m := range fixtures() {
		t.Run(name, func(t *testing.T) { checkEncoding(t, m) })
	}
	full := fixtures()["long text"]
	full.AnalyzedAt = time.Date(2026, 6, 15, 12, 31, 0, 120000000, time.Local)
	full.Author = Author{ID: "1", Handle: "h", Name: "n", Followers: math.MinInt64, Verified: true, EmployeeID: "e", Region: "r"}
	full.Likes, full.Reposts, full.Replies, full.Views = math.MaxInt64, -1, 1, 1
	full.Mentions, full.Watches, full.Hashtags = []string{"a", ""}, []string{""}, []string{"<>"}
	full.Detractor = true
	for _, tc := range []struct {
		name string
		m    *Mention
	}{
		{"nil", nil},
		{"zero", &Mention{}},
		{"every field", full},
		{"empty non-nil slices are omitted", &Mention{Hashtags: []string{}, Mentions: []string{}, Links: []string{},
			Watches: []string{}, Entities: []string{}, Charter: []CharterFlag{},
			Sentiment: &Sentiment{Terms: []Term{}}}},
		{"empty nested values", &Mention{Geo: &Geo{}, Sentiment: &Sentiment{Terms: []Term{{}}},
			Charter: []CharterFlag{{Spans: []Span{{}}}, {Spans: []Span{}}}}},
		{"only analyzed_at", &Mention{AnalyzedAt: time.Unix(0, 1)}},
		{"times keep their zone", &Mention{CreatedAt: time.Date(2026, 2, 3, 4, 5, 6, 7, time.FixedZone("X", -(9*3600+30*60))),
			CollectedAt: time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("", 23*3600+59*60))}},
		{"monotonic clock reading", &Mention{CreatedAt: time.Now()}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkEncoding(t, tc.m) })
	}
}

func TestAppendJSONFloats(t *testing.T) {
	for _, f := range []float64{
		0, math.Copysign(0, -1), 1, -1, 0.1, 0.2 + 0.1, 1.0 / 3, 123456789, 1e20, 1e21, -1e21, 1e-6, -1e-6,
		9.999999e-7, 1e-7, 1.5e-7, 1e-10, 1e-100, 1e100, 5e-324, math.MaxFloat64, math.SmallestNonzeroFloat64,
		123456789012345678901234567890, 0.000001234, -0.8125, 48.8566,
	} {
		checkEncoding(t, &Mention{Geo: &Geo{Lat: f, Lon: -f}, Sentiment: &Sentiment{Score: f, Terms: []Term{{"x", f}}}})
	}
}

func TestAppendJSONStrings(t *testing.T) {
	// Every byte alone, then every byte inside valid text.
	for c := 0; c < 256; c++ {
		checkEncoding(t, &Mention{Text: string(rune(0)) + string([]byte{byte(c)})})
		checkEncoding(t, &Mention{Text: "é" + string([]byte{byte(c)}) + "x"})
	}
	for _, s := range []string{
		"", "plain", "\u2028\u2029", "a\u2028b", "\u2027\u202a", "😡🇫🇷", "\U0010FFFF", "\xf4\x90\x80\x80",
		"\xed\xa0\x80", "\xc0\xaf", "\xe2\x80", "\xe2\x80\xa8\xe2", "\xf0\x9f\x98", "<&>\"\\/",
		strings.Repeat("é\x01", 100),
	} {
		checkEncoding(t, &Mention{Text: s, ID: s, Hashtags: []string{s}})
	}
}

func TestAppendJSONErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		field string
		m     *Mention
	}{
		{"geo.lat", &Mention{Geo: &Geo{Lat: nan}}},
		{"geo.lon", &Mention{Geo: &Geo{Lon: -inf}}},
		{"sentiment.score", &Mention{Sentiment: &Sentiment{Score: inf}}},
		{"sentiment.terms[1].weight", &Mention{Sentiment: &Sentiment{Terms: []Term{{}, {Weight: nan}}}}},
		{"created_at", &Mention{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"collected_at", &Mention{CollectedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"analyzed_at", &Mention{AnalyzedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))}},
	} {
		if _, err := json.Marshal(tc.m); err == nil {
			t.Fatalf("%s: json.Marshal accepts the mention", tc.field)
		}
		dst := []byte("prefix")
		got, err := AppendJSON(dst, tc.m)
		var ce *CodecError
		if !errors.As(err, &ce) || ce.Field != tc.field || !strings.HasPrefix(err.Error(), "mention: field "+tc.field+": ") {
			t.Errorf("%s: err = %v, want a CodecError on %s", tc.field, err, tc.field)
		}
		if string(got) != "prefix" {
			t.Errorf("%s: dst = %q after an error, want it unchanged", tc.field, got)
		}
		if b, err := Marshal(tc.m); err == nil || b != nil {
			t.Errorf("%s: Marshal = %q, %v; want nil and an error", tc.field, b, err)
		}
	}
}

func TestAppendJSONAppends(t *testing.T) {
	m := benchMention()
	want, _ := json.Marshal(m)
	got, err := AppendJSON([]byte("x\n"), m)
	if err != nil || string(got) != "x\n"+string(want) {
		t.Fatalf("AppendJSON(prefix) = %q, %v", got, err)
	}
	if !utf8.Valid(got) {
		t.Fatal("output is not UTF-8")
	}
}

func TestMarshalAllocatesOnce(t *testing.T) {
	for name, m := range fixtures() {
		if n := testing.AllocsPerRun(20, func() { _, _ = Marshal(m) }); n != 1 {
			t.Errorf("%s: Marshal allocates %v times, want 1", name, n)
		}
	}
}
