package mention

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the JSON encoding of m to dst and returns the extended
// buffer. The bytes are those json.Marshal(m) produces.
//
// It fails, returning dst unchanged and a *CodecError naming the field, in
// the cases where json.Marshal fails: a NaN or infinite float, or a time
// that RFC 3339 cannot represent (a year outside [0,9999], a zone offset of
// 24 hours or more). A nil m encodes as null.
func AppendJSON(dst []byte, m *Mention) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	var err error
	b := append(dst, `{"id":`...)
	b = appendString(b, m.ID)
	b = append(b, `,"source":`...)
	b = appendString(b, m.Source)
	if m.URL != "" {
		b = append(b, `,"url":`...)
		b = appendString(b, m.URL)
	}
	b = append(b, `,"created_at":`...)
	if b, err = appendTime(b, m.CreatedAt); err != nil {
		return dst, encodeError("created_at", err)
	}
	b = append(b, `,"collected_at":`...)
	if b, err = appendTime(b, m.CollectedAt); err != nil {
		return dst, encodeError("collected_at", err)
	}
	b = append(b, `,"author":`...)
	b = appendAuthor(b, &m.Author)
	b = append(b, `,"text":`...)
	b = appendString(b, m.Text)
	b = appendOptString(b, `,"lang":`, m.Lang)
	b = appendOptStrings(b, `,"hashtags":`, m.Hashtags)
	b = appendOptStrings(b, `,"mentions":`, m.Mentions)
	b = appendOptStrings(b, `,"links":`, m.Links)
	b = appendOptString(b, `,"reply_to":`, m.ReplyTo)
	b = appendOptString(b, `,"repost_of":`, m.RepostOf)
	b = appendOptString(b, `,"quote_of":`, m.QuoteOf)
	if g := m.Geo; g != nil {
		b = append(b, `,"geo":{"lat":`...)
		if b, err = appendFloat(b, g.Lat); err != nil {
			return dst, encodeError("geo.lat", err)
		}
		b = append(b, `,"lon":`...)
		if b, err = appendFloat(b, g.Lon); err != nil {
			return dst, encodeError("geo.lon", err)
		}
		b = append(b, '}')
	}
	b = appendOptInt(b, `,"likes":`, m.Likes)
	b = appendOptInt(b, `,"reposts":`, m.Reposts)
	b = appendOptInt(b, `,"replies":`, m.Replies)
	b = appendOptInt(b, `,"views":`, m.Views)
	b = appendOptStrings(b, `,"watches":`, m.Watches)
	if m.Sentiment != nil {
		b = append(b, `,"sentiment":`...)
		if b, err = appendSentiment(b, m.Sentiment); err != nil {
			return dst, inField(err, "sentiment")
		}
	}
	if len(m.Charter) > 0 {
		b = append(b, `,"charter":`...)
		b = appendCharter(b, m.Charter)
	}
	b = appendOptStrings(b, `,"entities":`, m.Entities)
	b = appendOptBool(b, `,"idea":true`, m.Idea)
	b = appendOptBool(b, `,"relay_of_official":true`, m.RelayOfOfficial)
	b = appendOptBool(b, `,"detractor":true`, m.Detractor)
	if !m.AnalyzedAt.IsZero() {
		b = append(b, `,"analyzed_at":`...)
		if b, err = appendTime(b, m.AnalyzedAt); err != nil {
			return dst, encodeError("analyzed_at", err)
		}
	}
	return append(b, '}'), nil
}

// encodedSizeHint is a close upper estimate of the encoded size of m, so
// that Marshal allocates once for ordinary mentions.
func encodedSizeHint(m *Mention) int {
	if m == nil {
		return len("null")
	}
	n := 320 + len(m.ID) + len(m.Source) + len(m.URL) + len(m.Text) + len(m.Lang) +
		len(m.ReplyTo) + len(m.RepostOf) + len(m.QuoteOf) +
		len(m.Author.ID) + len(m.Author.Handle) + len(m.Author.Name) + len(m.Author.EmployeeID) + len(m.Author.Region)
	for _, l := range [...][]string{m.Hashtags, m.Mentions, m.Links, m.Watches, m.Entities} {
		for _, s := range l {
			n += len(s) + 3
		}
	}
	if s := m.Sentiment; s != nil {
		n += 64 + len(s.Label)
		for _, t := range s.Terms {
			n += 48 + len(t.Term)
		}
	}
	for _, c := range m.Charter {
		n += 48 + len(c.Rule) + len(c.Category)
		for _, s := range c.Spans {
			n += 48 + len(s.Text)
		}
	}
	return n + n/16 // room for a few escapes
}

