package detect

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Model constants that are not worth a setting.
const (
	winsorSigmas   = 4.0   // observations beyond this many sd are clipped before the baseline learns them
	dispClip       = 5.0   // a residual counts at most this many times the current mean absolute residual
	msClip         = 100.0 // a squared residual counts at most this many times the current mean square
	tailShare      = 16.0  // the mean square may exceed the bulk's variance this many times before it widens the test
	countDispPrior = 5.0   // count series start as Poisson, worth this many observations
	negSharePrior  = 20.0  // mentions' worth of prior on the negative share
	negSharePrior0 = 0.15  // prior negative share
	termWindow     = 15 * time.Minute
	dispHalfLife   = 3 * 24 * time.Hour // dispersion, negative share and reach spread
	minReachDev    = 0.25               // floor of the reach signal's spread, in log units
	minPrimary     = 2.0                // volume or negativity evidence needed before reach and new terms count
	relNoiseFloor  = 1e-3               // for measurements: the noise is at least this fraction of the typical magnitude
	countRateFloor = 1e-4               // for counts: the expected rate is at least this many per minute
)

// Detector watches one series: it learns a calendar baseline, tests each
// step against it and runs the crisis lifecycle. It is not safe for
// concurrent use; the Engine serialises calls per watch.
type Detector struct {
	watch     string
	cfg       Config
	loc       *time.Location
	scales    []int // test windows in steps, ascending, distinct
	termSteps int   // steps in the new-term window
	bins      int   // time-of-day profile bins
	rates     seasonRates
	fastLevel float64   // level rate once a crisis is taken as the new normal
	aDisp     float64   // dispersion and share rate
	termHL    float64   // term memory half-life, in steps
	noiseF    float64   // how noisy the hour of the step being judged is (noise profile)
	noiseFs   []float64 // the noise profile's hourly factors (derived from st.Noise)
	st        state
	termWin   map[string]int // term counts over the recent steps (derived from st.Recent)
	tagWin    map[string]int
}

// state is everything a Detector learned; it is what a snapshot holds.
type state struct {
	Version  int        `json:"version"`
	Watch    string     `json:"watch"`
	Scales   []int      `json:"scales"`
	Last     time.Time  `json:"last"`
	Steps    int64      `json:"steps"`
	Mag      float64    `json:"mag"` // typical magnitude of the series (measurements)
	Season   season     `json:"season"`
	Disp     []float64  `json:"disp"`    // mean absolute Pearson residual of the volume, per window
	DispMS   []float64  `json:"disp_ms"` // mean squared Pearson residual, crises included
	DispN    []float64  `json:"disp_n"`
	NegDisp  []float64  `json:"neg_disp"`
	NegDispN []float64  `json:"neg_disp_n"`
	NegSum   float64    `json:"neg_sum"`
	VolSum   float64    `json:"vol_sum"`
	ReachSum float64    `json:"reach_sum"`
	ReachMu  []float64  `json:"reach_mu"`
	ReachDev []float64  `json:"reach_dev"`
	ReachN   float64    `json:"reach_n"`
	HasNeg   bool       `json:"has_neg"`
	HasReach bool       `json:"has_reach"`
	Ring     ring       `json:"ring"`
	Recent   []detail   `json:"recent"` // last termSteps steps, oldest first
	Memory   termMemory `json:"memory"`
	// Noise is how noisy each hour of the day is (empty in old snapshots);
	// Prev is the previous step's volume, when there is one (HasPrev).
	Noise   noiseProfile `json:"noise,omitzero"`
	Prev    float64      `json:"prev,omitempty"`
	HasPrev bool         `json:"has_prev,omitempty"`
	Bar     bar          `json:"bar"`
	// BarTyp is the bar's typical daily maximum as last judged again, at
	// step BarAt (0: to be judged at the next step).
	BarTyp   float64 `json:"bar_typ,omitempty"`
	BarAt    int64   `json:"bar_at,omitempty"`
	Crisis   *crisis `json:"crisis,omitempty"`
	Resolved *crisis `json:"resolved,omitempty"` // the last crisis, while it may still reopen
}

// detail is the part of a recent step that explains an event.
type detail struct {
	Terms     map[string]int `json:"terms,omitempty"`
	Hashtags  map[string]int `json:"hashtags,omitempty"`
	Posts     []Post         `json:"posts,omitempty"`
	Spreaders []Spreader     `json:"spreaders,omitempty"`
	Volume    float64        `json:"volume"`
	Negatives float64        `json:"negatives"`
	Employees float64        `json:"employees"`
}

