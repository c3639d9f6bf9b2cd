package alerting

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Engine errors callers test.
var (
	ErrUnknownThread  = errors.New("alerting: unknown thread")
	ErrThreadResolved = errors.New("alerting: thread already resolved")
	ErrStateVersion   = errors.New("alerting: unsupported state version")
)

// StateVersion is the version of the JSON state this code writes and reads.
const StateVersion = 1

// Clock gives the time; tests inject a fake one.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Engine groups notifications into threads, deduplicates them, caps each
// receiver's rate, escalates unacknowledged threads and sends resolutions.
// It does no I/O: methods return the deliveries to make, and the state is
// JSON. It is safe for concurrent use.
type Engine struct {
	mu        sync.Mutex
	cfg       Config
	router    *Router
	receivers map[string]ReceiverSettings
	clock     Clock
	state     State
	stats     Stats
	lastGC    time.Time // sweeps run at most once per gcEvery
}

// gcEvery spaces the sweeps of resolved threads, so that Handle stays O(1).
const gcEvery = time.Minute

// NewEngine checks cfg against receivers and returns an Engine with an
// empty state.
func NewEngine(cfg Config, receivers []ReceiverSettings, clock Clock) (*Engine, error) {
	if clock == nil {
		return nil, fmt.Errorf("%w: NewEngine: nil clock", ErrInvalidOption)
	}
	cfg.SetDefaults()
	if receivers == nil {
		receivers = []ReceiverSettings{}
	}
	if err := cfg.Validate(receivers); err != nil {
		return nil, err
	}
	router, err := NewRouter(&cfg)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, router: router, receivers: map[string]ReceiverSettings{}, clock: clock}
	for _, r := range receivers {
		e.receivers[r.Name] = r
	}
	e.state = newState()
	return e, nil
}

func newState() State {
	return State{Version: StateVersion, Threads: map[string]*Thread{}, Receivers: map[string]*ReceiverState{}}
}

// Handle takes an event from a producer (the crisis detector, the charter
// stage, health checks) and returns what to deliver now. An event with
// status "acknowledged" is an acknowledgement by AckedBy.
func (e *Engine) Handle(n *Notification) ([]Delivery, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if n.Kind == KindDigest {
		return nil, fmt.Errorf("%w: kind digest is produced by the engine only", ErrInvalidNotification)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	e.gc(now)
	var out []Delivery
	switch n.Status {
	case StatusAcknowledged:
		return e.ack(now, n.Key, n.AckedBy)
	case StatusResolved:
		out = e.resolve(now, n)
	default:
		out = e.openOrUpdate(now, n)
	}
	return out, nil
}

// Ack records that by acknowledged the thread key: escalation stops and
// everyone told about the thread gets an "acknowledged" notice. Acking an
// acknowledged thread again does nothing.
func (e *Engine) Ack(key, by string) ([]Delivery, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ack(e.clock.Now(), key, by)
}

// Tick escalates unacknowledged threads that are due and sends the digests
// rate caps now allow. Call it at NextTick, or every few seconds.
func (e *Engine) Tick() []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	e.gc(now)
	var out []Delivery
	for _, key := range e.sortedKeys() {
		th := e.state.Threads[key]
		for th.Status == StatusOpen && th.Level < len(th.Plan.Escalation) {
			step := th.Plan.Escalation[th.Level]
			if now.Before(th.LevelAt.Add(step.After.D())) {
				break
			}
			th.Level++
			th.LevelAt = now
			e.stats.Escalations++
			for _, r := range step.Receivers {
				if _, told := th.Sent[r]; told {
					continue
				}
				out = append(out, e.send(now, th, r, StatusOpen, th.Level)...)
			}
		}
	}
	names := make([]string, 0, len(e.state.Receivers))
	for name := range e.state.Receivers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		out = append(out, e.digest(now, name)...)
	}
	return out
}

