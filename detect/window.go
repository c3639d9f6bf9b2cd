package detect

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// Window defaults.
const (
	DefaultLateness  = 5 * time.Minute
	DefaultMaxFuture = 5 * time.Minute
	DefaultMaxGap    = 7 * 24 * time.Hour
)

// Per-minute bounds on what a bucket keeps.
const (
	termsPerMinute    = 32   // terms handed to the detector per minute
	hashtagsPerMinute = 16   // hashtags handed to the detector per minute
	distinctPerMinute = 4096 // distinct terms counted per minute; later new ones are ignored
	tokensPerPost     = 32   // distinct words taken from one post
	postsPerMinute    = 3    // sample posts kept per minute, by reach and by negativity
	spreadersPerMin   = 5
)

// Errors returned by Window.Add (and Engine.Add) for mentions it does not
// count. They are counted in WindowStats too.
var (
	ErrLate    = errors.New("detect: mention older than the watermark allows")
	ErrFuture  = errors.New("detect: mention too far in the future")
	ErrInvalid = errors.New("detect: mention without a watch, a creation time or content")
)

// WindowConfig bounds event-time aggregation.
type WindowConfig struct {
	// Lateness is how long after its minute a post is still counted.
	Lateness time.Duration `yaml:"lateness"`
	// MaxFuture is how far ahead of the watermark a created_at may be.
	MaxFuture time.Duration `yaml:"max_future"`
	// MaxGap is the longest run of empty minutes filled with zeros at
	// once: after a longer silence (a clock jump, a stopped service) the
	// detectors see a gap instead of weeks of zeros.
	MaxGap time.Duration `yaml:"max_gap"`
	// EarlyOpen (default true): a watch whose complete minutes, still held
	// open by the lateness, already make its detector open a crisis has
	// them closed at once (see Engine.Advance). Its later posts for those
	// minutes are then counted late.
	EarlyOpen *bool `yaml:"early_open"`
}

// earlyOpen reports whether early opening is on (the default).
func (c WindowConfig) earlyOpen() bool { return c.EarlyOpen == nil || *c.EarlyOpen }

// SetDefaults fills the zero fields.
func (c *WindowConfig) SetDefaults() {
	setDur(&c.Lateness, DefaultLateness)
	setDur(&c.MaxFuture, DefaultMaxFuture)
	setDur(&c.MaxGap, DefaultMaxGap)
}

// Validate checks a config after SetDefaults; the error names the field.
func (c WindowConfig) Validate() error {
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"lateness", c.Lateness}, {"max_future", c.MaxFuture}, {"max_gap", c.MaxGap}} {
		if f.v < 0 {
			return &ConfigError{f.name, fmt.Sprintf("%v: must not be negative", f.v)}
		}
	}
	if c.Lateness > 24*time.Hour {
		return &ConfigError{"lateness", fmt.Sprintf("%v: want at most 24h", c.Lateness)}
	}
	if c.MaxGap < time.Minute {
		return &ConfigError{"max_gap", fmt.Sprintf("%v: want at least 1m", c.MaxGap)}
	}
	return nil
}

// WindowStats count what the window did with the mentions it was given.
type WindowStats struct {
	Accepted      int64 `json:"accepted"`
	Late          int64 `json:"late"`           // older than the watermark minus the lateness
	Future        int64 `json:"future"`         // too far ahead of the watermark
	Invalid       int64 `json:"invalid"`        // nil, no watch, no time
	SkippedEmpty  int64 `json:"skipped_empty"`  // empty minutes not filled after a gap longer than MaxGap
	ClockBackward int64 `json:"clock_backward"` // Advance calls with a watermark earlier than the current one
	EarlyClosed   int64 `json:"early_closed"`   // minutes closed before the lateness ran out, to open a crisis at once
}

// WatchMinute is one closed minute of one watch.
type WatchMinute struct {
	Watch string
	Minute
}

