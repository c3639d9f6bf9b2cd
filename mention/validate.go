package mention

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultMaxTextBytes is the default limit on Mention.Text, in bytes.
// A long blog article fits; a runaway payload does not.
const DefaultMaxTextBytes = 64 << 10

// MaxFutureSkew is how far in the future a created_at may be before it is
// rejected: clocks drift, but a post from next week is a bug upstream.
const MaxFutureSkew = 24 * time.Hour

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("mention: invalid")

// FieldError names the field of a mention that cannot be stored and why.
type FieldError struct {
	Field  string // JSON name, e.g. "created_at" or "author.followers"
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("mention: field %s: %s", e.Field, e.Reason) }

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Limits bound what Normalize accepts.
type Limits struct {
	MaxTextBytes int // 0 means DefaultMaxTextBytes
}

// Normalize repairs what can be repaired and validates the rest, in place.
//
// Repairs: invalid UTF-8 in any text field is replaced by U+FFFD (a post is
// worth more with one bad character marked than dropped); times are converted
// to UTC; a missing collected_at is set to now; hashtags and handles lose a
// leading '#' or '@' and are lower-cased; surrounding spaces are trimmed.
//
// Rejections, as a *FieldError: no id, no source, an id or source with
// spaces or control characters, no created_at, a created_at more than
// MaxFutureSkew ahead of now, a text longer than the limit, negative counts.
func Normalize(m *Mention, lim Limits, now time.Time) error {
	maxText := lim.MaxTextBytes
	if maxText <= 0 {
		maxText = DefaultMaxTextBytes
	}
	m.ID = strings.TrimSpace(m.ID)
	m.Source = strings.TrimSpace(m.Source)
	if m.ID == "" {
		return &FieldError{"id", "is required"}
	}
	if badToken(m.ID) {
		return &FieldError{"id", "must be valid UTF-8 without spaces or control characters"}
	}
	if m.Source == "" {
		return &FieldError{"source", "is required"}
	}
	if !isSubjectToken(m.Source) {
		return &FieldError{"source", fmt.Sprintf("%q must be lower-case letters, digits, '-' or '_'", m.Source)}
	}
	if m.CreatedAt.IsZero() {
		return &FieldError{"created_at", "is required"}
	}
	m.CreatedAt = m.CreatedAt.UTC()
	if m.CreatedAt.After(now.Add(MaxFutureSkew)) {
		return &FieldError{"created_at", fmt.Sprintf("%s is more than %s in the future", m.CreatedAt.Format(time.RFC3339), MaxFutureSkew)}
	}
	if m.CreatedAt.Year() < 2000 {
		return &FieldError{"created_at", fmt.Sprintf("%s is before 2000", m.CreatedAt.Format(time.RFC3339))}
	}
	if m.CollectedAt.IsZero() {
		m.CollectedAt = now
	}
	m.CollectedAt = m.CollectedAt.UTC()
	if len(m.Text) > maxText {
		return &FieldError{"text", fmt.Sprintf("is %d bytes, over the limit of %d", len(m.Text), maxText)}
	}
	for _, c := range []struct {
		name string
		v    int64
	}{{"likes", m.Likes}, {"reposts", m.Reposts}, {"replies", m.Replies}, {"views", m.Views}, {"author.followers", m.Author.Followers}} {
		if c.v < 0 {
			return &FieldError{c.name, fmt.Sprintf("is negative (%d)", c.v)}
		}
	}
	for _, p := range []*string{&m.Text, &m.URL, &m.Lang, &m.ReplyTo, &m.RepostOf, &m.QuoteOf,
		&m.Author.ID, &m.Author.Handle, &m.Author.Name, &m.Author.EmployeeID, &m.Author.Region} {
		*p = repair(*p)
	}
	m.Lang = strings.ToLower(strings.TrimSpace(m.Lang))
	m.Author.Handle = strings.TrimPrefix(strings.TrimSpace(m.Author.Handle), "@")
	cleanList(m.Hashtags, "#")
	cleanList(m.Mentions, "@")
	for i := range m.Links {
		m.Links[i] = repair(strings.TrimSpace(m.Links[i]))
	}
	return nil
}

func repair(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func cleanList(l []string, prefix string) {
	for i, s := range l {
		l[i] = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(repair(s)), prefix))
	}
}

func badToken(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return true
		}
	}
	return false
}

// isSubjectToken reports whether s can be used as one NATS subject token
// (sources and watch ids become subject tokens).
func isSubjectToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ValidToken reports whether s is a valid source or watch id: 1 to 64
// lower-case ASCII letters, digits, '-' or '_'. Such names are used as NATS
// subject tokens and ClickHouse values.
func ValidToken(s string) bool { return isSubjectToken(s) }
