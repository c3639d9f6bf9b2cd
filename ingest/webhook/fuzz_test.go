package webhook

import (
	"testing"
	"time"

	"github.com/vigie-project/vigie/mention"
)

func fuzzDecoder() *decoder {
	return &decoder{
		cl:  &client{name: "fuzz", source: "linkedin"},
		now: now0, lim: mention.Limits{MaxTextBytes: 4096}, maxRecords: 50,
	}
}

// checkDecoded asserts what every accepted batch must satisfy.
func checkDecoded(t *testing.T, ms []*mention.Mention, err error) {
	if err != nil {
		if re, ok := err.(*RecordError); ok && re.Error() == "" {
			t.Fatal("empty error message")
		}
		return
	}
	for _, m := range ms {
		// Accepted records are already normalised: normalising again is
		// a no-op that succeeds.
		before := *m
		if nerr := mention.Normalize(m, mention.Limits{MaxTextBytes: 4096}, now0); nerr != nil {
			t.Fatalf("accepted record fails Normalize: %v (%+v)", nerr, before)
		}
		if m.ID != before.ID || !m.CreatedAt.Equal(before.CreatedAt) || m.CreatedAt.Location() != time.UTC {
			t.Fatalf("accepted record not normalised: %+v", before)
		}
		if len(m.ID) <= len(m.Source)+1 || m.ID[:len(m.Source)+1] != m.Source+":" {
			t.Fatalf("id %q is not scoped by source %q", m.ID, m.Source)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(rec("a", "")))
	f.Add([]byte("[" + rec("a", "") + "," + rec("b", `,"source":"facebook","geo":{"lat":1,"lon":2}`) + "]"))
	f.Add([]byte(`{"id":"a","created_at":1793611800,"repost_of":"x","author":{"followers":1}}`))
	f.Add([]byte(`[{"id":"a"},]`))
	f.Add([]byte("\xef\xbb\xbf[]"))
	f.Fuzz(func(t *testing.T, body []byte) {
		ms, err := fuzzDecoder().decodeJSON(body)
		checkDecoded(t, ms, err)
	})
}

func FuzzDecodeNDJSON(f *testing.F) {
	f.Add([]byte(rec("a", "") + "\n" + rec("b", "") + "\n"))
	f.Add([]byte("\r\n\r\n" + rec("a", `,"text":"\u00e9t\u00e9"`)))
	f.Add([]byte(`{"id":"a","created_at":"2026-11-02T08:00:00Z","text":"x"} {}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ms, err := fuzzDecoder().decodeNDJSON(body)
		checkDecoded(t, ms, err)
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{`"2026-11-02T08:00:00Z"`, `1793611800`, `1793611800500`, `-1`, `1e308`, `"x"`, `null`, `0.5`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tm, err := parseTime(raw)
		if err == nil && len(raw) > 0 && raw[0] != '"' && (tm.Before(time.Unix(0, 0)) || tm.Year() > 5000) {
			t.Fatalf("parseTime(%q) = %s: a number must give a time between 1970 and 5000", raw, tm)
		}
	})
}