const stateVersion = 1

// NewDetector returns a detector for one watch. It applies the defaults
// to a copy of cfg and validates it.
func NewDetector(watch string, cfg Config) (*Detector, error) {
	cfg.Windows = append([]time.Duration(nil), cfg.Windows...)
	cfg.ExpectedEvents = append([]Expected(nil), cfg.ExpectedEvents...)
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, &ConfigError{"time_zone", err.Error()}
	}
	d := &Detector{watch: watch, cfg: cfg, loc: loc}
	step := float64(cfg.Step)
	seen := map[int]bool{}
	for _, w := range cfg.Windows {
		n := int(math.Round(float64(w) / step))
		if n < 1 {
			n = 1
		}
		if !seen[n] {
			seen[n] = true
			d.scales = append(d.scales, n)
		}
	}
	sort.Ints(d.scales)
	d.termSteps = max(1, int(math.Round(float64(termWindow)/step)))
	d.bins = hourBins(cfg.Step)
	perDayPerBin := float64(24*time.Hour) / float64(d.bins) / step // updates a time-of-day bin gets per day
	d.rates = seasonRates{
		level: halfLifeAlpha(float64(cfg.LevelHalfLife), step),
		hour:  halfLifeAlpha(float64(cfg.SeasonHalfLife)/float64(24*time.Hour)*perDayPerBin, 1),
		day:   halfLifeAlpha(3*float64(cfg.SeasonHalfLife)/float64(7*24*time.Hour)*float64(24*time.Hour)/step, 1),
	}
	// A week bin (one hour of the week) gets an hour of updates a week and
	// forgets over three season half-lives, like the day profile.
	d.rates.weekUpdates = float64(time.Hour) / step
	d.rates.week = halfLifeAlpha(3*float64(cfg.SeasonHalfLife)/float64(7*24*time.Hour)*d.rates.weekUpdates, 1)
	d.fastLevel = halfLifeAlpha(float64(cfg.ResolveAfter)/4, step)
	d.aDisp = halfLifeAlpha(float64(dispHalfLife), step)
	d.termHL = float64(cfg.SeasonHalfLife) / step
	d.noiseF = 1
	d.st = d.freshState()
	d.rebuildWindows()
	d.noiseFs = d.st.Noise.factors()
	return d, nil
}

func (d *Detector) freshState() state {
	n := len(d.scales)
	st := state{
		Version: stateVersion, Watch: d.watch, Scales: append([]int(nil), d.scales...),
		Season: newSeason(d.bins), Disp: make([]float64, n), DispN: make([]float64, n), DispMS: make([]float64, n),
		NegDisp: make([]float64, n), NegDispN: make([]float64, n),
		ReachMu: make([]float64, n), ReachDev: make([]float64, n),
		Ring: newRing(d.scales[n-1]), Memory: newTermMemory(), Noise: newNoiseProfile(),
	}
	for i := range st.Disp {
		st.NegDisp[i], st.NegDispN[i] = 1, countDispPrior
		if !d.cfg.Continuous {
			st.Disp[i], st.DispN[i] = math.Sqrt(2/math.Pi), countDispPrior // Poisson
		}
	}
	return st
}

// Watch is the watch this detector serves.
func (d *Detector) Watch() string { return d.watch }

// Config is the detector's effective configuration, defaults applied.
func (d *Detector) Config() Config {
	c := d.cfg
	c.Windows = append([]time.Duration(nil), c.Windows...)
	c.ExpectedEvents = append([]Expected(nil), c.ExpectedEvents...)
	return c
}

// Seed warms the detector up from history, oldest first. It learns as
// Step does (a crisis in the history is kept out of the baseline) but
// emits nothing, and leaves no crisis open: one still running at the end
// of the history opens again, with an event, at the next Step.
func (d *Detector) Seed(history []Minute) {
	for _, m := range history {
		d.step(m)
	}
	d.st.Crisis, d.st.Resolved = nil, nil
}

// wouldOpen reports whether stepping through mins would open a crisis,
// on a copy: the detector itself is unchanged.
func (d *Detector) wouldOpen(mins []Minute) bool {
	if len(mins) == 0 {
		return false
	}
	c := d.clone()
	for _, m := range mins {
		if _, ev := c.Step(m); ev != nil && ev.Status == StatusOpen {
			return true
		}
	}
	return false
}