// NextTick is when Tick has something to do next, and false when nothing is
// scheduled.
func (e *Engine) NextTick() (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, th := range e.state.Threads {
		if th.Status == StatusOpen && th.Level < len(th.Plan.Escalation) {
			consider(th.LevelAt.Add(th.Plan.Escalation[th.Level].After.D()))
		}
	}
	for name, rs := range e.state.Receivers {
		if len(rs.Held) == 0 {
			continue
		}
		if rl := e.receivers[name].RateLimit; rl != nil && len(rs.Sent) >= rl.Max {
			consider(rs.Sent[len(rs.Sent)-rl.Max].Add(rl.Per.D()))
		} else {
			consider(e.clock.Now())
		}
	}
	return next, !next.IsZero()
}

// Settle removes delivered (or abandoned) deliveries from the outbox.
func (e *Engine) Settle(ids ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state.Outbox = slices.DeleteFunc(e.state.Outbox, func(d Delivery) bool { return slices.Contains(ids, d.ID) })
}

// Pending returns the deliveries produced and not yet settled, oldest
// first: after Restore, dispatch them again.
func (e *Engine) Pending() []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.state.Outbox)
}

// Thread returns a copy of the thread key.
func (e *Engine) Thread(key string) (Thread, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	th, ok := e.state.Threads[key]
	if !ok {
		return Thread{}, false
	}
	b, err := json.Marshal(th)
	if err != nil {
		return Thread{}, false
	}
	var c Thread
	if err := json.Unmarshal(b, &c); err != nil {
		return Thread{}, false
	}
	return c, true
}

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}

func (e *Engine) openOrUpdate(now time.Time, n *Notification) []Delivery {
	th := e.state.Threads[n.Key]
	if th != nil && th.Status != StatusResolved && n.At.Before(th.Last.At) {
		e.stats.Stale++
		return nil
	}
	if th != nil && th.Status == StatusResolved && (n.Status != StatusOpen || !n.At.After(th.Last.At)) {
		e.stats.Stale++ // a late update of a crisis already over
		return nil
	}
	if th == nil || th.Status == StatusResolved {
		gen := 1
		if th != nil {
			gen = th.Generation + 1
		}
		th = &Thread{
			Key: n.Key, Generation: gen, Status: StatusOpen, OpenedAt: now, LevelAt: now,
			Last: *n.Clone(), Plan: e.router.Match(n, now), Sent: map[string]*ReceiverThread{},
		}
		th.Last.Status = StatusOpen
		e.state.Threads[n.Key] = th
		e.stats.Threads++
		var out []Delivery
		for _, r := range th.Plan.Receivers {
			out = append(out, e.send(now, th, r, StatusOpen, 0)...)
		}
		return out
	}

	th.Last = *n.Clone()
	th.Last.Status = StatusUpdate
	var out []Delivery
	// A worse event may now match more routes: tell the new receivers, and
	// adopt an escalation if the thread had none.
	plan := e.router.Match(n, now)
	fresh := map[string]bool{}
	for _, r := range plan.Receivers {
		if _, told := th.Sent[r]; !told {
			fresh[r] = true
			out = append(out, e.send(now, th, r, StatusOpen, 0)...)
		}
	}
	if len(th.Plan.Escalation) == 0 && len(plan.Escalation) > 0 && th.Status == StatusOpen {
		th.Plan.Escalation = plan.Escalation
		th.Level, th.LevelAt = 0, now
	}
	for _, r := range slices.Clone(th.Members) {
		if fresh[r] {
			continue
		}
		last := th.Sent[r]
		significant := n.Severity > last.Severity || volumeChange(last.Observed, n.Observed) >= e.cfg.SignificantRatio
		if !significant && now.Sub(last.At) < e.cfg.Cooldown.D() {
			e.stats.Absorbed++
			continue
		}
		out = append(out, e.send(now, th, r, StatusUpdate, 0)...)
	}
	return out
}

