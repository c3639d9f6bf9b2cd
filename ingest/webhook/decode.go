package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// RecordError is why a request was refused: the first bad record.
type RecordError struct {
	Index  int    // 0-based position in the array, or among the non-blank NDJSON lines
	Field  string // JSON name ("created_at", "author.followers"); "" when the record is not valid JSON
	Reason string
}

func (e *RecordError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("record %d: %s", e.Index, e.Reason)
	}
	return fmt.Sprintf("record %d: field %s: %s", e.Index, e.Field, e.Reason)
}

// errTooManyRecords is returned when a request holds more than MaxRecords.
var errTooManyRecords = errors.New("too many records")

// record is what a client sends: the collected part of a mention.
// Unknown fields are refused, so that a typo ("createdAt") is reported
// instead of silently dropped.
type record struct {
	ID          string          `json:"id"`
	Source      string          `json:"source"`
	URL         string          `json:"url"`
	CreatedAt   json.RawMessage `json:"created_at"`
	CollectedAt json.RawMessage `json:"collected_at"` // accepted and ignored: vigie sets it
	Author      recordAuthor    `json:"author"`
	Text        string          `json:"text"`
	Lang        string          `json:"lang"`
	Hashtags    []string        `json:"hashtags"`
	Mentions    []string        `json:"mentions"`
	Links       []string        `json:"links"`
	ReplyTo     string          `json:"reply_to"`
	RepostOf    string          `json:"repost_of"`
	QuoteOf     string          `json:"quote_of"`
	Geo         *mention.Geo    `json:"geo"`
	Likes       int64           `json:"likes"`
	Reposts     int64           `json:"reposts"`
	Replies     int64           `json:"replies"`
	Views       int64           `json:"views"`
}

type recordAuthor struct {
	ID        string `json:"id"`
	Handle    string `json:"handle"`
	Name      string `json:"name"`
	Followers int64  `json:"followers"`
	Verified  bool   `json:"verified"`
}

// fieldError is a decoding problem at a known field.
type fieldError struct{ field, reason string }

func (e *fieldError) Error() string { return e.field + ": " + e.reason }

// UnmarshalJSON refuses unknown author fields, naming them in full.
func (a *recordAuthor) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	type plain recordAuthor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode((*plain)(a)); err != nil {
		f, reason := describe(err)
		if f == "" {
			return &fieldError{"author", reason}
		}
		return &fieldError{"author." + f, reason}
	}
	return nil
}

// describe turns a decoding error into a field and a reason.
func describe(err error) (field, reason string) {
	var fe *fieldError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &fe):
		return fe.field, fe.reason
	case errors.As(err, &te):
		if te.Field == "" {
			return "", "must be a JSON object, got a JSON " + te.Value
		}
		return te.Field, fmt.Sprintf("must be %s, got a JSON %s", typeName(te.Type), te.Value)
	case errors.As(err, &se):
		return "", "invalid JSON: " + se.Error()
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "", "invalid JSON: unexpected end of the record"
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if n, uerr := strconv.Unquote(name); uerr == nil {
			name = n
		}
		return name, "unknown field"
	}
	return "", "invalid JSON: " + err.Error()
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "a value of another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int64, reflect.Int, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(typeName(t.Elem()), "a "), "an ") + "s"
	case reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return t.String()
}

// decoder turns a request body into validated mentions.
type decoder struct {
	cl         *client
	now        time.Time
	lim        mention.Limits
	maxRecords int
}

// decodeJSON reads one JSON object or an array of objects.
func (d *decoder) decodeJSON(body []byte) ([]*mention.Mention, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &RecordError{Index: 0, Reason: "the body is empty"}
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if trimmed[0] == '{' {
		m, err := d.one(dec, 0)
		if err != nil {
			return nil, err
		}
		if err := end(dec, 1); err != nil {
			return nil, err
		}
		return []*mention.Mention{m}, nil
	}
	if trimmed[0] != '[' {
		return nil, &RecordError{Index: 0, Reason: "the body must be a JSON object or an array of objects"}
	}
	if _, err := dec.Token(); err != nil {
		return nil, &RecordError{Index: 0, Reason: "invalid JSON: " + err.Error()}
	}
	var out []*mention.Mention
	i := 0
	for ; dec.More(); i++ {
		if i >= d.maxRecords {
			return nil, errTooManyRecords
		}
		m, err := d.one(dec, i)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		_, reason := describe(err)
		return nil, &RecordError{Index: i, Reason: reason}
	}
	if err := end(dec, i); err != nil {
		return nil, err
	}
	return out, nil
}

// end checks that nothing follows the JSON value.
func end(dec *json.Decoder, index int) error {
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &RecordError{Index: index, Reason: "unexpected data after the JSON value (send several objects as an array, or as application/x-ndjson)"}
	}
	return nil
}

