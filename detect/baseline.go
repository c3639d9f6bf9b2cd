package detect

import (
	"math"
	"sort"
	"time"
)

// season is the calendar baseline of one series: a deseasonalised level
// times an hour-of-day profile times a day-of-week profile, both
// multiplicative with mean 1 and interpolated between bin centres so the
// expectation has no steps at the top of each hour. Everything is learned
// online; early on each part learns as a plain mean (weight 1/n) and then
// as an exponentially weighted one.
type season struct {
	Level  float64    `json:"level"`
	LevelN float64    `json:"level_n"`
	Hour   []float64  `json:"hour"` // time-of-day bins, hourBins(step) of them
	HourN  []float64  `json:"hour_n"`
	Day    [7]float64 `json:"day"`
	DayN   [7]float64 `json:"day_n"`
	// Week corrects the product above hour by hour over the week (a
	// Monday-morning peak, a Sunday-evening show); it is trusted in
	// proportion to the weeks it has seen.
	Week  [168]float64 `json:"week"`
	WeekN [168]float64 `json:"week_n"`
}

// hourBins is the resolution of the time-of-day profile: a bin per 15
// minutes, but none shorter than a step and at least one per hour.
func hourBins(step time.Duration) int {
	w := max(step, 15*time.Minute)
	return min(96, max(24, int((24*time.Hour)/w)))
}

// seasonRates are the EWMA weights of the parts, per update, and how many
// updates a week bin gets in a week.
type seasonRates struct{ level, hour, day, week, weekUpdates float64 }

func newSeason(bins int) season {
	s := season{Hour: make([]float64, bins), HourN: make([]float64, bins)}
	for i := range s.Hour {
		s.Hour[i] = 1
	}
	for i := range s.Day {
		s.Day[i] = 1
	}
	for i := range s.Week {
		s.Week[i] = 1
	}
	return s
}

// position is where an instant falls in the calendar: the two hour bins
// and the two day bins around it, with interpolation weights.
type position struct {
	h0, h1 int
	hw     float64 // weight of h1
	d0, d1 int
	dw     float64 // weight of d1
	w0, w1 int
	ww     float64 // weight of w1
}

func positionOf(t time.Time, loc *time.Location, bins int) position {
	t = t.In(loc)
	hour := float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600
	// Bin i is centred on (i+0.5)*24/bins hours.
	f := hour*float64(bins)/24 - 0.5
	fl := math.Floor(f)
	h0 := (int(fl) + bins) % bins
	day := float64(t.Weekday()) + hour/24 - 0.5
	dl := math.Floor(day)
	d0 := (int(dl) + 7) % 7
	wk := float64(t.Weekday())*24 + hour - 0.5
	wl := math.Floor(wk)
	w0 := (int(wl) + 168) % 168
	return position{h0: h0, h1: (h0 + 1) % bins, hw: f - fl, d0: d0, d1: (d0 + 1) % 7, dw: day - dl,
		w0: w0, w1: (w0 + 1) % 168, ww: wk - wl}
}

func (s *season) hourFactor(p position) float64 {
	return (1-p.hw)*s.Hour[p.h0] + p.hw*s.Hour[p.h1]
}

func (s *season) dayFactor(p position) float64 {
	return (1-p.dw)*s.Day[p.d0] + p.dw*s.Day[p.d1]
}

// weekFactor shrinks each bin's correction toward 1 until it has seen a
// few weeks: after one week half of it counts, after three 3/4.
func (s *season) weekFactor(p position, updatesPerWeek float64) float64 {
	f := func(i int) float64 {
		n := s.WeekN[i] / math.Max(updatesPerWeek, 1)
		return 1 + (s.Week[i]-1)*n/(n+1)
	}
	return (1-p.ww)*f(p.w0) + p.ww*f(p.w1)
}

// expect is the baseline value at p.
func (s *season) expect(p position, r seasonRates) float64 {
	return s.Level * s.hourFactor(p) * s.dayFactor(p) * s.weekFactor(p, r.weekUpdates)
}

