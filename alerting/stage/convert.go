package stage

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/detect"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/mention"
)

// Subjects of the events the stage turns into notifications (on the EVENTS
// stream), each followed by a watch or a source.
const (
	SubjectCrisis  = bus.SubjectEvents + "crisis."
	SubjectGap     = bus.SubjectEvents + "gap."
	SubjectCharter = bus.SubjectEvents + "charter."
)

// HeaderStatus on a charter event set to "resolved" closes the flag's
// thread (the console's triage publishes it); absent, the event opens it.
const HeaderStatus = "Vigie-Status"

// Thread key prefixes of the kinds whose events have no id of their own.
const (
	KeyPrefixCharter = "charter:"
	KeyPrefixGap     = "gap:"
)

// Extra keys the stage sets on notifications.
const (
	extraGapUntil  = "gap_until" // RFC 3339 end of the last gap of a source
	extraSummaryFR = "summary_fr"
	extraSummaryEN = "summary_en"
)

var (
	// errUndecodable: the payload is not the JSON the subject promises.
	errUndecodable = errors.New("undecodable event")
	// errInvalid: decoded, but not a notification the engine can take.
	errInvalid = errors.New("invalid event")
	// errIgnored: an event kind the stage does not route (left to others).
	errIgnored = errors.New("not an alert event")
)

// converter turns EVENTS messages into notifications.
type converter struct {
	publicURL   string
	consolePath string
	gapSeverity int
	watchName   func(string) string
	now         func() time.Time
}

// convert decodes one EVENTS message. Errors wrap errUndecodable,
// errInvalid or errIgnored.
func (c *converter) convert(subject string, header nats.Header, data []byte) (*alerting.Notification, error) {
	var (
		n   *alerting.Notification
		err error
	)
	switch {
	case strings.HasPrefix(subject, SubjectCrisis):
		n, err = c.crisis(strings.TrimPrefix(subject, SubjectCrisis), data)
	case strings.HasPrefix(subject, SubjectGap):
		n, err = c.gap(strings.TrimPrefix(subject, SubjectGap), data)
	case strings.HasPrefix(subject, SubjectCharter):
		n, err = c.charter(strings.TrimPrefix(subject, SubjectCharter), header.Get(HeaderStatus), data)
	default:
		return nil, fmt.Errorf("%w: subject %s", errIgnored, subject)
	}
	if err != nil {
		return nil, err
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", errInvalid, err)
	}
	return n, nil
}