func encodeError(field string, err error) error {
	return &CodecError{Field: field, Offset: -1, Err: err}
}

func appendAuthor(b []byte, a *Author) []byte {
	sep := byte('{')
	member := func(b []byte, key string) []byte {
		b = append(b, sep)
		sep = ','
		return append(b, key...)
	}
	if a.ID != "" {
		b = appendString(member(b, `"id":`), a.ID)
	}
	if a.Handle != "" {
		b = appendString(member(b, `"handle":`), a.Handle)
	}
	if a.Name != "" {
		b = appendString(member(b, `"name":`), a.Name)
	}
	if a.Followers != 0 {
		b = strconv.AppendInt(member(b, `"followers":`), a.Followers, 10)
	}
	if a.Verified {
		b = append(member(b, `"verified":`), "true"...)
	}
	if a.EmployeeID != "" {
		b = appendString(member(b, `"employee_id":`), a.EmployeeID)
	}
	if a.Region != "" {
		b = appendString(member(b, `"region":`), a.Region)
	}
	if sep == '{' {
		return append(b, "{}"...)
	}
	return append(b, '}')
}

func appendSentiment(b []byte, s *Sentiment) ([]byte, error) {
	var err error
	b = append(b, `{"score":`...)
	if b, err = appendFloat(b, s.Score); err != nil {
		return nil, encodeError("score", err)
	}
	b = append(b, `,"label":`...)
	b = appendString(b, s.Label)
	if len(s.Terms) > 0 {
		b = append(b, `,"terms":[`...)
		for i := range s.Terms {
			t := &s.Terms[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"term":`...)
			b = appendString(b, t.Term)
			b = append(b, `,"weight":`...)
			if b, err = appendFloat(b, t.Weight); err != nil {
				return nil, inField(encodeError("weight", err), "terms["+strconv.Itoa(i)+"]")
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func appendCharter(b []byte, flags []CharterFlag) []byte {
	b = append(b, '[')
	for i := range flags {
		f := &flags[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"rule":`...)
		b = appendString(b, f.Rule)
		b = append(b, `,"category":`...)
		b = appendString(b, f.Category)
		b = append(b, `,"severity":`...)
		b = strconv.AppendInt(b, int64(f.Severity), 10)
		if len(f.Spans) > 0 {
			b = append(b, `,"spans":[`...)
			for j := range f.Spans {
				s := &f.Spans[j]
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"start":`...)
				b = strconv.AppendInt(b, int64(s.Start), 10)
				b = append(b, `,"end":`...)
				b = strconv.AppendInt(b, int64(s.End), 10)
				b = append(b, `,"text":`...)
				b = appendString(b, s.Text)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

func appendOptStrings(b []byte, key string, l []string) []byte {
	if len(l) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '[')
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func appendOptInt(b []byte, key string, n int64) []byte {
	if n == 0 {
		return b
	}
	return strconv.AppendInt(append(b, key...), n, 10)
}

func appendOptBool(b []byte, member string, v bool) []byte {
	if !v {
		return b
	}
	return append(b, member...)
}

// appendTime writes t as time.Time.MarshalJSON does: RFC 3339 with
// nanoseconds, trailing zeros dropped.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	out, err := t.AppendText(b)
	if err != nil {
		return nil, err
	}
	return append(out, '"'), nil
}

var errNonFinite = errors.New("unsupported value: NaN or infinite float")

// appendFloat writes f as encoding/json writes a float64: like ES6, in
// exponent form only below 1e-6 and from 1e21, with exponents unpadded.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, errNonFinite
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7.
		if n := len(b); b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// htmlSafe reports the ASCII bytes that encoding/json writes as they are
// (with its default HTML escaping): printable, except ", \, <, > and &.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString writes s as a JSON string exactly as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other control bytes, <, > and &
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
