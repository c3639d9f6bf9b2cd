package detect

import (
	"math"
	"sort"
	"time"
)

// Bounds on what an open crisis remembers to explain itself.
const (
	maxCrisisTerms     = 256
	maxCrisisSpreaders = 256
	topN               = 5
	maxPostText        = 500 // bytes of a sample post kept
	minLift            = 2   // a term must be this many times more frequent than usual to be called rising
)

// crisis is an open crisis of one watch.
type crisis struct {
	ID          string              `json:"id"`
	OpenedAt    time.Time           `json:"opened_at"`
	Drop        bool                `json:"drop,omitempty"` // opened on a drop, not a surge
	Severity    int                 `json:"severity"`
	Peak        int                 `json:"peak"`
	LowerSince  time.Time           `json:"lower_since,omitzero"` // since when a lower severity holds
	CalmSince   time.Time           `json:"calm_since,omitzero"`  // since when the evidence is below resolve_score
	Volume      float64             `json:"volume"`
	Negatives   float64             `json:"negatives"`
	Employees   float64             `json:"employees"`
	Terms       map[string]int      `json:"terms,omitempty"`
	Hashtags    map[string]int      `json:"hashtags,omitempty"`
	ByReach     []Post              `json:"by_reach,omitempty"`
	ByNegative  []Post              `json:"by_negative,omitempty"`
	Spreaders   map[string]Spreader `json:"spreaders,omitempty"`
	LastSignals []Signal            `json:"last_signals,omitempty"`
	Reopened    int                 `json:"reopened,omitempty"`   // flare-ups after a resolution
	ResolvedAt  time.Time           `json:"resolved_at,omitzero"` // last resolution, while it may reopen
	// DispMS is the mean squared residual of each window when the crisis
	// opened, restored if the crisis becomes the new normal.
	DispMS []float64 `json:"disp_ms,omitempty"`
}

// lifecycle opens, updates and resolves the crisis after a step's test.
func (d *Detector) lifecycle(m Minute, v *Verdict, ev evaluation) *Event {
	c := d.st.Crisis
	if c == nil {
		if last := d.st.Resolved; last != nil && m.Start.Sub(last.ResolvedAt) > d.cfg.ReopenWithin {
			d.st.Resolved = nil // too old to flare up again
		}
		if !d.mayOpen(v, ev) {
			return nil
		}
		if last := d.st.Resolved; last != nil {
			// A flare-up soon after the end is the same crisis: same id,
			// same thread, its explanation goes on.
			c = last
			c.Reopened++
			c.ResolvedAt, c.CalmSince, c.LowerSince = time.Time{}, time.Time{}, time.Time{}
			c.absorb(d.st.Recent[len(d.st.Recent)-1])
		} else {
			c = &crisis{ID: crisisID(d.watch, m.Start), OpenedAt: m.Start, Drop: ev.volDown > ev.volUp}
			// The steps that led to the opening are part of the crisis.
			for _, dt := range d.st.Recent {
				c.absorb(dt)
			}
		}
		c.DispMS = append(c.DispMS[:0], d.st.DispMS...)
		c.Severity = d.severity(ev)
		c.Peak = max(c.Peak, c.Severity)
		c.LastSignals = ev.signals
		d.st.Crisis, d.st.Resolved = c, nil
		return d.event(StatusOpen, m.Start, ev)
	}

	c.absorb(d.st.Recent[len(d.st.Recent)-1])
	c.LastSignals = ev.signals
	// Resolution: the evidence must stay below resolve_score for
	// resolve_after. On a series whose ordinary days raise the opening bar
	// (routine bursts), the resolving bar rises in proportion: otherwise
	// the next routine burst keeps the crisis open for days.
	if ev.score < d.cfg.ResolveScore*v.Threshold/d.cfg.OpenScore {
		if c.CalmSince.IsZero() {
			c.CalmSince = m.Start
		}
		if m.Start.Sub(c.CalmSince) >= d.cfg.ResolveAfter {
			e := d.event(StatusResolved, m.Start, ev)
			c.ResolvedAt = m.Start
			d.st.Crisis, d.st.Resolved = nil, c
			return e
		}
	} else {
		c.CalmSince = time.Time{}
	}
	// Severity: up at once, down once the lower level has held for calm_down.
	sev := d.severity(ev)
	switch {
	case sev > c.Severity:
		c.Severity, c.LowerSince = sev, time.Time{}
		c.Peak = max(c.Peak, sev)
		return d.event(StatusUpdate, m.Start, ev)
	case sev < c.Severity:
		if c.LowerSince.IsZero() {
			c.LowerSince = m.Start
		}
		if m.Start.Sub(c.LowerSince) >= d.cfg.CalmDown {
			c.Severity, c.LowerSince = sev, time.Time{}
			return d.event(StatusUpdate, m.Start, ev)
		}
	default:
		c.LowerSince = time.Time{}
	}
	return nil
}

func (d *Detector) mayOpen(v *Verdict, ev evaluation) bool {
	if v.WarmUp || ev.score < v.Threshold {
		return false
	}
	if d.cfg.Continuous {
		return true
	}
	if ev.volDown > ev.volUp {
		return ev.big.mu >= d.cfg.MinMentions
	}
	return ev.big.y >= d.cfg.MinMentions
}