func (c *converter) crisis(token string, data []byte) (*alerting.Notification, error) {
	var e detect.Event
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("%w: crisis: %w", errUndecodable, err)
	}
	if e.ID == "" {
		return nil, fmt.Errorf("%w: crisis: id is empty", errInvalid)
	}
	watch := e.Watch
	if watch == "" {
		watch = token
	}
	var status string
	switch e.Status {
	case detect.StatusOpen:
		status = alerting.StatusOpen
	case detect.StatusUpdate:
		status = alerting.StatusUpdate
	case detect.StatusResolved:
		status = alerting.StatusResolved
	default:
		return nil, fmt.Errorf("%w: crisis %s: status %q is not open, update or resolved", errInvalid, e.ID, e.Status)
	}
	sev := e.Severity
	if status == alerting.StatusResolved {
		// A resolution may carry severity 0: keep the crisis' peak.
		sev = min(max(sev, e.PeakSeverity, 1), 5)
	}
	at := e.At
	if at.IsZero() {
		at = c.now()
	}
	n := &alerting.Notification{
		Key: e.ID, Kind: alerting.KindCrisis, Status: status,
		Watch: watch, WatchName: c.watchName(watch), Severity: sev,
		Since: e.OpenedAt, At: at, Score: e.Score, EmployeeShare: e.EmployeeShare, Drill: e.Drill,
		Observed: perHour(e.Observed, e.Window), Expected: perHour(e.Expected, e.Window),
	}
	for _, s := range e.Signals {
		if s.Name != "" && !contains(n.Signals, s.Name) {
			n.Signals = append(n.Signals, s.Name)
		}
	}
	for _, t := range e.TopHashtags {
		n.TopTerms = appendTerm(n.TopTerms, "#"+strings.TrimPrefix(t.Term, "#"))
	}
	for _, t := range e.TopTerms {
		n.TopTerms = appendTerm(n.TopTerms, t.Term)
	}
	for _, p := range e.TopPosts {
		if len(n.SamplePosts) == maxSamplePosts {
			break
		}
		n.SamplePosts = append(n.SamplePosts, alerting.Post{Author: handle(p.Author), Followers: p.Followers, Text: p.Text, URL: p.URL})
	}
	for _, s := range e.TopSpreaders {
		if len(n.TopSpreaders) == maxSpreaders {
			break
		}
		n.TopSpreaders = append(n.TopSpreaders, alerting.Spreader{Handle: handle(s.Handle), Followers: s.Followers, Posts: s.Posts})
	}
	n.Extra = map[string]string{}
	if s := e.Summary["fr"]; s != "" {
		n.Extra[extraSummaryFR] = s
	}
	if s := e.Summary["en"]; s != "" {
		n.Extra[extraSummaryEN] = s
	}
	if e.Mentions > 0 {
		n.Extra["mentions"] = strconv.FormatFloat(math.Round(e.Mentions), 'f', -1, 64)
	}
	if e.NegativeShare > 0 {
		n.Extra["negative_share"] = strconv.FormatFloat(math.Round(1000*e.NegativeShare)/1000, 'f', -1, 64)
	}
	if len(n.Extra) == 0 {
		n.Extra = nil
	}
	if c.publicURL != "" {
		n.ConsoleURL = c.publicURL + c.consolePath + url.PathEscape(e.ID)
	}
	c.setAckURL(n)
	return n, nil
}

func (c *converter) gap(token string, data []byte) (*alerting.Notification, error) {
	var g ingest.Gap
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("%w: gap: %w", errUndecodable, err)
	}
	source := g.Source
	if source == "" {
		source = token
	}
	if source == "" {
		return nil, fmt.Errorf("%w: gap: source is empty", errInvalid)
	}
	now := c.now()
	since := g.From
	if since.IsZero() {
		since = now
	}
	until := g.To
	if until.Before(since) {
		until = since
	}
	n := &alerting.Notification{
		// One thread per source: "collection stopped", then "collection back"
		// once no gap was reported for a while (Config.GapResolveAfter).
		Key: KeyPrefixGap + source, Kind: alerting.KindGap, Status: alerting.StatusOpen,
		Watch: source, WatchName: source, Severity: c.gapSeverity,
		Since: since, At: now,
		Signals: []string{g.Reason},
		Extra:   map[string]string{extraGapUntil: until.UTC().Format(time.RFC3339), "reason": g.Reason},
	}
	if g.Reason == "" {
		n.Signals = nil
	}
	if g.Feed != "" {
		n.Extra["feed"] = g.Feed
	}
	if g.Missed > 0 {
		n.Extra["missed"] = strconv.FormatInt(g.Missed, 10)
	}
	c.setAckURL(n)
	return n, nil
}