// Window aggregates mentions into per-watch minutes in event time. A
// minute closes once the watermark has passed its end by Lateness; posts
// for a closed minute are dropped and counted as late. Every watch it
// knows gets one minute per minute, zeros included. Not safe for
// concurrent use.
type Window struct {
	cfg       WindowConfig
	watermark time.Time
	watches   map[string]*watchBuckets
	names     []string // sorted watch names, for a stable output order
	stats     WindowStats
	tok       tokenScratch
	// Advance walks every watch only when it can close something: when
	// the closing minute moved, or a watch was added, since the last walk.
	walkedAt int64 // closedBefore() at the last walk
	walked   bool  // walkedAt is valid and no watch was added since
}

// watchBuckets are the open minutes of one watch.
type watchBuckets struct {
	next    int64 // unix minute of the next minute to emit; valid when started
	started bool
	buckets map[int64]*bucket
	lastIdx int64
	last    *bucket
	free    []*bucket
}

// bucket accumulates one minute of one watch.
type bucket struct {
	volume, negatives, reach, employees float64
	authors                             map[string]authorAgg
	termIdx                             map[string]int32 // word -> index in termN
	termN                               []int            // mentions per word
	hashtags                            map[string]int
	byReach, byNeg                      []Post
}

type authorAgg struct {
	posts     int
	followers int64
	reach     int64
}

// tokenScratch is reused across posts.
type tokenScratch struct {
	buf      []byte
	seen     []int32  // term indexes already counted for this post
	seenTags []string // hashtags already counted for this post
}

// NewWindow returns a window; it applies the defaults and validates.
func NewWindow(cfg WindowConfig) (*Window, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Window{cfg: cfg, watches: make(map[string]*watchBuckets)}, nil
}

// Watermark is the latest watermark given to Advance.
func (w *Window) Watermark() time.Time { return w.watermark }

// Stats returns the counters.
func (w *Window) Stats() WindowStats { return w.stats }

// Watch registers a watch so it gets (zero) minutes before its first post.
func (w *Window) Watch(name string) {
	if name != "" {
		w.watchOf(name)
	}
}

func (w *Window) watchOf(name string) *watchBuckets {
	wb, ok := w.watches[name]
	if !ok {
		wb = &watchBuckets{buckets: make(map[int64]*bucket)}
		w.watches[name] = wb
		w.walked = false
		i := sort.SearchStrings(w.names, name)
		w.names = append(w.names, "")
		copy(w.names[i+1:], w.names[i:])
		w.names[i] = name
	}
	return wb
}

func unixMinute(t time.Time) int64 {
	s := t.Unix()
	m := s / 60
	if s%60 < 0 {
		m--
	}
	return m
}

// Add counts one mention for one watch. It returns ErrLate, ErrFuture or
// ErrInvalid (wrapped, with the reason) when the mention is not counted.
func (w *Window) Add(watch string, m *mention.Mention) error {
	if m == nil || watch == "" || m.CreatedAt.IsZero() {
		w.stats.Invalid++
		return fmt.Errorf("%w: nil mention, empty watch or no created_at", ErrInvalid)
	}
	wb := w.watchOf(watch)
	idx := unixMinute(m.CreatedAt)
	if !w.watermark.IsZero() {
		if !wb.started {
			wb.next, wb.started = w.closedBefore(), true
		}
		if m.CreatedAt.After(w.watermark.Add(w.cfg.MaxFuture)) {
			w.stats.Future++
			return fmt.Errorf("%w: created_at %s is more than %v after the watermark %s", ErrFuture,
				m.CreatedAt.UTC().Format(time.RFC3339), w.cfg.MaxFuture, w.watermark.UTC().Format(time.RFC3339))
		}
	}
	if wb.started && idx < wb.next {
		w.stats.Late++
		return fmt.Errorf("%w: created_at %s is in a minute closed at watermark %s", ErrLate,
			m.CreatedAt.UTC().Format(time.RFC3339), w.watermark.UTC().Format(time.RFC3339))
	}
	b := wb.bucket(idx)
	w.accumulate(b, m)
	w.stats.Accepted++
	return nil
}

// closedBefore is the unix minute of the first minute the watermark has
// not closed yet.
func (w *Window) closedBefore() int64 {
	return unixMinute(w.watermark.Add(-w.cfg.Lateness))
}

