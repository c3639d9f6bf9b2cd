package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// ErrSnapshot is wrapped by every error about a snapshot that cannot be
// restored.
var ErrSnapshot = errors.New("detect: bad snapshot")

// Marshal encodes what the detector learned, its open crisis included, as
// JSON. Unmarshal on a detector of the same watch restores it: a restarted
// detector neither forgets an open crisis nor opens it again.
func (d *Detector) Marshal() ([]byte, error) {
	return json.Marshal(&d.st)
}

// Unmarshal restores a snapshot taken by Marshal. The detector keeps its
// own configuration; what the new configuration cannot reuse (the test
// windows or the step changed) is learned again, the rest is kept. On
// error the detector is unchanged.
func (d *Detector) Unmarshal(data []byte) error {
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	if err := d.adopt(&st); err != nil {
		return err
	}
	d.st = st
	d.rebuildWindows()
	d.noiseFs = d.st.Noise.factors()
	return nil
}

// adopt checks a decoded state and fits it to this detector's config.
func (d *Detector) adopt(st *state) error {
	bad := func(field, why string) error { return fmt.Errorf("%w: %s: %s", ErrSnapshot, field, why) }
	if st.Version != stateVersion {
		return bad("version", fmt.Sprintf("%d, want %d", st.Version, stateVersion))
	}
	if st.Watch != d.watch {
		return bad("watch", fmt.Sprintf("%q, want %q", st.Watch, d.watch))
	}
	if st.Steps < 0 || !finite(st.Mag) || st.Mag < 0 {
		return bad("steps", "negative or not a number")
	}
	if !st.Season.valid(d.bins) {
		if len(st.Season.Hour) == d.bins {
			return bad("season", "values out of range")
		}
		st.Season = newSeason(d.bins) // the step changed: relearn the calendar
	}
	fresh := d.freshState()
	if !equalInts(st.Scales, d.scales) {
		// Other test windows: per-window statistics start again.
		st.Scales, st.Disp, st.DispMS, st.DispN = fresh.Scales, fresh.Disp, fresh.DispMS, fresh.DispN
		st.NegDisp, st.NegDispN, st.ReachMu, st.ReachDev = fresh.NegDisp, fresh.NegDispN, fresh.ReachMu, fresh.ReachDev
		st.Ring = fresh.Ring
		st.Bar.Worst, st.Bar.Days = barStep{}, nil // sums of other windows cannot be judged again
	}
	n := len(d.scales)
	for name, v := range map[string][]float64{"disp": st.Disp, "disp_ms": st.DispMS, "disp_n": st.DispN,
		"neg_disp": st.NegDisp, "neg_disp_n": st.NegDispN, "reach_mu": st.ReachMu, "reach_dev": st.ReachDev} {
		if len(v) != n {
			return bad(name, fmt.Sprintf("%d values, want %d", len(v), n))
		}
		for _, x := range v {
			if !finite(x) || (x < 0 && name != "reach_mu") {
				return bad(name, "value out of range")
			}
		}
	}
	for name, x := range map[string]float64{"neg_sum": st.NegSum, "vol_sum": st.VolSum, "reach_sum": st.ReachSum, "reach_n": st.ReachN} {
		if !finite(x) || x < 0 {
			return bad(name, "value out of range")
		}
	}
	if !st.Ring.valid(d.scales[n-1]) {
		return bad("ring", "inconsistent")
	}
	if !finite(st.Prev) || st.Prev < 0 {
		return bad("prev", "value out of range")
	}
	if !finite(st.BarTyp) || st.BarTyp < 0 || st.BarAt < 0 || st.BarAt > st.Steps {
		return bad("bar_typ", "value out of range")
	}
	if !st.Noise.valid() {
		return bad("noise", "inconsistent")
	}
	if len(st.Noise.Day) == 0 {
		st.Noise = newNoiseProfile() // an old snapshot: learn it from now on
	}
	if !st.Bar.valid(n) {
		return bad("bar", "value out of range")
	}
	if len(st.Recent) > d.termSteps {
		st.Recent = st.Recent[len(st.Recent)-d.termSteps:]
	}
	if st.Memory.Terms == nil {
		st.Memory.Terms = make(map[string]termStat)
	}
	if !finite(st.Memory.Posts) || st.Memory.Posts < 0 {
		return bad("memory.posts", "value out of range")
	}
	for k, ts := range st.Memory.Terms {
		if !finite(ts.Count) || ts.Count < 0 {
			return bad("memory.terms."+k, "value out of range")
		}
	}
	if len(st.Memory.Terms) > maxTermMemory {
		st.Memory.prune(st.Steps, d.termHL)
	}
	for name, c := range map[string]*crisis{"crisis": st.Crisis, "resolved": st.Resolved} {
		if c == nil {
			continue
		}
		switch {
		case c.ID == "" || c.OpenedAt.IsZero():
			return bad(name, "no id or opening time")
		case c.Severity < 1 || c.Severity > 5 || c.Peak < c.Severity || c.Peak > 5:
			return bad(name+".severity", fmt.Sprintf("%d (peak %d), want 1..5", c.Severity, c.Peak))
		case len(c.DispMS) != 0 && len(c.DispMS) != n:
			return bad(name+".disp_ms", fmt.Sprintf("%d values, want %d", len(c.DispMS), n))
		case !nonNegative(c.DispMS):
			return bad(name+".disp_ms", "value out of range")
		case !finite(c.Volume) || !finite(c.Negatives) || !finite(c.Employees) || c.Volume < 0 || c.Negatives < 0 || c.Employees < 0:
			return bad(name+".volume", "value out of range")
		}
	}
	return nil
}

