// Package alerting turns crisis and charter events into notifications: the
// notification model and its templates, routing, grouping, rate caps and
// escalation as a pure state machine; one sub-package per delivery channel.
package alerting

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Notification kinds.
const (
	KindCrisis  = "crisis"  // a bad buzz detected on a watch
	KindCharter = "charter" // a serious charter flag on an employee post
	KindGap     = "gap"     // a collection gap (a source went silent)
	KindHealth  = "health"  // the pipeline itself is unwell
	KindTest    = "test"    // a test message sent on demand
	KindDigest  = "digest"  // what a rate cap held back, sent once the cap allows
)

// Notification statuses: the life of one thread.
const (
	StatusOpen         = "open"
	StatusUpdate       = "update"
	StatusResolved     = "resolved"
	StatusAcknowledged = "acknowledged"
)

// Languages every message is written in.
const (
	LangFrench  = "fr"
	LangEnglish = "en"
)

// ErrInvalidNotification is wrapped by Notification.Validate.
var ErrInvalidNotification = errors.New("alerting: invalid notification")

// Notification is one message about one thread (Key): a crisis, a charter
// flag, a collection gap. It is rendered per receiver, in the receiver's
// language. Counts are per hour (Observed, Expected).
type Notification struct {
	Key       string    `json:"key"`    // stable thread id: one crisis = one thread
	Kind      string    `json:"kind"`   // KindCrisis, KindCharter, …
	Status    string    `json:"status"` // StatusOpen, StatusUpdate, …
	Watch     string    `json:"watch,omitempty"`
	WatchName string    `json:"watch_name,omitempty"`
	Severity  int       `json:"severity"`       // 1 (low) … 5 (critical)
	Lang      string    `json:"lang,omitempty"` // "fr" or "en": the event's language, then the receiver's
	Since     time.Time `json:"since"`          // when the situation started
	At        time.Time `json:"at"`             // when this notification was produced

	Observed      float64    `json:"observed"` // mentions per hour now
	Expected      float64    `json:"expected"` // mentions per hour usually at this time
	Score         float64    `json:"score,omitempty"`
	Signals       []string   `json:"signals,omitempty"`   // what triggered: "volume", "negative_share", rule ids…
	TopTerms      []string   `json:"top_terms,omitempty"` // terms and hashtags that surged
	SamplePosts   []Post     `json:"sample_posts,omitempty"`
	TopSpreaders  []Spreader `json:"top_spreaders,omitempty"`
	EmployeeShare float64    `json:"employee_share,omitempty"` // 0..1: share of posts by employees

	ConsoleURL string            `json:"console_url,omitempty"`
	AckURL     string            `json:"ack_url,omitempty"`
	AckedBy    string            `json:"acked_by,omitempty"`
	Drill      bool              `json:"drill,omitempty"` // an exercise: marked DRILL / EXERCICE everywhere
	Extra      map[string]string `json:"extra,omitempty"`

	// Set by the Engine, not by producers.
	Escalation int           `json:"escalation,omitempty"` // 0 = first level; n = n-th escalation
	Digest     []DigestEntry `json:"digest,omitempty"`     // KindDigest only: what was held back
}

// Post is a sample post quoted in a notification.
type Post struct {
	Author    string `json:"author"`
	Followers int64  `json:"followers,omitempty"`
	Text      string `json:"text"`
	URL       string `json:"url,omitempty"`
}

// Spreader is an account that spreads the topic most, by reach.
type Spreader struct {
	Handle    string `json:"handle"`
	Followers int64  `json:"followers,omitempty"`
	Posts     int    `json:"posts,omitempty"`
}

// DigestEntry is one notification a rate cap held back.
type DigestEntry struct {
	Key       string    `json:"key"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	WatchName string    `json:"watch_name,omitempty"`
	Severity  int       `json:"severity"`
	At        time.Time `json:"at"`
	Drill     bool      `json:"drill,omitempty"`
}

// Notifier delivers one notification to one receiver. retry reports whether
// a failure is worth retrying (network errors, 429, 5xx); a RetryDelay on
// err says how long the service asked to wait.
type Notifier interface {
	Notify(ctx context.Context, n *Notification) (retry bool, err error)
}

// Validate checks what every channel relies on.
func (n *Notification) Validate() error {
	switch {
	case n == nil:
		return fmt.Errorf("%w: nil", ErrInvalidNotification)
	case n.Key == "":
		return fmt.Errorf("%w: key is empty", ErrInvalidNotification)
	case !validKind(n.Kind):
		return fmt.Errorf("%w: kind %q is not one of crisis, charter, gap, health, test, digest", ErrInvalidNotification, n.Kind)
	case !validStatus(n.Status):
		return fmt.Errorf("%w: status %q is not one of open, update, resolved, acknowledged", ErrInvalidNotification, n.Status)
	case n.Severity < 1 || n.Severity > 5:
		return fmt.Errorf("%w: severity %d is not between 1 and 5", ErrInvalidNotification, n.Severity)
	case n.Lang != "" && n.Lang != LangFrench && n.Lang != LangEnglish:
		return fmt.Errorf("%w: lang %q is not fr or en", ErrInvalidNotification, n.Lang)
	case n.At.IsZero():
		return fmt.Errorf("%w: at is zero", ErrInvalidNotification)
	}
	return nil
}

// Ratio is Observed against Expected, and false when there is no usual
// level to compare with.
func (n *Notification) Ratio() (float64, bool) {
	if n.Expected <= 0 {
		return 0, false
	}
	return n.Observed / n.Expected, true
}

// Clone returns a deep copy, so each receiver can get its own language and
// escalation level without sharing slices.
func (n *Notification) Clone() *Notification {
	c := *n
	c.Signals = append([]string(nil), n.Signals...)
	c.TopTerms = append([]string(nil), n.TopTerms...)
	c.SamplePosts = append([]Post(nil), n.SamplePosts...)
	c.TopSpreaders = append([]Spreader(nil), n.TopSpreaders...)
	c.Digest = append([]DigestEntry(nil), n.Digest...)
	if n.Extra != nil {
		c.Extra = make(map[string]string, len(n.Extra))
		for k, v := range n.Extra {
			c.Extra[k] = v
		}
	}
	return &c
}

func validKind(k string) bool {
	switch k {
	case KindCrisis, KindCharter, KindGap, KindHealth, KindTest, KindDigest:
		return true
	}
	return false
}

func validStatus(s string) bool {
	switch s {
	case StatusOpen, StatusUpdate, StatusResolved, StatusAcknowledged:
		return true
	}
	return false
}