// decodeNDJSON reads one JSON object per line; blank lines are skipped.
func (d *decoder) decodeNDJSON(body []byte) ([]*mention.Mention, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	var out []*mention.Mention
	i := 0
	for len(body) > 0 {
		var line []byte
		if j := bytes.IndexByte(body, '\n'); j >= 0 {
			line, body = body[:j], body[j+1:]
		} else {
			line, body = body, nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if i >= d.maxRecords {
			return nil, errTooManyRecords
		}
		if line[0] != '{' {
			return nil, &RecordError{Index: i, Reason: "each line must be one JSON object"}
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		m, err := d.one(dec, i)
		if err != nil {
			return nil, err
		}
		if err := end(dec, i); err != nil {
			return nil, err
		}
		out = append(out, m)
		i++
	}
	if i == 0 {
		return nil, &RecordError{Index: 0, Reason: "the body is empty"}
	}
	return out, nil
}

// one decodes and validates the next record.
func (d *decoder) one(dec *json.Decoder, i int) (*mention.Mention, error) {
	var rec record
	if err := dec.Decode(&rec); err != nil {
		f, reason := describe(err)
		return nil, &RecordError{Index: i, Field: f, Reason: reason}
	}
	m, err := d.toMention(&rec)
	if err != nil {
		var fe *mention.FieldError
		if errors.As(err, &fe) {
			return nil, &RecordError{Index: i, Field: fe.Field, Reason: fe.Reason}
		}
		return nil, &RecordError{Index: i, Reason: err.Error()}
	}
	return m, nil
}

// toMention checks a record and normalises it into a mention. Errors are
// *mention.FieldError.
func (d *decoder) toMention(rec *record) (*mention.Mention, error) {
	source := strings.TrimSpace(rec.Source)
	if source == "" {
		source = d.cl.source
	}
	switch {
	case source == "":
		return nil, &mention.FieldError{Field: "source", Reason: "is required (or set source on the client)"}
	case !mention.ValidToken(source):
		return nil, &mention.FieldError{Field: "source", Reason: fmt.Sprintf("%q must be 1-64 lower-case letters, digits, '-' or '_'", source)}
	case len(d.cl.allowed) > 0 && !contains(d.cl.allowed, source):
		return nil, &mention.FieldError{Field: "source", Reason: fmt.Sprintf("%q is not allowed for this client", source)}
	}
	id := strings.TrimSpace(rec.ID)
	if id == "" {
		return nil, &mention.FieldError{Field: "id", Reason: "is required"}
	}
	if !strings.HasPrefix(id, source+":") {
		id = source + ":" + id // ids are source-scoped
	}
	created, err := parseTime(rec.CreatedAt)
	if err != nil {
		return nil, &mention.FieldError{Field: "created_at", Reason: err.Error()}
	}
	if strings.TrimSpace(rec.Text) == "" && rec.RepostOf == "" {
		return nil, &mention.FieldError{Field: "text", Reason: "is required (unless repost_of is set)"}
	}
	if g := rec.Geo; g != nil {
		if g.Lat < -90 || g.Lat > 90 {
			return nil, &mention.FieldError{Field: "geo.lat", Reason: fmt.Sprintf("must be between -90 and 90, got %v", g.Lat)}
		}
		if g.Lon < -180 || g.Lon > 180 {
			return nil, &mention.FieldError{Field: "geo.lon", Reason: fmt.Sprintf("must be between -180 and 180, got %v", g.Lon)}
		}
	}
	m := &mention.Mention{
		ID: id, Source: source, URL: rec.URL, CreatedAt: created, CollectedAt: d.now,
		Author: mention.Author{ID: rec.Author.ID, Handle: rec.Author.Handle, Name: rec.Author.Name,
			Followers: rec.Author.Followers, Verified: rec.Author.Verified},
		Text: rec.Text, Lang: rec.Lang, Hashtags: rec.Hashtags, Mentions: rec.Mentions, Links: rec.Links,
		ReplyTo: rec.ReplyTo, RepostOf: rec.RepostOf, QuoteOf: rec.QuoteOf, Geo: rec.Geo,
		Likes: rec.Likes, Reposts: rec.Reposts, Replies: rec.Replies, Views: rec.Views,
	}
	if err := mention.Normalize(m, d.lim, d.now); err != nil {
		return nil, err
	}
	return m, nil
}

// parseTime reads an RFC 3339 string, or a number of seconds (or, above
// 10^12, milliseconds) since 1970.
func parseTime(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, errors.New("is required")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, errors.New("must be an RFC 3339 time such as 2026-11-02T09:30:00Z")
		}
		if s == "" {
			return time.Time{}, errors.New("is required")
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-02T09:30:00Z", truncate(s, 64))
		}
		return t, nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || f < 0 {
		return time.Time{}, errors.New("must be an RFC 3339 time string or a number of seconds since 1970")
	}
	if f >= 1e12 {
		f /= 1000 // milliseconds, as JavaScript and many exports write them
	}
	if f > 1e11 {
		return time.Time{}, errors.New("is too far in the future")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