// Step reads one step. Steps must come in time order; a step that is not
// after the previous one is ignored (Verdict.Ignored says why). A gap
// longer than the longest window restarts the windows.
func (d *Detector) Step(m Minute) (Verdict, *Event) { return d.step(m) }

func (d *Detector) step(m Minute) (Verdict, *Event) {
	v := Verdict{At: m.Start}
	switch {
	case m.Start.IsZero():
		v.Ignored = "no start time"
		return v, nil
	case !d.st.Last.IsZero() && !m.Start.After(d.st.Last):
		v.Ignored = fmt.Sprintf("not after the previous step (%s)", d.st.Last.Format(time.RFC3339))
		return v, nil
	case !finite(m.Volume):
		v.Ignored = "volume is not a number"
		return v, nil
	}
	y, neg, reach := clean(m.Volume), clean(m.Negatives), clean(m.Reach)
	if neg > y && !d.cfg.Continuous {
		neg = y
	}
	if !d.st.Last.IsZero() && m.Start.Sub(d.st.Last) > time.Duration(d.st.Ring.capacity())*d.cfg.Step {
		d.st.Ring.reset()
		d.st.Recent = d.st.Recent[:0]
		d.st.HasPrev = false
		d.rebuildWindows()
	}
	d.st.Last = m.Start
	d.st.Steps++
	d.st.HasNeg = d.st.HasNeg || neg > 0
	d.st.HasReach = d.st.HasReach || reach > 0
	if d.cfg.Continuous {
		a := math.Max(d.aDisp, 1/float64(d.st.Steps))
		d.st.Mag += a * (math.Abs(y) - d.st.Mag)
	}

	pos := positionOf(m.Start, d.loc, d.bins)
	base := math.Max(d.st.Season.expect(pos, d.rates), d.rateFloor())
	factor, note := d.cfg.expectedFactor(m.Start)
	mu := base * factor
	v.Observed, v.Expected, v.Planned = y, mu, note
	d.st.Ring.push(y, mu, neg, reach)
	d.pushRecent(m, y, neg)

	sums := make([]windowSums, len(d.scales))
	for k, w := range d.scales {
		sums[k] = d.st.Ring.sums(w)
	}
	d.noiseF = noiseAt(d.noiseFs, m.Start, d.loc)
	ev := d.evaluate(sums)
	v.Signals, v.Score = ev.signals, ev.score
	d.judgeBar()
	v.Threshold = d.threshold()
	v.Graded = v.Score / (v.Score + v.Threshold)
	v.WarmUp = time.Duration(d.st.Steps)*d.cfg.Step < d.cfg.WarmUp

	event := d.lifecycle(m, &v, ev)
	if !v.WarmUp {
		if d.st.Bar.observe(m.Start, v.Score, math.Max(ev.volUp, ev.volDown), sums) {
			d.st.BarAt = 0 // a day was recorded: judge the bar again
		}
		// The noise of each hour is measured once the calendar has seen
		// every hour (after the warm-up), outside planned events.
		if factor == 1 && base > 0 && d.st.Noise.observe(m.Start, d.loc, d.noiseChange(y, base)) {
			d.noiseFs = d.st.Noise.factors()
		}
	}
	d.learn(pos, y, base, factor > 1, sums, m)
	d.st.Prev, d.st.HasPrev = y, true
	if d.st.Crisis != nil {
		v.Open, v.Severity = true, d.st.Crisis.Severity
	}
	return v, event
}

// threshold is the score that opens a crisis now: the preset, raised to
// the typical daily maximum plus the margin. The margin is in √score (in
// standard deviations of a calibrated test) and, for a series whose
// ordinary days score far above the preset (routine bursts, whose score
// grows with their size), in proportion: a crisis must also be 1 +
// margin/2 times as improbable, in orders of magnitude, as a typical
// day's worst step.
func (d *Detector) threshold() float64 {
	r := math.Sqrt(d.st.BarTyp) + d.cfg.Margin
	return math.Max(d.cfg.OpenScore, math.Max(r*r, d.st.BarTyp*(1+d.cfg.Margin/2)))
}

