package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// A disk idle for a day and a half, then written in bursts, and a burst
// three times taller than the others on the fifth day (the six hours
// before it are quiet). The first bursts scored astronomically while the
// dispersion was still learning them; judged with the noise known on the
// fifth day, those days no longer hold the bar up, and the tall burst is
// seen (the bar would otherwise stay astronomic for a week).
func TestBarJudgesPastDaysAgain(t *testing.T) {
	const tall = 5*stepsPerDay + 100
	ms := burstyDisk(12, 4, 7*stepsPerDay, tall, stepsPerDay/4)
	_, events := opensAt(t, newMetricDetector(t, true), ms)
	hit := false
	var opens []string
	for _, e := range events {
		if e.Status == StatusOpen {
			hit = hit || e.At.Equal(ms[tall].Start)
			opens = append(opens, e.At.Format("Mon 15:04"))
		}
	}
	if !hit {
		t.Errorf("the tall burst at %s opened nothing; openings at %v", ms[tall].Start.Format("Mon 15:04"), opens)
	}
}

// dailyJob is a metric of level 50 (sd 1) whose nightly job writes one
// step 15 sd tall at 03:10 give or take twenty minutes, plus what shape
// adds.
func dailyJob(seed uint64, days int, shape func(i int) float64) []Minute {
	r := rand.New(rand.NewPCG(seed, 9))
	job := make(map[int]bool)
	for d := 0; d < days; d++ {
		job[d*stepsPerDay+38+r.IntN(9)-4] = true // 03:10 ± 20 min
	}
	return metric(seed, days*stepsPerDay, 50, 1, func(i int, v float64) (float64, bool) {
		if job[i] {
			v += 15
		}
		if shape != nil {
			v += shape(i)
		}
		return v, true
	})
}

// A series whose nightly job runs at a slightly different time every
// night: the calendar's mean cannot hold a one-step spike that moves, so
// without a noise per hour of the day the job is every day's worst step,
// raises the bar, and hides a bump at 8 pm as surprising as the job. With
// it, the job is routine at 3 am, and the bump is seen.
func TestDailyJobDoesNotHideABumpElsewhere(t *testing.T) {
	const bump = 10*stepsPerDay + 240 // day 10, 20:00
	ms := dailyJob(21, 12, func(i int) float64 {
		if i >= bump && i < bump+8 {
			return 3.5
		}
		return 0
	})
	opened, _ := opensAt(t, newMetricDetector(t, true), ms)
	hit, late := splitOpenings(opened, func(i int) bool { return i >= bump && i < bump+8 }, 7*stepsPerDay)
	if !hit {
		t.Errorf("the bump at step %d opened nothing; openings at %v", bump, opened)
	}
	if len(late) > 0 {
		t.Errorf("crises opened in the second week outside the bump: %v", late)
	}
}

// The noise profile only makes an hour more tolerant once the excess is
// there most days: one burst, or a hour seen on too few days, changes
// nothing, and no hour is stricter than the others.
func TestNoiseProfileNeedsARoutine(t *testing.T) {
	loc := time.UTC
	p := newNoiseProfile()
	day0 := time.Date(2014, 4, 7, 0, 30, 0, 0, loc)
	for d := 0; d < 7; d++ {
		for h := 0; h < 24; h++ {
			r := 2.0
			if h == 3 {
				r = 10 // the job, every night
			}
			if h == 15 && d == 2 {
				r = 50 // one burst
			}
			p.observe(day0.Add(time.Duration(d*24+h)*time.Hour), loc, r)
		}
	}
	f := p.factors()
	for h, x := range f {
		want := 1.0
		if h == 3 {
			want = 25
		}
		if x != want {
			t.Errorf("hour %d: factor %v, want %v", h, x, want)
		}
	}
	// Bins are centred on the half hours: 02:30 is hour 2's, 03:30 hour 3's.
	if got := noiseAt(f, day0.Add(2*time.Hour), loc); got != 1 {
		t.Errorf("factor at 02:30 = %v, want 1", got)
	}
	if got := noiseAt(f, day0.Add(3*time.Hour), loc); got != 25 {
		t.Errorf("factor at 03:30 = %v, want 25", got)
	}
	fresh := newNoiseProfile()
	fresh.observe(day0, loc, 100)
	fresh.observe(day0.Add(24*time.Hour), loc, 100)
	for h, x := range fresh.factors() {
		if x != 1 {
			t.Errorf("after two days, hour %d has factor %v, want 1", h, x)
		}
	}
}

