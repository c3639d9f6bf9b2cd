package detect

import (
	"math"
	"sort"
	"time"
)

// noiseHours is the resolution of the time-of-day noise profile: one bin
// per hour, interpolated between bin centres.
const noiseHours = 24

// noiseDays is how many days of each hour's largest change the profile
// keeps; noiseMinDays how many an hour needs before it is judged (the
// median of three needs the excess twice).
const (
	noiseDays    = 7
	noiseMinDays = 3
)

// noiseProfile remembers, for each hour of the day, the largest change
// between consecutive steps (in Pearson units) of each of the last days.
// A job that runs every night at 03:10 give or take twenty minutes, one
// step long, is a spike the calendar's mean cannot hold; it makes 3 am the
// most agitated hour most days. An hour whose usual (median) largest
// change is k times that of the usual hour gets its dispersion multiplied
// by k²: the job is routine there, and a bump at 8 pm is judged against
// the noise of 8 pm. Changes rather than residuals, so that a bias the
// calendar keeps at some hour is not taken for noise; the median over
// days (at least noiseMinDays of them), so that one burst, or bursts at
// random hours, change nothing; never below 1, so that no hour becomes
// stricter than the series' overall noise.
type noiseProfile struct {
	Day  []int64     `json:"day,omitempty"`  // per hour: day number of Cur
	Cur  []float64   `json:"cur,omitempty"`  // per hour: largest change of that day so far
	Past [][]float64 `json:"past,omitempty"` // per hour: largest change of each of the last days, oldest first
}

// maxNoiseFactor only keeps the factor finite (a noise-free series whose
// usual hour never changes has a reference near zero).
const maxNoiseFactor = 1e12

// noDay marks an hour that has not been seen yet.
const noDay = math.MinInt64

func newNoiseProfile() noiseProfile {
	p := noiseProfile{Day: make([]int64, noiseHours), Cur: make([]float64, noiseHours), Past: make([][]float64, noiseHours)}
	for i := range p.Day {
		p.Day[i] = noDay
	}
	return p
}

func (p *noiseProfile) valid() bool {
	if len(p.Day) == 0 && len(p.Cur) == 0 && len(p.Past) == 0 {
		return true
	}
	if len(p.Day) != noiseHours || len(p.Cur) != noiseHours || len(p.Past) != noiseHours || !nonNegative(p.Cur) {
		return false
	}
	for _, past := range p.Past {
		if len(past) > noiseDays || !nonNegative(past) {
			return false
		}
	}
	return true
}

// localDay numbers the days of the calendar in loc.
func localDay(t time.Time, loc *time.Location) (day int64, hour int) {
	t = t.In(loc)
	y, m, dd := t.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Unix() / 86400, t.Hour()
}

// observe records the change r (absolute, in Pearson units) seen at t.
func (p *noiseProfile) observe(t time.Time, loc *time.Location, r float64) (changed bool) {
	if len(p.Day) != noiseHours || !finite(r) || r < 0 {
		return false
	}
	day, h := localDay(t, loc)
	if p.Day[h] != day {
		if p.Day[h] != noDay {
			if len(p.Past[h]) == noiseDays {
				copy(p.Past[h], p.Past[h][1:])
				p.Past[h] = p.Past[h][:noiseDays-1]
			}
			p.Past[h] = append(p.Past[h], p.Cur[h])
			changed = true
		}
		p.Day[h], p.Cur[h] = day, 0
	}
	p.Cur[h] = math.Max(p.Cur[h], r)
	return changed
}

// factors is the dispersion multiplier of each hour: (usual largest
// change of the hour / that of the usual hour)², at least 1. Hours with
// fewer than noiseMinDays days get 1, and all get 1 until half of them
// have enough.
func (p *noiseProfile) factors() []float64 {
	f := make([]float64, noiseHours)
	for i := range f {
		f[i] = 1
	}
	if len(p.Past) != noiseHours {
		return f
	}
	med := make([]float64, noiseHours)
	var known []float64
	for h, past := range p.Past {
		if len(past) < noiseMinDays {
			med[h] = -1
			continue
		}
		med[h] = median(append([]float64(nil), past...))
		known = append(known, med[h])
	}
	if len(known) < noiseHours/2 {
		return f // the day is not known well enough to tell its hours apart
	}
	sort.Float64s(known)
	ref := median(known)
	if !(ref > 0) {
		return f
	}
	for h, m := range med {
		if m > ref {
			f[h] = math.Min((m/ref)*(m/ref), maxNoiseFactor)
		}
	}
	return f
}

// noiseAt interpolates the hourly factors at t, between bin centres.
func noiseAt(f []float64, t time.Time, loc *time.Location) float64 {
	if len(f) != noiseHours {
		return 1
	}
	t = t.In(loc)
	x := float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600 - 0.5
	fl := math.Floor(x)
	h0 := (int(fl) + noiseHours) % noiseHours
	w := x - fl
	return (1-w)*f[h0] + w*f[(h0+1)%noiseHours]
}
