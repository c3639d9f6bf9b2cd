package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// brand describes a synthetic watch: its mean mentions per minute at the
// daily peak of an ordinary weekday, and its noise.
type brand struct {
	peak       float64 // mentions per minute at the daily peak
	overdisp   float64 // gamma-Poisson shape per minute; 0 = pure Poisson
	negShare   float64 // usual share of negative mentions
	mondayPeak bool    // a Monday-morning peak (×1.8 from 8h to 11h)
}

var (
	bigBrand   = brand{peak: 60, overdisp: 25, negShare: 0.12, mondayPeak: true}
	smallBrand = brand{peak: 0.25, negShare: 0.1, mondayPeak: true}
)

// rhythm is the expected share of the peak at t: a daily curve (quiet
// nights, a midday high, an evening bump) times a weekly one.
func (b brand) rhythm(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	day := 0.08 + 0.92*math.Exp(-math.Pow((h-13)/4.5, 2)) + 0.35*math.Exp(-math.Pow((h-21)/1.5, 2))
	week := map[time.Weekday]float64{time.Monday: 1.1, time.Tuesday: 1, time.Wednesday: 1, time.Thursday: 1,
		time.Friday: 0.95, time.Saturday: 0.6, time.Sunday: 0.5}[t.Weekday()]
	if b.mondayPeak && t.Weekday() == time.Monday && h >= 8 && h < 11 {
		week *= 1.8
	}
	return day * week
}

// poisson draws a Poisson variate (inversion for small means, a rounded
// normal for large ones: good enough for tests).
func poisson(r *rand.Rand, lambda float64) float64 {
	if lambda <= 0 {
		return 0
	}
	if lambda > 50 {
		return math.Max(0, math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64()))
	}
	l, k, p := math.Exp(-lambda), 0.0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// gamma draws a Gamma(shape, 1/shape) variate (mean 1), Marsaglia-Tsang.
func gammaMean1(r *rand.Rand, shape float64) float64 {
	if shape <= 0 {
		return 1
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if math.Log(r.Float64()) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v / shape
		}
	}
}

// series makes per-minute counts from start for n minutes; boost, when
// not nil, multiplies the expected volume and may change the negative
// share at each minute.
func (b brand) series(seed uint64, start time.Time, n int, boost func(t time.Time) (vol, neg float64)) []Minute {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Minute, n)
	for i := range out {
		t := start.Add(time.Duration(i) * time.Minute)
		lambda, share := b.peak*b.rhythm(t), b.negShare
		if boost != nil {
			// The extra volume has its own negative share; the usual
			// chatter keeps the brand's.
			f, s := boost(t)
			if f > 1 && s > 0 {
				share = (b.negShare + (f-1)*s) / f
			}
			lambda *= f
		}
		if b.overdisp > 0 {
			lambda *= gammaMean1(r, b.overdisp)
		}
		v := poisson(r, lambda)
		neg := 0.0
		for k := 0.0; k < v; k++ {
			if r.Float64() < share {
				neg++
			}
		}
		out[i] = Minute{Start: t, Volume: v, Negatives: neg, Reach: v * 800}
	}
	return out
}

// mentions makes the posts behind a minute series for Engine tests:
// ordinary chatter, and during boost a crisis hashtag, negative posts
// and one big media account.
func (b brand) mentions(seed uint64, watch string, start time.Time, n int, boost func(t time.Time) (vol, neg float64)) []*mention.Mention {
	r := rand.New(rand.NewPCG(seed, 7))
	var out []*mention.Mention
	for i, m := range b.series(seed, start, n, boost) {
		crisis := false
		if boost != nil {
			f, _ := boost(m.Start)
			crisis = f > 1.5
		}
		for k := 0; k < int(m.Volume); k++ {
			neg := float64(k) < m.Negatives
			mm := &mention.Mention{
				ID:        fmt.Sprintf("%s:%d:%d", watch, i, k),
				Source:    "test",
				CreatedAt: m.Start.Add(time.Duration(r.IntN(60)) * time.Second),
				Author:    mention.Author{Handle: fmt.Sprintf("user%d", r.IntN(5000)), Followers: int64(50 + r.IntN(2000))},
				Text:      ordinaryTexts[r.IntN(len(ordinaryTexts))],
				Watches:   []string{watch},
				Sentiment: &mention.Sentiment{Score: 0.2, Label: mention.Neutral},
			}
			if neg {
				mm.Sentiment = &mention.Sentiment{Score: -0.6, Label: mention.Negative}
			}
			if crisis && r.Float64() < 0.7 {
				mm.Text = crisisTexts[r.IntN(len(crisisTexts))]
				mm.Hashtags = []string{"BoycottAcme"}
			}
			if crisis && k == 0 && i%30 == 0 {
				mm.Author = mention.Author{Handle: "bigmedia", Followers: 2_000_000}
			}
			if r.IntN(50) == 0 {
				mm.Author.EmployeeID = "e1"
			}
			out = append(out, mm)
		}
	}
	return out
}

var ordinaryTexts = []string{
	"Just bought the new acme blender, works great",
	"Anyone knows when the acme store opens on Sunday?",
	"Super service client chez Acme aujourd'hui",
	"acme delivery was on time as usual",
	"Le nouveau catalogue Acme est sorti",
}

var crisisTexts = []string{
	"Honte à Acme : la vidéo de la chemise arrachée est scandaleuse #BoycottAcme",
	"Acme staff tore the shirt of a customer, unacceptable scandal",
	"Scandale chez Acme, la direction doit s'expliquer sur la chemise",
}

// crisisBoost ramps the volume 20-fold within an hour from onset, holds it
// for hold, then decays over two hours; 70 % of the extra mentions are
// negative.
func crisisBoost(onset time.Time, hold time.Duration) func(t time.Time) (float64, float64) {
	return func(t time.Time) (float64, float64) {
		d := t.Sub(onset)
		switch {
		case d < 0:
			return 1, 0
		case d < time.Hour:
			return 1 + 19*d.Minutes()/60, 0.7
		case d < time.Hour+hold:
			return 20, 0.7
		case d < 3*time.Hour+hold:
			return 20 - 19*(d-time.Hour-hold).Minutes()/120, 0.5
		}
		return 1, 0
	}
}

// monday is a Monday at midnight UTC.
var monday = time.Date(2015, 9, 7, 0, 0, 0, 0, time.UTC)

func nan() float64 { return math.NaN() }