// update learns from one (already winsorised) observation y at p.
func (s *season) update(p position, y float64, r seasonRates) {
	if !finite(y) || y < 0 {
		return
	}
	hf, df, wf := s.hourFactor(p), s.dayFactor(p), s.weekFactor(p, r.weekUpdates)
	const tiny = 1e-12
	if hf*df*wf > tiny {
		a := math.Max(r.level, 1/(s.LevelN+1))
		s.Level += a * (y/(hf*df*wf) - s.Level)
		s.LevelN++
	}
	if s.Level <= tiny {
		return // nothing to learn a shape from yet
	}
	if df*wf > tiny {
		target := y / (s.Level * df * wf)
		learnBin(s.Hour[:], s.HourN[:], p.h0, p.h1, p.hw, target-hf, r.hour)
		normalise(s.Hour[:], &s.Level)
	}
	hf = s.hourFactor(p)
	if hf*wf > tiny {
		target := y / (s.Level * hf * wf)
		learnBin(s.Day[:], s.DayN[:], p.d0, p.d1, p.dw, target-df, r.day)
		normalise(s.Day[:], &s.Level)
	}
	df = s.dayFactor(p)
	if hf*df > tiny && r.week > 0 {
		target := y / (s.Level * hf * df)
		raw := (1-p.ww)*s.Week[p.w0] + p.ww*s.Week[p.w1]
		learnBin(s.Week[:], s.WeekN[:], p.w0, p.w1, p.ww, target-raw, r.week)
		normalise(s.Week[:], &s.Level)
	}
}

// learnBin moves two neighbouring bins toward a target, in proportion to
// their interpolation weights.
func learnBin(bins, counts []float64, i0, i1 int, w1, err, rate float64) {
	for _, b := range [2]struct {
		i int
		w float64
	}{{i0, 1 - w1}, {i1, w1}} {
		if b.w <= 0 {
			continue
		}
		a := math.Max(rate, 1/(counts[b.i]+1))
		bins[b.i] += a * b.w * err
		if bins[b.i] < 0.01 {
			bins[b.i] = 0.01 // a profile bin never claims total silence
		}
		counts[b.i] += b.w
	}
}

// normalise rescales a profile to mean 1, moving the scale into the level
// so the expectation does not change.
func normalise(bins []float64, level *float64) {
	sum := 0.0
	for _, b := range bins {
		sum += b
	}
	m := sum / float64(len(bins))
	if !(m > 0) || !finite(m) {
		for i := range bins {
			bins[i] = 1
		}
		return
	}
	for i := range bins {
		bins[i] /= m
	}
	*level *= m
}

// valid reports whether a decoded season is usable.
func (s *season) valid(bins int) bool {
	if len(s.Hour) != bins || len(s.HourN) != bins {
		return false
	}
	if !finite(s.Level) || s.Level < 0 || !finite(s.LevelN) || s.LevelN < 0 {
		return false
	}
	for i := range s.Hour {
		if !finite(s.Hour[i]) || s.Hour[i] <= 0 || !finite(s.HourN[i]) || s.HourN[i] < 0 {
			return false
		}
	}
	for i := range s.Day {
		if !finite(s.Day[i]) || s.Day[i] <= 0 || !finite(s.DayN[i]) || s.DayN[i] < 0 {
			return false
		}
	}
	for i := range s.Week {
		if !finite(s.Week[i]) || s.Week[i] <= 0 || !finite(s.WeekN[i]) || s.WeekN[i] < 0 {
			return false
		}
	}
	return true
}

// bar tracks the largest evidence of ordinary days, so a series whose
// model is imperfect (routine spikes, bursts) raises its own threshold:
// a crisis must be clearly more surprising than a typical day's worst
// step. Days are counted from the end of the warm-up.
//
// Each day also keeps its worst step (the window sums), so the bar can
// judge it again with the noise the model knows now: a burst that scored
// thousands while the dispersion was still learning scores what it is
// worth today, and no longer holds the bar up for a week.
type bar struct {
	DayStart time.Time `json:"day_start,omitzero"`
	DayMax   float64   `json:"day_max"`
	Maxima   []float64 `json:"maxima,omitempty"` // last barDays daily maxima, oldest first
	Worst    barStep   `json:"worst,omitzero"`   // the current day's worst step
	Days     []barStep `json:"days,omitempty"`   // the worst step of each recorded day, as Maxima (empty in old snapshots)
}