// judgeBar judges the recorded days' worst steps again with the noise the
// model knows now, once an hour and whenever a day is recorded: the noise
// moves slowly, and judging seven days at every step would cost more than
// the step.
func (d *Detector) judgeBar() {
	every := max(int64(time.Hour/d.cfg.Step), 1)
	if d.st.BarAt > 0 && d.st.Steps-d.st.BarAt < every {
		return
	}
	d.st.BarTyp = d.st.Bar.typical(d.rejudge)
	d.st.BarAt = d.st.Steps
}

// rejudge is the score a day's worst step would get now: its volume part
// tested again with the current noise (its hour's included), the rest
// (negativity, reach, new terms) as it was.
func (d *Detector) rejudge(score float64, st barStep) float64 {
	f := d.noiseF
	defer func() { d.noiseF = f }()
	d.noiseF = 1
	if !st.T.IsZero() {
		d.noiseF = noiseAt(d.noiseFs, st.T, d.loc)
	}
	up, down, _, _ := d.volumeScores(st.sums())
	return math.Max(0, score-st.Vol+math.Max(up, down))
}

// noiseChange is the step's change from the previous one, in Pearson
// units of the expectation: what the noise profile measures. A change,
// unlike a residual, ignores a bias the calendar keeps at some hour (a
// burst it learned into that hour's mean), which is not noise.
func (d *Detector) noiseChange(y, base float64) float64 {
	if !d.st.HasPrev {
		return 0
	}
	return math.Abs(y-d.st.Prev) / math.Sqrt(base)
}

// maxValue bounds the inputs: beyond it squares and sums would overflow.
const maxValue = 1e15

func clean(x float64) float64 {
	if !finite(x) || x < 0 {
		return 0
	}
	return math.Min(x, maxValue)
}

// rateFloor keeps expectations away from zero, where any post would be
// infinitely surprising.
func (d *Detector) rateFloor() float64 {
	if d.cfg.Continuous {
		return relNoiseFloor*d.st.Mag + 1e-12
	}
	return countRateFloor * float64(d.cfg.Step) / float64(time.Minute)
}

// pushRecent keeps the detail of the last termSteps steps and the sliding
// term counts over them.
func (d *Detector) pushRecent(m Minute, y, neg float64) {
	dt := detail{Terms: cleanCounts(m.Terms), Hashtags: cleanCounts(m.Hashtags), Posts: m.Posts, Spreaders: m.Spreaders,
		Volume: y, Negatives: neg, Employees: clean(m.Employees)}
	if len(d.st.Recent) >= d.termSteps {
		old := d.st.Recent[0]
		addCounts(d.termWin, old.Terms, -1)
		addCounts(d.tagWin, old.Hashtags, -1)
		copy(d.st.Recent, d.st.Recent[1:])
		d.st.Recent = d.st.Recent[:len(d.st.Recent)-1]
	}
	d.st.Recent = append(d.st.Recent, dt)
	addCounts(d.termWin, dt.Terms, 1)
	addCounts(d.tagWin, dt.Hashtags, 1)
}

// cleanCounts drops empty words and counts below one; it copies the map
// only when something must go.
func cleanCounts(m map[string]int) map[string]int {
	bad := false
	for k, n := range m {
		if k == "" || n <= 0 {
			bad = true
			break
		}
	}
	if !bad {
		return m
	}
	out := make(map[string]int, len(m))
	for k, n := range m {
		if k != "" && n > 0 {
			out[k] = n
		}
	}
	return out
}

func (d *Detector) rebuildWindows() {
	d.termWin, d.tagWin = make(map[string]int), make(map[string]int)
	for _, dt := range d.st.Recent {
		addCounts(d.termWin, dt.Terms, 1)
		addCounts(d.tagWin, dt.Hashtags, 1)
	}
}