func (wb *watchBuckets) bucket(idx int64) *bucket {
	if wb.last != nil && wb.lastIdx == idx {
		return wb.last
	}
	b, ok := wb.buckets[idx]
	if !ok {
		if n := len(wb.free); n > 0 {
			b, wb.free = wb.free[n-1], wb.free[:n-1]
		} else {
			b = &bucket{authors: make(map[string]authorAgg), termIdx: make(map[string]int32), hashtags: make(map[string]int)}
		}
		wb.buckets[idx] = b
	}
	wb.last, wb.lastIdx = b, idx
	return b
}

func (w *Window) accumulate(b *bucket, m *mention.Mention) {
	b.volume++
	neg := m.Sentiment != nil && m.Sentiment.Label == mention.Negative
	if neg {
		b.negatives++
	}
	reach := max(m.Reach(), 0)
	b.reach += float64(reach)
	if m.IsEmployee() {
		b.employees++
	}
	handle := m.Author.Handle
	if handle == "" {
		handle = m.Author.ID
	}
	if handle != "" {
		a := b.authors[handle]
		a.posts++
		a.followers = max(a.followers, m.Author.Followers)
		a.reach += reach
		b.authors[handle] = a
	}
	// Hashtags and words, each counted once per post.
	w.tok.seenTags = w.tok.seenTags[:0]
	for _, h := range m.Hashtags {
		if h = normaliseTag(h); h != "" && len(w.tok.seenTags) < tokensPerPost && !slices.Contains(w.tok.seenTags, h) {
			w.tok.seenTags = append(w.tok.seenTags, h)
			if _, ok := b.hashtags[h]; ok || len(b.hashtags) < distinctPerMinute {
				b.hashtags[h]++
			}
		}
	}
	w.tok.seen = w.tok.seen[:0]
	w.tok.buf = tokenize(m.Text, w.tok.buf, func(tok []byte) {
		if len(w.tok.seen) >= tokensPerPost {
			return
		}
		if i := b.termIndex(tok); i >= 0 && !slices.Contains(w.tok.seen, i) {
			w.tok.seen = append(w.tok.seen, i)
			b.termN[i]++
		}
	})
	// Sample posts.
	score := 0.0
	if m.Sentiment != nil {
		score = m.Sentiment.Score
	}
	if len(b.byReach) < postsPerMinute || reach > b.byReach[len(b.byReach)-1].Reach ||
		(neg && (len(b.byNeg) < postsPerMinute || score < b.byNeg[len(b.byNeg)-1].Score)) {
		p := Post{ID: m.ID, Author: handle, Followers: m.Author.Followers, Reach: reach, Score: score,
			Negative: neg, Employee: m.IsEmployee(), Text: truncateUTF8(m.Text, maxPostText), URL: m.URL, At: m.CreatedAt.UTC()}
		b.byReach = keepTopN(b.byReach, p, postsPerMinute, func(a, c Post) bool { return a.Reach > c.Reach })
		if neg {
			b.byNeg = keepTopN(b.byNeg, p, postsPerMinute, func(a, c Post) bool { return a.Score < c.Score })
		}
	}
}

// termIndex finds or adds a word; -1 once the minute holds
// distinctPerMinute words and this one is new.
func (b *bucket) termIndex(tok []byte) int32 {
	if i, ok := b.termIdx[string(tok)]; ok { // no allocation for a lookup
		return i
	}
	if len(b.termN) >= distinctPerMinute {
		return -1
	}
	i := int32(len(b.termN))
	b.termIdx[string(tok)] = i
	b.termN = append(b.termN, 0)
	return i
}

func normaliseTag(h string) string {
	h = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h), "#"))
	for i := 0; i < len(h); i++ {
		if c := h[i]; c >= 0x80 || ('A' <= c && c <= 'Z') {
			return strings.ToLower(h)
		}
	}
	return h
}

// keepTopN is keepTop with a bound.
func keepTopN(list []Post, p Post, n int, better func(a, b Post) bool) []Post {
	i := sort.Search(len(list), func(i int) bool { return better(p, list[i]) })
	if i >= n {
		return list
	}
	list = append(list, Post{})
	copy(list[i+1:], list[i:])
	list[i] = p
	if len(list) > n {
		list = list[:n]
	}
	return list
}

