package mention

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzUnmarshal holds Unmarshal to encoding/json on any input: both fail,
// or both succeed with reflect.DeepEqual values, which then encode to the
// same bytes with AppendJSON and json.Marshal (or both fail to encode: a
// zone offset of +24:00 decodes but cannot be encoded). No normalisation is
// needed: the decoded values are identical, slice capacities aside.
//
//	go test -run '^$' -fuzz FuzzUnmarshal -fuzztime 60s ./mention/
func FuzzUnmarshal(f *testing.F) {
	for _, m := range fixtures() {
		b, err := json.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		// The same mention, re-indented, with upper-case keys and escapes.
		var ind bytes.Buffer
		_ = json.Indent(&ind, b, "", "\t")
		f.Add(ind.Bytes())
		f.Add(bytes.ReplaceAll(bytes.ReplaceAll(b, []byte(`"id"`), []byte(`"ID"`)), []byte("é"), []byte(`\u00e9`)))
	}
	for _, s := range []string{
		`null`, `{}`, `[]`, `{"id":null,"geo":null,"hashtags":null,"author":null}`,
		`{"hashtags":["a","b","c"],"hashtags":["d"],"hashtags":["e",null,null,null]}`,
		`{"charter":[{"rule":"a","spans":[{"start":1}]},{"rule":"b"}],"charter":[{}],"charter":[{},{},{}]}`,
		`{"author":{"id":"a"},"author":{"name":"b"},"geo":{"lat":1},"geo":{"lon":2}}`,
		`{"ſource":"s","li\u212aes":1,"LIKES":2,"Author":{"Followers":3}}`,
		`{"text":"\ud83d\ude21\ud83d\u0041\ude21\u00e9\/\b\f\n\r\t\"\\"}`,
		"{\"text\":\"caf\xe9 \xed\xa0\x80\",\"i\xffd\":1}",
		`{"likes":9223372036854775807,"views":-9223372036854775808,"replies":-0}`,
		`{"likes":9223372036854775808}`, `{"likes":1.0}`, `{"likes":1e2}`,
		`{"geo":{"lat":1e400}}`, `{"geo":{"lat":-0.0,"lon":1E-400}}`,
		`{"created_at":"2026-11-22T10:00:00.123456789+01:00","analyzed_at":"2026-11-22T10:00:00+24:00"}`,
		`{"created_at":"2026-11-22T10:00:00\u005a"}`, `{"collected_at":1}`,
		`{"x":[{"y":[1,2,{"z":"\u1234"}]},true,false,null,-1.5e-3]}`,
		`{"x":` + strings.Repeat("[", 50) + strings.Repeat("]", 50) + `}`,
		` {"id" : "a" } `, `{"id":"a"} x`, `{"id":"a",}`, `{"id":}`, `{"id"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := new(Mention)
		wantErr := json.Unmarshal(data, want)
		got, err := Unmarshal(data)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("Unmarshal(%q): err = %v, json.Unmarshal err = %v", data, err, wantErr)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Unmarshal(%q) =\n%#v\njson.Unmarshal =\n%#v", data, got, want)
		}
		wantJSON, wantErr := json.Marshal(want)
		gotJSON, err := AppendJSON(nil, got)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(gotJSON, wantJSON) {
			t.Fatalf("re-encoding %q: AppendJSON = %s, %v; json.Marshal = %s, %v", data, gotJSON, err, wantJSON, wantErr)
		}
	})
}

// FuzzRoundTrip builds a mention from fuzzed parts and checks that
// AppendJSON writes json.Marshal's bytes (or both fail), and that
// json.Unmarshal and Unmarshal both read back the mention, up to what JSON
// cannot carry: invalid UTF-8 becomes U+FFFD, a time keeps its instant and
// offset but not its location's name or monotonic reading, an empty slice
// is omitted and so comes back nil.
//
//	go test -run '^$' -fuzz FuzzRoundTrip -fuzztime 60s ./mention/
func FuzzRoundTrip(f *testing.F) {
	for _, m := range fixtures() {
		var list []string
		list = append(list, m.Hashtags...)
		list = append(list, m.Mentions...)
		var score, weight float64
		if m.Sentiment != nil {
			score = m.Sentiment.Score
		}
		if m.Geo != nil {
			weight = m.Geo.Lat
		}
		_, off := m.CreatedAt.Zone()
		f.Add(m.ID, m.Text, m.Author.Name, strings.Join(list, " "), score, weight,
			m.CreatedAt.Unix(), int64(m.CreatedAt.Nanosecond()), int16(off/60), m.Likes, uint32(len(m.Text)*2654435761))
	}
	f.Add("", "", "", "", math.NaN(), 0.0, int64(0), int64(0), int16(0), int64(0), uint32(1<<8))
	f.Add("x", "<&>\u2028", "\xff", "a  b", 1e21, 1e-7, int64(253402300800), int64(-1), int16(24*60), int64(-1), uint32(math.MaxUint32))
	f.Fuzz(func(t *testing.T, id, text, name, list string, score, weight float64, sec, nsec int64, zoneMin int16, count int64, bits uint32) {
		m := buildMention(id, text, name, list, score, weight, sec, nsec, zoneMin, count, bits)
		want, wantErr := json.Marshal(m)
		got, err := AppendJSON(nil, m)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("AppendJSON err = %v, json.Marshal err = %v", err, wantErr)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON differs from json.Marshal:\n got %s\nwant %s", got, want)
		}
		back := new(Mention)
		if err := json.Unmarshal(got, back); err != nil {
			t.Fatalf("json.Unmarshal(AppendJSON) fails: %v\n%s", err, got)
		}
		if norm := normalise(m); !reflect.DeepEqual(normalise(back), norm) {
			t.Fatalf("round trip through json.Unmarshal:\n got %#v\nwant %#v", normalise(back), norm)
		}
		mine, err := Unmarshal(got)
		if err != nil || !reflect.DeepEqual(mine, back) {
			t.Fatalf("Unmarshal(AppendJSON) = %#v, %v; json.Unmarshal = %#v", mine, err, back)
		}
	})
}

// buildMention spreads fuzzed parts over every field; bits chooses which
// optional fields are set.
func buildMention(id, text, name, list string, score, weight float64, sec, nsec int64, zoneMin int16, count int64, bits uint32) *Mention {
	bit := func(i int) bool { return bits&(1<<i) != 0 }
	words := strings.Split(list, " ")
	zone := time.FixedZone(name, int(zoneMin)*60)
	at := time.Unix(sec, nsec).In(zone)
	m := &Mention{
		ID: id, Source: name, CreatedAt: at, CollectedAt: at.Add(time.Duration(count)),
		Author: Author{Name: name, Followers: count, Verified: bit(0)},
		Text:   text, Likes: count, Reposts: -count, Replies: count >> 7, Views: int64(bits),
		Idea: bit(1), RelayOfOfficial: bit(2), Detractor: bit(3),
	}
	if bit(4) {
		m.URL, m.Lang, m.ReplyTo, m.RepostOf, m.QuoteOf = list, name, id, text, list
		m.Author.ID, m.Author.Handle, m.Author.EmployeeID, m.Author.Region = id, text, list, name
	}
	if bit(5) {
		m.Hashtags, m.Mentions, m.Links, m.Watches, m.Entities = words, words[1:], words[:1], words[:0], words
	}
	if bit(6) {
		m.Geo = &Geo{Lat: score, Lon: weight}
	}
	if bit(7) {
		m.Sentiment = &Sentiment{Score: score, Label: name}
		for i, w := range words {
			m.Sentiment.Terms = append(m.Sentiment.Terms, Term{w, weight * float64(i)})
		}
	}
	if bit(8) {
		for i, w := range words {
			flag := CharterFlag{Rule: w, Category: name, Severity: i - 1}
			for j := range i {
				flag.Spans = append(flag.Spans, Span{Start: j, End: int(count), Text: w})
			}
			m.Charter = append(m.Charter, flag)
		}
	}
	if bit(9) {
		m.AnalyzedAt = at.Add(time.Duration(nsec))
	}
	if bit(10) {
		m.CreatedAt = time.Date(int(zoneMin), time.Month(count), int(nsec), 0, 0, int(sec), 0, time.UTC)
	}
	return m
}

// normalise maps a mention to what survives JSON.
func normalise(m *Mention) *Mention {
	c := *m
	str := func(s *string) {
		if !utf8.ValidString(*s) {
			var b strings.Builder
			for _, r := range *s {
				b.WriteRune(r) // ranging yields U+FFFD per invalid byte, as JSON does
			}
			*s = b.String()
		}
	}
	strs := func(l []string) []string {
		if len(l) == 0 {
			return nil
		}
		l = append([]string(nil), l...)
		for i := range l {
			str(&l[i])
		}
		return l
	}
	tm := func(t time.Time) time.Time {
		_, off := t.Zone()
		return t.Round(0).In(time.FixedZone("", off))
	}
	for _, s := range []*string{&c.ID, &c.Source, &c.URL, &c.Text, &c.Lang, &c.ReplyTo, &c.RepostOf, &c.QuoteOf,
		&c.Author.ID, &c.Author.Handle, &c.Author.Name, &c.Author.EmployeeID, &c.Author.Region} {
		str(s)
	}
	c.CreatedAt, c.CollectedAt, c.AnalyzedAt = tm(c.CreatedAt), tm(c.CollectedAt), tm(c.AnalyzedAt)
	if m.AnalyzedAt.IsZero() {
		c.AnalyzedAt = time.Time{}
	}
	c.Hashtags, c.Mentions, c.Links, c.Watches, c.Entities = strs(c.Hashtags), strs(c.Mentions), strs(c.Links), strs(c.Watches), strs(c.Entities)
	if m.Geo != nil {
		g := *m.Geo
		c.Geo = &g
	}
	if m.Sentiment != nil {
		s := *m.Sentiment
		str(&s.Label)
		s.Terms = nil
		for _, t := range m.Sentiment.Terms {
			str(&t.Term)
			s.Terms = append(s.Terms, t)
		}
		c.Sentiment = &s
	}
	c.Charter = nil
	for _, f := range m.Charter {
		str(&f.Rule)
		str(&f.Category)
		spans := f.Spans
		f.Spans = nil
		for _, s := range spans {
			str(&s.Text)
			f.Spans = append(f.Spans, s)
		}
		c.Charter = append(c.Charter, f)
	}
	return &c
}