// learn updates the baseline after the test, so a step never explains
// itself. Outliers are clipped; nothing is learned during a crisis or a
// planned event, except that a crisis older than AdaptAfter becomes the
// new normal (and the noise measured against the old level is forgotten).
func (d *Detector) learn(pos position, y, base float64, planned bool, sums []windowSums, m Minute) {
	// Until the baseline has seen a step, the test had nothing to compare
	// with: that residual measured the series' level, not its noise.
	known := d.st.Season.LevelN > 0
	c := d.st.Crisis
	adapting := c != nil && m.Start.Sub(c.OpenedAt) >= d.cfg.AdaptAfter
	if adapting && len(c.DispMS) == len(d.st.DispMS) {
		// The crisis is the new normal: the residuals it left in the mean
		// square measured a level that is gone, not noise.
		copy(d.st.DispMS, c.DispMS)
		c.DispMS = nil
	}
	if !planned && known {
		// The mean square learns from every step, crises included, so
		// routine bursts widen the test and their scores stay stable.
		for k, s := range sums {
			if s.n < d.scales[k] || !(s.mu > 0) {
				continue
			}
			r2 := (s.y - s.mu) * (s.y - s.mu) / s.mu / d.noiseF
			if d.st.DispN[k] > 2*countDispPrior {
				r2 = math.Min(r2, msClip*math.Max(d.st.DispMS[k], math.Pi/2*d.st.Disp[k]*d.st.Disp[k]))
			}
			a := math.Max(d.aDisp, 1/(d.st.DispN[k]+1))
			d.st.DispMS[k] += a * (r2 - d.st.DispMS[k])
		}
	}
	if planned || (c != nil && !adapting) {
		return
	}
	if adapting {
		d.st.Season.update(pos, y, seasonRates{level: d.fastLevel, weekUpdates: d.rates.weekUpdates})
		return
	}
	yc := y
	if d.st.DispN[0] > 2*countDispPrior {
		// Outliers are clipped once the noise is known, not before: an
		// estimate still learning would clip the level itself.
		sd := math.Sqrt(d.dispersion(0, windowSums{mu: base, n: 1}) * base)
		hi, lo := base+winsorSigmas*sd, base-winsorSigmas*sd
		if !d.cfg.Continuous {
			hi = math.Max(hi, base+winsorSigmas)
		}
		yc = math.Min(math.Max(y, lo), hi)
	}
	d.st.Season.update(pos, yc, d.rates)

	for k, s := range sums {
		if !known || s.n < d.scales[k] || !(s.mu > 0) {
			continue
		}
		r := math.Abs(s.y-s.mu) / math.Sqrt(s.mu*d.noiseF)
		if d.st.DispN[k] > 2*countDispPrior {
			r = math.Min(r, dispClip*d.st.Disp[k])
		}
		a := math.Max(d.aDisp, 1/(d.st.DispN[k]+1))
		d.st.Disp[k] += a * (r - d.st.Disp[k])
		d.st.DispN[k]++
	}
	if d.cfg.Continuous {
		return
	}
	// Negative share, reach and term frequencies.
	share := d.negShare()
	keep := 1 - d.aDisp
	if d.st.HasNeg {
		for k, s := range sums {
			if s.n < d.scales[k] || s.y < 1 || share <= 0 || share >= 1 {
				continue
			}
			r2 := (s.neg - s.y*share) * (s.neg - s.y*share) / (s.y * share * (1 - share))
			r2 = math.Min(r2, dispClip*d.st.NegDisp[k])
			d.st.NegDisp[k] += d.aDisp * (r2 - d.st.NegDisp[k])
			d.st.NegDispN[k]++
		}
	}
	neg := clean(m.Negatives)
	d.st.NegSum = d.st.NegSum*keep + math.Min(neg, y)
	d.st.VolSum = d.st.VolSum*keep + y
	d.st.ReachSum = d.st.ReachSum*keep + clean(m.Reach)
	if d.st.HasReach && d.st.VolSum > 0 {
		rho := math.Max(d.st.ReachSum/d.st.VolSum, 1)
		a := math.Max(d.aDisp, 1/(d.st.ReachN+1))
		for k, s := range sums {
			u := math.Log1p(s.reach/rho) - math.Log1p(s.y)
			dev := math.Abs(u - d.st.ReachMu[k])
			if d.st.ReachN > 10 {
				dev = math.Min(dev, 5*math.Max(d.st.ReachDev[k], minReachDev))
				u = d.st.ReachMu[k] + math.Copysign(math.Min(math.Abs(u-d.st.ReachMu[k]), 3*math.Max(d.st.ReachDev[k], minReachDev)), u-d.st.ReachMu[k])
			}
			d.st.ReachMu[k] += a * (u - d.st.ReachMu[k])
			d.st.ReachDev[k] += a * (dev - d.st.ReachDev[k])
		}
		d.st.ReachN++
	}
	// Only minutes that carry words teach term frequencies: history
	// seeded from bare counts must not make every word look rare.
	if dt := d.st.Recent[len(d.st.Recent)-1]; len(dt.Terms) > 0 || len(dt.Hashtags) > 0 {
		d.st.Memory.learn(y, dt.Terms, dt.Hashtags, d.st.Steps, d.termHL)
	}
}