func (e *Engine) resolve(now time.Time, n *Notification) []Delivery {
	th := e.state.Threads[n.Key]
	switch {
	case th == nil:
		e.stats.Unrouted++
		return nil
	case th.Status == StatusResolved || n.At.Before(th.Last.At):
		e.stats.Stale++
		return nil
	}
	th.Status = StatusResolved
	th.ResolvedAt = now
	th.Last = *mergeResolution(&th.Last, n)
	var out []Delivery
	for _, r := range th.Members {
		out = append(out, e.send(now, th, r, StatusResolved, 0)...)
	}
	return out
}

func (e *Engine) ack(now time.Time, key, by string) ([]Delivery, error) {
	if by == "" {
		return nil, fmt.Errorf("%w: acked_by is empty: say who acknowledges", ErrInvalidNotification)
	}
	th := e.state.Threads[key]
	switch {
	case th == nil:
		return nil, fmt.Errorf("%w: %q", ErrUnknownThread, key)
	case th.Status == StatusResolved:
		return nil, fmt.Errorf("%w: %q", ErrThreadResolved, key)
	case th.Status == StatusAcknowledged:
		return nil, nil
	}
	th.Status = StatusAcknowledged
	th.AckedBy, th.AckedAt = by, now
	th.Last.AckedBy = by
	e.stats.Acks++
	var out []Delivery
	for _, r := range th.Members {
		out = append(out, e.send(now, th, r, StatusAcknowledged, 0)...)
	}
	return out, nil
}

// send makes one delivery of th's last event to receiver r, or holds it
// back when r's rate cap is reached (open and update only).
func (e *Engine) send(now time.Time, th *Thread, r, status string, level int) []Delivery {
	n := th.Last.Clone()
	n.Status = status
	n.Escalation = level
	n.Lang = e.langFor(r, n.Lang)
	n.AckedBy = th.AckedBy
	if status == StatusAcknowledged {
		n.At = now
	}
	rt := th.Sent[r]
	if rt == nil {
		rt = &ReceiverThread{}
		th.Sent[r] = rt
		th.Members = append(th.Members, r)
	}
	rt.At, rt.Fingerprint, rt.Severity, rt.Observed, rt.Held = now, fingerprint(n), n.Severity, n.Observed, false

	rs := e.receiverState(r)
	rl := e.receivers[r].RateLimit
	if rl != nil {
		rs.Sent = slices.DeleteFunc(rs.Sent, func(t time.Time) bool { return !t.After(now.Add(-rl.Per.D())) })
		if (status == StatusOpen || status == StatusUpdate) && len(rs.Sent) >= rl.Max {
			rt.Held = true
			rs.Held = append(rs.Held, DigestEntry{Key: n.Key, Kind: n.Kind, Status: status, WatchName: watchLabel(n), Severity: n.Severity, At: now, Drill: n.Drill})
			e.stats.Held++
			return nil
		}
		rs.Sent = append(rs.Sent, now)
	}
	return []Delivery{e.deliver(now, r, n, fmt.Sprintf("%s/%d", th.Key, th.Generation))}
}

// digest sends what r's rate cap held back, once the cap allows one more.
func (e *Engine) digest(now time.Time, r string) []Delivery {
	rs := e.state.Receivers[r]
	if rs == nil || len(rs.Held) == 0 {
		return nil
	}
	if rl := e.receivers[r].RateLimit; rl != nil {
		rs.Sent = slices.DeleteFunc(rs.Sent, func(t time.Time) bool { return !t.After(now.Add(-rl.Per.D())) })
		if len(rs.Sent) >= rl.Max {
			return nil
		}
		rs.Sent = append(rs.Sent, now)
	}
	held := rs.Held
	rs.Held = nil
	e.stats.Digests++
	n := &Notification{
		Key: "digest/" + r, Kind: KindDigest, Status: StatusOpen, Severity: 1,
		Lang: e.langFor(r, ""), Since: held[0].At, At: now, Digest: held, Drill: true,
	}
	for _, h := range held {
		n.Severity = max(n.Severity, h.Severity)
		n.Drill = n.Drill && h.Drill
	}
	return []Delivery{e.deliver(now, r, n, n.Key)}
}

