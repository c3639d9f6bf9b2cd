package simulate

import (
	"math"
	"math/rand/v2"
	"time"
)

// The volume model: rate(t) = base × daily(Paris hour) × weekly(Paris day)
// × noise(t) × crisis(t). All of it is a pure function of the seed and t,
// so a minute of history is the same whatever the window it is played in.

// dailyKnots returns the share of the daily peak posted at each hour of
// the day, Europe/Paris time: low at night, a late-morning peak, a lull
// after lunch, an evening peak. Values between knots are interpolated.
func dailyKnots() [24]float64 {
	return [24]float64{
		0.26, 0.15, 0.09, 0.06, 0.05, 0.07, 0.15, 0.34, // 00h-07h
		0.55, 0.72, 0.87, 0.96, 1.00, 0.90, 0.80, 0.76, // 08h-15h
		0.75, 0.79, 0.86, 0.93, 0.98, 0.95, 0.78, 0.50, // 16h-23h
	}
}

// weeklyFactors returns the volume of each day against a weekday (Sunday
// first): quieter at the weekend.
func weeklyFactors() [7]float64 { return [7]float64{0.62, 1.00, 1.00, 0.98, 1.00, 0.93, 0.66} }

// parisOffset is Europe/Paris's UTC offset at t: CEST (+2h) from the last
// Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, CET
// (+1h) otherwise. Computed rather than loaded so that output does not
// depend on the machine's time zone database.
func parisOffset(t time.Time) time.Duration {
	t = t.UTC()
	y := t.Year()
	summer := lastSunday(y, time.March).Add(time.Hour)
	winter := lastSunday(y, time.October).Add(time.Hour)
	if !t.Before(summer) && t.Before(winter) {
		return 2 * time.Hour
	}
	return time.Hour
}

func lastSunday(year int, month time.Month) time.Time {
	d := time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC) // last day of month
	return d.AddDate(0, 0, -int(d.Weekday()))
}

// paris returns t as a UTC-located time whose wall clock reads Paris time.
func paris(t time.Time) time.Time { return t.UTC().Add(parisOffset(t)) }

// parisHour returns the Paris time of day of t in hours, in [0, 24).
func parisHour(t time.Time) float64 {
	p := paris(t)
	return float64(p.Hour()) + float64(p.Minute())/60 + float64(p.Second())/3600
}

// activity is the expected share of the peak weekday volume at t.
func activity(t time.Time) float64 {
	p := paris(t)
	h := float64(p.Hour()) + float64(p.Minute())/60
	i := int(h)
	frac := h - float64(i)
	knots := dailyKnots()
	daily := knots[i]*(1-frac) + knots[(i+1)%24]*frac
	return daily * weeklyFactors()[p.Weekday()]
}

// meanActivity is the average of activity^p over a week (p = 1: the mean
// activity), used to turn a "posts per day" figure into a rate that
// follows the rhythm. It averages the knots, which is exact for p = 1 and
// close enough above.
func meanActivity(p float64) float64 {
	var sum float64
	for _, d := range weeklyFactors() {
		for _, v := range dailyKnots() {
			sum += math.Pow(d*v, p)
		}
	}
	return sum / (7 * 24)
}

// noise is a smooth multiplicative jitter around 1: a value per day and a
// value per hour, interpolated, with a log-normal spread (σ 0.15 by day,
// 0.2 by hour). It makes some days and hours busier than the curve says.
func noise(key uint64, t time.Time) float64 {
	const sigmaDay, sigmaHour = 0.15, 0.2
	sec := t.Unix()
	z := sigmaDay*knot(key^0x5eed_da11, sec, 86400) + sigmaHour*knot(key^0x5eed_4002, sec, 3600)
	return math.Exp(z - (sigmaDay*sigmaDay+sigmaHour*sigmaHour)/2)
}

// knot interpolates linearly between standard normal-ish values drawn at
// every multiple of period seconds.
func knot(key uint64, sec, period int64) float64 {
	i := floorDiv(sec, period)
	frac := float64(sec-i*period) / float64(period)
	return gauss(key, i)*(1-frac) + gauss(key, i+1)*frac
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// gauss is a deterministic value with mean 0 and variance 1 (the sum of
// three uniforms, rescaled), drawn from key and i.
func gauss(key uint64, i int64) float64 {
	h := mix(key ^ mix(uint64(i)))
	const unit = 1.0 / (1 << 21)
	u1 := float64(h&(1<<21-1)) * unit
	u2 := float64(h>>21&(1<<21-1)) * unit
	u3 := float64(h>>42&(1<<21-1)) * unit
	return (u1 + u2 + u3 - 1.5) * 2
}

// mix is the splitmix64 finaliser: a fast, well-spread 64-bit hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// hashString is FNV-1a, to turn ids into seeds.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// crisisCurve is the crisis multiplier of the volume over time.
type crisisCurve struct {
	onset    time.Time
	ramp     time.Duration
	peak     float64
	halfLife time.Duration
}

// factor returns the multiplier at t: 1 before the onset; growing
// exponentially as peak^(x/ramp) over the ramp, the way shares compound
// when a post goes viral (×1.65 after 10 minutes of a 20-fold hour); then
// back towards 1 with the given half-life.
func (c *crisisCurve) factor(t time.Time) float64 {
	if c == nil || t.Before(c.onset) {
		return 1
	}
	x := t.Sub(c.onset)
	if x < c.ramp {
		u := float64(x) / float64(c.ramp)
		return math.Pow(c.peak, u)
	}
	return 1 + (c.peak-1)*math.Exp2(-float64(x-c.ramp)/float64(c.halfLife))
}

// progress is how far into the ramp t is, in [0, 1].
func (c *crisisCurve) progress(t time.Time) float64 {
	if c == nil || t.Before(c.onset) {
		return 0
	}
	return math.Min(1, float64(t.Sub(c.onset))/float64(c.ramp))
}

// poisson draws a Poisson count of mean lam (Knuth's method, by slices of
// 30 so that exp(-lam) never underflows).
func poisson(rng *rand.Rand, lam float64) int {
	if !(lam > 0) {
		return 0
	}
	n := 0
	for lam > 0 {
		l := min(lam, 30)
		lam -= l
		limit := math.Exp(-l)
		for p := rng.Float64(); p > limit; p *= rng.Float64() {
			n++
		}
	}
	return n
}