// Advance moves the watermark and returns the minutes it closes, for
// every known watch, in time order per watch and watches in name order.
// A watermark earlier than the current one is counted and ignored.
func (w *Window) Advance(watermark time.Time) []WatchMinute {
	if watermark.IsZero() {
		return nil
	}
	if !w.watermark.IsZero() && watermark.Before(w.watermark) {
		w.stats.ClockBackward++
		return nil
	}
	w.watermark = watermark
	closed := w.closedBefore()
	if w.walked && closed == w.walkedAt {
		// Within the same minute nothing closes: the stage advances at
		// every mention, and walking 1,000 watches each time cost 100 µs.
		return nil
	}
	w.walkedAt, w.walked = closed, true
	futureIdx := unixMinute(watermark.Add(w.cfg.MaxFuture))
	var out []WatchMinute
	for _, name := range w.names {
		wb := w.watches[name]
		// Buckets accepted before the first watermark may be too far ahead.
		for idx, b := range wb.buckets {
			if idx > futureIdx {
				w.stats.Future += int64(b.volume)
				w.stats.Accepted -= int64(b.volume)
				wb.release(idx, b)
			}
		}
		out = w.emit(name, wb, closed, out)
	}
	return out
}

// emit appends the minutes of watch name before closed (zeros included,
// at most MaxGap of them in a row) and releases their buckets.
func (w *Window) emit(name string, wb *watchBuckets, closed int64, out []WatchMinute) []WatchMinute {
	maxGap := int64(w.cfg.MaxGap / time.Minute)
	if !wb.started {
		wb.next, wb.started = closed, true
		for idx := range wb.buckets {
			wb.next = min(wb.next, idx)
		}
	}
	if wb.next >= closed {
		return out
	}
	// Minutes with posts, in order; zeros in between, but no more than
	// maxGap of them before the next minute with posts or the end.
	var have []int64
	for idx := range wb.buckets {
		if idx < closed {
			have = append(have, idx)
		}
	}
	sort.Slice(have, func(i, j int) bool { return have[i] < have[j] })
	emitZeros := func(from, to int64) { // [from, to)
		if to-from > maxGap {
			w.stats.SkippedEmpty += to - from - maxGap
			from = to - maxGap
		}
		for i := from; i < to; i++ {
			out = append(out, WatchMinute{Watch: name, Minute: Minute{Start: time.Unix(i*60, 0).UTC()}})
		}
	}
	cur := wb.next
	for _, idx := range have {
		emitZeros(cur, idx)
		b := wb.buckets[idx]
		out = append(out, WatchMinute{Watch: name, Minute: b.minute(idx)})
		wb.release(idx, b)
		cur = idx + 1
	}
	emitZeros(cur, closed)
	wb.next = closed
	return out
}

// pending tells, for a watch, the minutes the watermark has passed but
// the lateness still holds open: they end before until (0 when there are
// none), and hold volume posts so far.
func (w *Window) pending(name string) (until int64, volume float64) {
	wb, ok := w.watches[name]
	if !ok || !wb.started || w.watermark.IsZero() {
		return 0, 0
	}
	until = unixMinute(w.watermark)
	if until <= wb.next {
		return 0, 0
	}
	for idx, b := range wb.buckets {
		if idx >= wb.next && idx < until {
			volume += b.volume
		}
	}
	return until, volume
}

// pendingMinutes returns the pending minutes of a watch that end before
// until, zeros included, oldest first, without closing them.
func (w *Window) pendingMinutes(name string, until int64) []Minute {
	wb, ok := w.watches[name]
	if !ok || !wb.started {
		return nil
	}
	out := make([]Minute, 0, max(until-wb.next, 0))
	for idx := wb.next; idx < until; idx++ {
		if b, ok := wb.buckets[idx]; ok {
			out = append(out, b.minute(idx))
		} else {
			out = append(out, Minute{Start: time.Unix(idx*60, 0).UTC()})
		}
	}
	return out
}