func (e *Engine) deliver(now time.Time, r string, n *Notification, prefix string) Delivery {
	e.state.Seq++
	d := Delivery{ID: prefix + "/" + strconv.FormatUint(e.state.Seq, 10) + "/" + r, Receiver: r, Notification: *n, CreatedAt: now}
	e.state.Outbox = append(e.state.Outbox, d)
	e.stats.Deliveries++
	return d
}

func (e *Engine) receiverState(r string) *ReceiverState {
	rs := e.state.Receivers[r]
	if rs == nil {
		rs = &ReceiverState{}
		e.state.Receivers[r] = rs
	}
	return rs
}

func (e *Engine) langFor(r, eventLang string) string {
	if l := e.receivers[r].Lang; l != "" {
		return l
	}
	if eventLang == LangFrench || eventLang == LangEnglish {
		return eventLang
	}
	return e.cfg.DefaultLang
}

// gc forgets resolved threads after the retention, and receivers' empty
// states.
func (e *Engine) gc(now time.Time) {
	if !e.lastGC.IsZero() && now.Sub(e.lastGC) < gcEvery && now.After(e.lastGC) {
		return
	}
	e.lastGC = now
	for key, th := range e.state.Threads {
		if th.Status == StatusResolved && now.Sub(th.ResolvedAt) >= e.cfg.Retention.D() {
			delete(e.state.Threads, key)
			e.stats.GarbageFreed++
		}
	}
	for name, rs := range e.state.Receivers {
		if len(rs.Held) > 0 {
			continue
		}
		if rl := e.receivers[name].RateLimit; rl == nil || len(rs.Sent) == 0 || !rs.Sent[len(rs.Sent)-1].After(now.Add(-rl.Per.D())) {
			delete(e.state.Receivers, name)
		}
	}
}

func (e *Engine) sortedKeys() []string {
	keys := make([]string, 0, len(e.state.Threads))
	for k := range e.state.Threads {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mergeResolution keeps what a resolution event leaves out (a detector may
// send only the key and the end time).
func mergeResolution(last, n *Notification) *Notification {
	r := n.Clone()
	if r.Since.IsZero() {
		r.Since = last.Since
	}
	if r.Watch == "" {
		r.Watch = last.Watch
	}
	if r.WatchName == "" {
		r.WatchName = last.WatchName
	}
	if r.ConsoleURL == "" {
		r.ConsoleURL = last.ConsoleURL
	}
	if r.Lang == "" {
		r.Lang = last.Lang
	}
	// A drill stays a drill to its end: a resolution that leaves the flag
	// out must not announce a real crisis as over.
	r.Drill = r.Drill || last.Drill
	return r
}

func watchLabel(n *Notification) string {
	if n.WatchName != "" {
		return n.WatchName
	}
	return n.Watch
}

// volumeChange is how many times a volume went up or down (>= 1).
func volumeChange(before, after float64) float64 {
	if before <= 0 && after <= 0 {
		return 1
	}
	if before <= 0 || after <= 0 {
		return math.Inf(1)
	}
	return max(after/before, before/after)
}

// fingerprint identifies the content of a notification, ignoring when it
// was produced: two events with the same fingerprint are the same news.
func fingerprint(n *Notification) string {
	h := fnv.New64a()
	enc := json.NewEncoder(h)
	_ = enc.Encode([]any{
		n.Kind, n.Status, n.Severity, n.Watch, n.WatchName, n.Lang, math.Round(n.Observed), math.Round(n.Expected),
		n.Signals, n.TopTerms, n.AckedBy, n.Drill, n.Escalation, len(n.SamplePosts), len(n.TopSpreaders),
	})
	return strconv.FormatUint(h.Sum64(), 16)
}