// nonNegative reports whether every value is a finite number >= 0.
func nonNegative(v []float64) bool {
	for _, x := range v {
		if !finite(x) || x < 0 {
			return false
		}
	}
	return true
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// engineSnapshot is the JSON form of an Engine.
type engineSnapshot struct {
	Version   int                        `json:"version"`
	Watermark time.Time                  `json:"watermark,omitzero"`
	Stats     WindowStats                `json:"stats"`
	Watches   map[string]watchSnapshot   `json:"watches"`
	Detectors map[string]json.RawMessage `json:"detectors"`
}

type watchSnapshot struct {
	Next    int64            `json:"next"`
	Started bool             `json:"started"`
	Buckets []bucketSnapshot `json:"buckets,omitempty"`
}

type bucketSnapshot struct {
	Minute    int64               `json:"minute"`
	Volume    float64             `json:"volume"`
	Negatives float64             `json:"negatives"`
	Reach     float64             `json:"reach"`
	Employees float64             `json:"employees"`
	Authors   map[string][3]int64 `json:"authors,omitempty"` // posts, followers, reach
	Terms     map[string]int      `json:"terms,omitempty"`
	Hashtags  map[string]int      `json:"hashtags,omitempty"`
	ByReach   []Post              `json:"by_reach,omitempty"`
	ByNeg     []Post              `json:"by_neg,omitempty"`
}

const engineSnapshotVersion = 1

// Snapshot encodes the whole engine as JSON: the watermark, the minutes
// not closed yet (so no counted post is lost) and every detector.
func (e *Engine) Snapshot() ([]byte, error) {
	s := engineSnapshot{Version: engineSnapshotVersion, Watermark: e.window.watermark, Stats: e.window.stats,
		Watches: make(map[string]watchSnapshot, len(e.window.watches)), Detectors: make(map[string]json.RawMessage, len(e.detectors))}
	for name, wb := range e.window.watches {
		ws := watchSnapshot{Next: wb.next, Started: wb.started}
		for idx, b := range wb.buckets {
			bs := bucketSnapshot{Minute: idx, Volume: b.volume, Negatives: b.negatives, Reach: b.reach, Employees: b.employees,
				Terms: b.allTerms(), Hashtags: b.hashtags, ByReach: b.byReach, ByNeg: b.byNeg}
			if len(b.authors) > 0 {
				bs.Authors = make(map[string][3]int64, len(b.authors))
				for h, a := range b.authors {
					bs.Authors[h] = [3]int64{int64(a.posts), a.followers, a.reach}
				}
			}
			ws.Buckets = append(ws.Buckets, bs)
		}
		sort.Slice(ws.Buckets, func(i, j int) bool { return ws.Buckets[i].Minute < ws.Buckets[j].Minute })
		s.Watches[name] = ws
	}
	for name, d := range e.detectors {
		raw, err := d.Marshal()
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", name, err)
		}
		s.Detectors[name] = raw
	}
	return json.Marshal(&s)
}

// Restore replaces the engine's state with a snapshot. Watches keep the
// engine's configuration. On error the engine is unchanged.
func (e *Engine) Restore(data []byte) error {
	var s engineSnapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	if s.Version != engineSnapshotVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrSnapshot, s.Version, engineSnapshotVersion)
	}
	fresh, err := NewEngine(e.cfg)
	if err != nil {
		return err
	}
	w := fresh.window
	w.watermark, w.stats = s.Watermark, s.Stats
	for _, name := range sortedKeys(s.Watches) {
		if name == "" {
			return fmt.Errorf("%w: watches: empty watch name", ErrSnapshot)
		}
		ws := s.Watches[name]
		wb := w.watchOf(name)
		wb.next, wb.started = ws.Next, ws.Started
		for _, bs := range ws.Buckets {
			if !finite(bs.Volume) || !finite(bs.Negatives) || !finite(bs.Reach) || !finite(bs.Employees) ||
				bs.Volume < 0 || bs.Negatives < 0 || bs.Reach < 0 || bs.Employees < 0 {
				return fmt.Errorf("%w: watches.%s: minute %d: count out of range", ErrSnapshot, name, bs.Minute)
			}
			if _, dup := wb.buckets[bs.Minute]; dup {
				return fmt.Errorf("%w: watches.%s: minute %d twice", ErrSnapshot, name, bs.Minute)
			}
			b := wb.bucket(bs.Minute)
			b.volume, b.negatives, b.reach, b.employees = bs.Volume, bs.Negatives, bs.Reach, bs.Employees
			for h, a := range bs.Authors {
				b.authors[h] = authorAgg{posts: int(a[0]), followers: a[1], reach: a[2]}
			}
			for k, n := range bs.Terms {
				if i := b.termIndex([]byte(k)); i >= 0 {
					b.termN[i] = n
				}
			}
			for k, n := range bs.Hashtags {
				b.hashtags[k] = n
			}
			b.byReach, b.byNeg = bs.ByReach, bs.ByNeg
		}
	}
	for _, name := range sortedKeys(s.Detectors) {
		d, err := fresh.detector(name)
		if err != nil {
			return err
		}
		if err := d.Unmarshal(s.Detectors[name]); err != nil {
			return fmt.Errorf("watch %s: %w", name, err)
		}
		w.Watch(name)
	}
	*e = *fresh
	return nil
}