func (c *converter) charter(token, status string, data []byte) (*alerting.Notification, error) {
	m, err := mention.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%w: charter: %w", errUndecodable, err)
	}
	if m.ID == "" {
		return nil, fmt.Errorf("%w: charter: mention id is empty", errInvalid)
	}
	watch := token
	if watch == "" && len(m.Watches) > 0 {
		watch = m.Watches[0]
	}
	n := &alerting.Notification{
		Key: KeyPrefixCharter + m.ID, Kind: alerting.KindCharter, Status: alerting.StatusOpen,
		Watch: watch, WatchName: c.watchName(watch), Since: m.CreatedAt,
	}
	switch status {
	case "":
	case alerting.StatusResolved:
		n.Status = alerting.StatusResolved
	default:
		return nil, fmt.Errorf("%w: charter %s: header %s %q is not resolved", errInvalid, m.ID, HeaderStatus, status)
	}
	if len(m.Charter) == 0 && n.Status != alerting.StatusResolved {
		return nil, fmt.Errorf("%w: charter %s: no charter flag", errInvalid, m.ID)
	}
	var cats []string
	n.Severity = 1
	for _, f := range m.Charter {
		n.Severity = max(n.Severity, min(f.Severity, 5))
		if f.Rule != "" && !contains(n.Signals, f.Rule) {
			n.Signals = append(n.Signals, f.Rule)
		}
		if f.Category != "" && !contains(cats, f.Category) {
			cats = append(cats, f.Category)
		}
	}
	for _, t := range []time.Time{m.AnalyzedAt, m.CollectedAt, m.CreatedAt} {
		if !t.IsZero() {
			n.At = t
			break
		}
	}
	if n.Status == alerting.StatusResolved || n.At.IsZero() {
		n.At = c.now()
	}
	if m.Lang == alerting.LangFrench || m.Lang == alerting.LangEnglish {
		n.Lang = m.Lang
	}
	if m.Text != "" {
		author := handle(m.Author.Handle)
		if author == "" {
			author = m.Author.Name
		}
		n.SamplePosts = []alerting.Post{{Author: author, Followers: m.Author.Followers, Text: m.Text, URL: m.URL}}
	}
	if len(cats) > 0 || m.Author.EmployeeID != "" {
		n.Extra = map[string]string{}
		if len(cats) > 0 {
			n.Extra["categories"] = strings.Join(cats, ",")
		}
		if m.Author.EmployeeID != "" {
			n.Extra["employee_id"] = m.Author.EmployeeID
		}
	}
	c.setAckURL(n)
	return n, nil
}

func (c *converter) setAckURL(n *alerting.Notification) {
	if c.publicURL != "" && n.Status != alerting.StatusResolved {
		n.AckURL = AckURL(c.publicURL, n.Key)
	}
}

// AckURL is where the thread key is acknowledged (a GET shows a confirm
// page, a POST acknowledges).
func AckURL(publicURL, key string) string {
	return strings.TrimRight(publicURL, "/") + "/api/v1/alerts/" + url.PathEscape(key) + "/ack"
}

// CrisisMsg builds the EVENTS message of a crisis event as detect/stage
// publishes it: subject vigie.event.crisis.<watch>, Nats-Msg-Id
// "<id>/<status>/<unix seconds of at>" so that a republish is absorbed.
func CrisisMsg(e *detect.Event) (*nats.Msg, error) {
	if e.Watch == "" || strings.ContainsAny(e.Watch, ".*> \t") {
		return nil, fmt.Errorf("stage: crisis %q: watch %q cannot be a subject token", e.ID, e.Watch)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("stage: encode crisis %q: %w", e.ID, err)
	}
	msg := nats.NewMsg(SubjectCrisis + e.Watch)
	msg.Header.Set(jetstream.MsgIDHeader, e.ID+"/"+e.Status+"/"+strconv.FormatInt(e.At.Unix(), 10))
	msg.Data = data
	return msg, nil
}

const (
	maxSamplePosts = 3
	maxSpreaders   = 5
	maxTerms       = 8
)

// perHour turns a volume counted over window into a rate per hour.
func perHour(v float64, window time.Duration) float64 {
	if window <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	return v * float64(time.Hour) / float64(window)
}

func appendTerm(terms []string, t string) []string {
	if t == "" || t == "#" || len(terms) >= maxTerms || contains(terms, t) {
		return terms
	}
	return append(terms, t)
}

// handle writes an account handle with its @, leaving names alone.
func handle(h string) string {
	if h == "" || strings.HasPrefix(h, "@") || strings.ContainsAny(h, " \t") {
		return h
	}
	return "@" + h
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