// barStep is what a day's worst step needs to be tested again: the sums
// of every window and the volume part of its score.
type barStep struct {
	T   time.Time `json:"t,omitzero"`
	Vol float64   `json:"vol"`
	Y   []float64 `json:"y,omitempty"`
	Mu  []float64 `json:"mu,omitempty"`
	N   []int     `json:"n,omitempty"`
}

func (s barStep) set(t time.Time, vol float64, sums []windowSums) barStep {
	s.T, s.Vol = t, vol
	s.Y, s.Mu, s.N = s.Y[:0], s.Mu[:0], s.N[:0]
	for _, w := range sums {
		s.Y, s.Mu, s.N = append(s.Y, w.y), append(s.Mu, w.mu), append(s.N, w.n)
	}
	return s
}

func (s barStep) sums() []windowSums {
	out := make([]windowSums, len(s.Y))
	for k := range out {
		out[k] = windowSums{y: s.Y[k], mu: s.Mu[k], n: s.N[k]}
	}
	return out
}

const barDays = 7

// observe adds a step's score, with the volume part of it and the window
// sums it came from.
func (b *bar) observe(t time.Time, s, vol float64, sums []windowSums) (recorded bool) {
	if b.DayStart.IsZero() {
		b.DayStart = t
	}
	if t.Sub(b.DayStart) >= 24*time.Hour {
		for len(b.Days) < len(b.Maxima) {
			b.Days = append([]barStep{{}}, b.Days...) // days from an old snapshot
		}
		if len(b.Maxima) == barDays {
			copy(b.Maxima, b.Maxima[1:])
			b.Maxima = b.Maxima[:barDays-1]
			copy(b.Days, b.Days[1:])
			b.Days = b.Days[:barDays-1]
		}
		b.Maxima = append(b.Maxima, b.DayMax)
		b.Days = append(b.Days, b.Worst)
		b.DayStart, b.DayMax, b.Worst = t, 0, barStep{}
		recorded = true
	}
	if s > b.DayMax || len(b.Worst.Y) == 0 {
		b.DayMax = math.Max(b.DayMax, s)
		b.Worst = b.Worst.set(t, vol, sums)
	}
	return recorded
}

// typical is the median of the recorded daily maxima (0 before the first
// full day), each judged again by rejudge when its worst step is known.
func (b *bar) typical(rejudge func(score float64, st barStep) float64) float64 {
	n := len(b.Maxima)
	if n == 0 {
		return 0
	}
	s := make([]float64, n)
	off := n - len(b.Days)
	for i, m := range b.Maxima {
		s[i] = m
		if j := i - off; j >= 0 && len(b.Days[j].Y) > 0 && rejudge != nil {
			s[i] = rejudge(m, b.Days[j])
		}
	}
	return median(s)
}

// median sorts s and returns its median.
func median(s []float64) float64 {
	n := len(s)
	sort.Float64s(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func (b *bar) valid(windows int) bool {
	if len(b.Maxima) > barDays || len(b.Days) > len(b.Maxima) || !finite(b.DayMax) || b.DayMax < 0 {
		return false
	}
	for _, st := range append([]barStep{b.Worst}, b.Days...) {
		if len(st.Y) == 0 && len(st.Mu) == 0 && len(st.N) == 0 {
			continue
		}
		if len(st.Y) != windows || len(st.Mu) != windows || len(st.N) != windows || !nonNegative(st.Y) || !nonNegative(st.Mu) || !finite(st.Vol) || st.Vol < 0 {
			return false
		}
		for _, n := range st.N {
			if n < 0 {
				return false
			}
		}
	}
	for _, m := range b.Maxima {
		if !finite(m) || m < 0 {
			return false
		}
	}
	return true
}