// severity grades a crisis 1..5 from how far the volume is from normal,
// one more when most of it is negative.
func (d *Detector) severity(ev evaluation) int {
	r := ev.ratio
	sev := 1
	for _, th := range [...]float64{3, 6, 12, 25} {
		if r >= th {
			sev++
		}
	}
	if ev.negScore >= d.cfg.OpenScore/2 && ev.negShare >= 0.5 {
		sev++
	}
	return min(sev, 5)
}

func crisisID(watch string, t time.Time) string {
	return watch + "/" + t.UTC().Format("20060102T1504Z")
}

// absorb adds one step's detail to the crisis' explanation.
func (c *crisis) absorb(dt detail) {
	c.Volume += dt.Volume
	c.Negatives += dt.Negatives
	c.Employees += dt.Employees
	c.Terms = mergeCounts(c.Terms, dt.Terms)
	c.Hashtags = mergeCounts(c.Hashtags, dt.Hashtags)
	for _, p := range dt.Posts {
		if len(p.Text) > maxPostText {
			p.Text = truncateUTF8(p.Text, maxPostText)
		}
		c.ByReach = keepTop(c.ByReach, p, func(a, b Post) bool { return a.Reach > b.Reach })
		if p.Negative {
			c.ByNegative = keepTop(c.ByNegative, p, func(a, b Post) bool { return a.Score < b.Score })
		}
	}
	if len(dt.Spreaders) > 0 && c.Spreaders == nil {
		c.Spreaders = make(map[string]Spreader)
	}
	for _, s := range dt.Spreaders {
		cur := c.Spreaders[s.Handle]
		cur.Handle = s.Handle
		cur.Followers = max(cur.Followers, s.Followers)
		cur.Posts += s.Posts
		cur.Reach += s.Reach
		c.Spreaders[s.Handle] = cur
	}
	if len(c.Spreaders) > maxCrisisSpreaders {
		all := sortedSpreaders(c.Spreaders)
		for _, s := range all[maxCrisisSpreaders/2:] {
			delete(c.Spreaders, s.Handle)
		}
	}
}

// mergeCounts adds src into dst, keeping at most maxCrisisTerms entries.
func mergeCounts(dst, src map[string]int) map[string]int {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]int, len(src))
	}
	for k, n := range src {
		dst[k] += n
	}
	if len(dst) > maxCrisisTerms {
		for _, tc := range topCounts(dst, len(dst))[maxCrisisTerms/2:] {
			delete(dst, tc.Term)
		}
	}
	return dst
}

// keepTop inserts p into a list of at most topN posts ordered by better,
// ignoring a post already there.
func keepTop(list []Post, p Post, better func(a, b Post) bool) []Post {
	for _, q := range list {
		if q.ID == p.ID && p.ID != "" {
			return list
		}
	}
	return keepTopN(list, p, topN, better)
}

func sortedSpreaders(m map[string]Spreader) []Spreader {
	all := make([]Spreader, 0, len(m))
	for _, s := range m {
		all = append(all, s)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Reach != all[j].Reach {
			return all[i].Reach > all[j].Reach
		}
		return all[i].Handle < all[j].Handle
	})
	return all
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// event builds the event of the current crisis at time t.
func (d *Detector) event(status string, t time.Time, ev evaluation) *Event {
	c := d.st.Crisis
	e := &Event{
		ID: c.ID, Watch: d.watch, Status: status, Severity: c.Severity, PeakSeverity: c.Peak,
		OpenedAt: c.OpenedAt, At: t, Observed: ev.explain.y, Expected: ev.explain.mu,
		Window: time.Duration(d.scales[ev.bigK]) * d.cfg.Step,
		Score:  ev.score, Signals: append([]Signal(nil), ev.signals...), Mentions: c.Volume,
		Drill: d.cfg.Drill, Reopened: c.Reopened > 0,
	}
	if c.Volume > 0 {
		e.NegativeShare = c.Negatives / c.Volume
		e.EmployeeShare = c.Employees / c.Volume
	}
	e.TopTerms = d.surging(c.Terms, "")
	e.TopHashtags = d.surging(c.Hashtags, "#")
	e.TopPosts = append(append([]Post(nil), c.ByReach...), c.ByNegative...)
	e.TopPosts = dedupPosts(e.TopPosts)
	if sp := sortedSpreaders(c.Spreaders); len(sp) > 0 {
		e.TopSpreaders = sp[:min(topN, len(sp))]
	}
	e.Summary = d.summary(e, c)
	return e
}

// surging ranks a crisis' terms by how much more frequent they are than
// usual, keeping those used by at least minTermMentions mentions.
func (d *Detector) surging(counts map[string]int, prefix string) []TermCount {
	c := d.st.Crisis
	var out []TermCount
	for k, n := range counts {
		if n < minTermMentions || c.Volume <= 0 {
			continue
		}
		q := d.st.Memory.share(prefix+k, d.st.Steps, d.termHL)
		lift := float64(n) / (c.Volume * q)
		if lift < minLift {
			continue
		}
		out = append(out, TermCount{Term: k, Count: n, Lift: math.Round(10*lift) / 10})
	}
	sort.Slice(out, func(i, j int) bool {
		si, sj := float64(out[i].Count)*math.Log(out[i].Lift), float64(out[j].Count)*math.Log(out[j].Lift)
		if si != sj {
			return si > sj
		}
		return out[i].Term < out[j].Term
	})
	if len(out) > topN {
		out = out[:topN]
	}
	return out
}

func dedupPosts(ps []Post) []Post {
	seen := make(map[string]bool, len(ps))
	out := ps[:0]
	for _, p := range ps {
		if p.ID != "" && seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		out = append(out, p)
	}
	return out
}