// closeEarly closes the pending minutes of a watch that end before until,
// before the lateness runs out: posts for them are counted late from now.
func (w *Window) closeEarly(name string, until int64) []WatchMinute {
	wb, ok := w.watches[name]
	if !ok || !wb.started || until <= wb.next {
		return nil
	}
	n := until - wb.next
	out := w.emit(name, wb, until, nil)
	w.stats.EarlyClosed += n
	return out
}

func (wb *watchBuckets) release(idx int64, b *bucket) {
	delete(wb.buckets, idx)
	if wb.last == b {
		wb.last = nil
	}
	b.reset()
	if len(wb.free) < 4 {
		wb.free = append(wb.free, b)
	}
}

func (b *bucket) reset() {
	b.volume, b.negatives, b.reach, b.employees = 0, 0, 0, 0
	// Maps that grew large during a burst are dropped rather than kept.
	if len(b.authors) > 1024 {
		b.authors = make(map[string]authorAgg)
	} else {
		clear(b.authors)
	}
	if len(b.termN) > 1024 {
		b.termIdx, b.termN = make(map[string]int32), nil
	} else {
		clear(b.termIdx)
		b.termN = b.termN[:0]
	}
	clear(b.hashtags)
	b.byReach, b.byNeg = b.byReach[:0], b.byNeg[:0]
}

// minute turns a bucket into the detector's input.
func (b *bucket) minute(idx int64) Minute {
	m := Minute{
		Start: time.Unix(idx*60, 0).UTC(), Volume: b.volume, Negatives: b.negatives, Reach: b.reach,
		Authors: float64(len(b.authors)), Employees: b.employees,
		Terms: b.topTerms(termsPerMinute), Hashtags: topMap(b.hashtags, hashtagsPerMinute),
	}
	m.Posts = append(append(make([]Post, 0, len(b.byReach)+len(b.byNeg)), b.byReach...), b.byNeg...)
	m.Posts = dedupPosts(m.Posts)
	if len(b.authors) > 0 {
		sp := make([]Spreader, 0, len(b.authors))
		for h, a := range b.authors {
			sp = append(sp, Spreader{Handle: h, Followers: a.followers, Posts: a.posts, Reach: a.reach})
		}
		sort.Slice(sp, func(i, j int) bool {
			if sp[i].Reach != sp[j].Reach {
				return sp[i].Reach > sp[j].Reach
			}
			return sp[i].Handle < sp[j].Handle
		})
		m.Spreaders = sp[:min(spreadersPerMin, len(sp))]
	}
	return m
}

// topTerms is topMap for the indexed word counts.
func (b *bucket) topTerms(n int) map[string]int {
	if len(b.termN) == 0 {
		return nil
	}
	all := make([]TermCount, 0, len(b.termIdx))
	for k, i := range b.termIdx {
		all = append(all, TermCount{Term: k, Count: b.termN[i]})
	}
	return topOf(all, n)
}

// topMap copies the n largest counts of m into a new map (nil when empty).
func topMap(m map[string]int, n int) map[string]int {
	if len(m) == 0 {
		return nil
	}
	all := make([]TermCount, 0, len(m))
	for k, c := range m {
		all = append(all, TermCount{Term: k, Count: c})
	}
	return topOf(all, n)
}

// topOf keeps the n largest counts (ties by name) in a new map.
func topOf(all []TermCount, n int) map[string]int {
	if len(all) > n {
		sort.Slice(all, func(i, j int) bool {
			if all[i].Count != all[j].Count {
				return all[i].Count > all[j].Count
			}
			return all[i].Term < all[j].Term
		})
		all = all[:n]
	}
	out := make(map[string]int, len(all))
	for _, tc := range all {
		out[tc.Term] = tc.Count
	}
	return out
}

// allTerms is every word count of the bucket, for a snapshot.
func (b *bucket) allTerms() map[string]int {
	if len(b.termN) == 0 {
		return nil
	}
	out := make(map[string]int, len(b.termIdx))
	for k, i := range b.termIdx {
		out[k] = b.termN[i]
	}
	return out
}