// A flare-up after the resolution continues the same crisis: same id,
// Reopened set on its events, and the backtest marks only the first
// opening.
func TestReopenedCrisisIsMarked(t *testing.T) {
	const first, second = 2*stepsPerDay + 100, 2*stepsPerDay + 136 // three hours apart
	ms := metric(5, 3*stepsPerDay, 50, 1, func(i int, v float64) (float64, bool) {
		if (i >= first && i < first+3) || (i >= second && i < second+3) {
			return v + 20, true
		}
		return 0, false
	})
	_, events := opensAt(t, newMetricDetector(t, true), ms)
	var opens []Event
	for _, e := range events {
		if e.Status == StatusOpen {
			opens = append(opens, e)
		}
	}
	if len(opens) != 2 || opens[0].Reopened || !opens[1].Reopened || opens[0].ID != opens[1].ID {
		for _, e := range events {
			t.Logf("%s %s %s reopened=%v", e.At.Format("Mon 15:04"), e.ID, e.Status, e.Reopened)
		}
		t.Fatalf("want an opening and a reopening of the same crisis")
	}

	var in strings.Builder
	in.WriteString("timestamp,value\n")
	for _, m := range ms {
		fmt.Fprintf(&in, "%s,%g\n", m.Start.Format("2006-01-02 15:04:05"), m.Volume)
	}
	var out bytes.Buffer
	if err := RunCSV(strings.NewReader(in.String()), &out, CSVOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), ",1\n"); n != 1 {
		t.Errorf("the backtest marked %d rows, want the first opening only", n)
	}
}

// Snapshots keep the re-judged bar and the noise profile; snapshots from
// before them restore and learn them from then on.
func TestSnapshotWithoutBarStepsOrNoise(t *testing.T) {
	ms := dailyJob(22, 9, nil)
	d := newMetricDetector(t, true)
	opensAt(t, d, ms[:8*stepsPerDay])
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	e := newMetricDetector(t, true)
	if err := e.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	want, _ := opensAt(t, d, ms[8*stepsPerDay:])
	got, _ := opensAt(t, e, ms[8*stepsPerDay:])
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("restored detector opened at %v, original at %v", got, want)
	}

	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	delete(raw, "noise")
	delete(raw, "bar_typ")
	delete(raw, "bar_at")
	bar := raw["bar"].(map[string]any)
	delete(bar, "worst")
	delete(bar, "days")
	old, _ := json.Marshal(raw)
	o := newMetricDetector(t, true)
	if err := o.Unmarshal(old); err != nil {
		t.Fatalf("restoring a snapshot without bar steps or noise: %v", err)
	}
	opensAt(t, o, ms[8*stepsPerDay:])
	if len(o.st.Noise.Day) != noiseHours || len(o.st.Bar.Days) != len(o.st.Bar.Maxima) {
		t.Errorf("old snapshot: noise %d hours, %d bar steps for %d days", len(o.st.Noise.Day), len(o.st.Bar.Days), len(o.st.Bar.Maxima))
	}

	raw["noise"] = map[string]any{"day": []int{1}, "cur": []float64{1}, "past": [][]float64{{1}}}
	bad, _ := json.Marshal(raw)
	if err := newMetricDetector(t, true).Unmarshal(bad); err == nil {
		t.Error("a noise profile of one hour restored")
	}
}
