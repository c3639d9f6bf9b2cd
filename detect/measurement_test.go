package detect

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Measurement series (CPU, latency, disk writes of a service), as the
// two-sided CSV backtest sees them: five-minute steps, no daily rhythm.

const metricStep = 5 * time.Minute

var metricStart = time.Date(2014, 4, 7, 0, 0, 0, 0, time.UTC) // a Monday

// metric is n steps of a value around level with Gaussian noise of sd,
// changed by shape where it returns ok.
func metric(seed uint64, n int, level, sd float64, shape func(i int, v float64) (float64, bool)) []Minute {
	r := rand.New(rand.NewPCG(seed, 7))
	ms := make([]Minute, n)
	for i := range ms {
		v := level + sd*r.NormFloat64()
		if shape != nil {
			if w, ok := shape(i, v); ok {
				v = w
			}
		}
		ms[i] = Minute{Start: metricStart.Add(time.Duration(i) * metricStep), Volume: max(v, 0)}
	}
	return ms
}

func newMetricDetector(t *testing.T, drops bool) *Detector {
	t.Helper()
	return newDetector(t, Config{Step: metricStep, Continuous: true, Drops: drops})
}

const stepsPerDay = 288

// opensAt returns the steps where a new crisis opens.
func opensAt(t *testing.T, d *Detector, ms []Minute) (steps []int, events []Event) {
	t.Helper()
	for i, m := range ms {
		v, ev := d.Step(m)
		if v.Ignored != "" {
			t.Fatalf("step %d ignored: %s", i, v.Ignored)
		}
		if ev != nil {
			events = append(events, *ev)
			if ev.Status == StatusOpen && !ev.Reopened {
				steps = append(steps, i)
			}
		}
	}
	return steps, events
}

// A disk idle for a day and a half, then written in bursts, one every
// four hours on average, then one burst three times taller than the
// others. The first bursts score astronomically (nothing moved before):
// once they are routine they must not keep opening crises, and the tall
// one must still be seen.
func TestBurstyMetricTallBurst(t *testing.T) {
	const tall = 10*stepsPerDay + 100
	ms := burstyDisk(11, 1, 12*stepsPerDay, tall, 12)
	opened, _ := opensAt(t, newMetricDetector(t, true), ms)
	hit, late := splitOpenings(opened, func(i int) bool { return i == tall }, 7*stepsPerDay)
	if !hit {
		t.Errorf("the tall burst at step %d opened nothing; openings at %v", tall, opened)
	}
	if len(late) > 2 {
		t.Errorf("routine bursts still open crises in the second week: %v", late)
	}
}

// A metric that moves for good to a higher level: the crisis becomes the
// new normal after adapt_after. The residuals it left were measured
// against the old level, not noise: forgotten, they do not blind the
// detector to a spike on the new level.
func TestSpikeAfterALevelShiftIsSeen(t *testing.T) {
	const shift, spike = 8 * stepsPerDay, 11 * stepsPerDay
	ms := metric(2, 12*stepsPerDay, 50, 1, func(i int, v float64) (float64, bool) {
		switch {
		case i == spike, i == spike+1:
			return v + 45, true
		case i >= shift:
			return v + 30, true
		}
		return 0, false
	})
	opened, events := opensAt(t, newMetricDetector(t, true), ms)
	for _, e := range events {
		t.Logf("%s %s %s", e.At.Format("Mon 15:04"), e.Status, e.Summary["en"])
	}
	if len(opened) != 2 || opened[0] < shift || opened[0] > shift+2 || opened[1] != spike {
		t.Errorf("openings at %v, want the shift at step %d and the spike on the new level at step %d", opened, shift, spike)
	}
}

// A crisis ends once the evidence has stayed low for resolve_after. On a
// series whose ordinary days raise the opening bar (routine bursts
// score 100), evidence of 5 is calm: the resolving bar rises with the
// opening bar, or a volatile series keeps its crisis open for days.
func TestResolveBarRisesWithTheOpeningBar(t *testing.T) {
	ms := metric(3, stepsPerDay+20, 20, 1, nil)
	for _, tc := range []struct {
		threshold float64
		resolved  bool
	}{{121, true}, {6, false}} {
		d := newMetricDetector(t, true)
		opensAt(t, d, ms[:stepsPerDay])
		step := func(i int, score float64) *Event {
			v := Verdict{Threshold: tc.threshold}
			return d.lifecycle(ms[stepsPerDay+i], &v, evaluation{score: score})
		}
		if ev := step(0, 2*tc.threshold); ev == nil || ev.Status != StatusOpen {
			t.Fatalf("threshold %v: no crisis opened", tc.threshold)
		}
		var last *Event
		for i := 1; i <= 13; i++ { // 65 minutes
			if ev := step(i, 5); ev != nil {
				last = ev
			}
		}
		if got := last != nil && last.Status == StatusResolved; got != tc.resolved {
			t.Errorf("threshold %v, an hour of evidence 5: resolved = %v, want %v", tc.threshold, got, tc.resolved)
		}
	}
}

// A watch started without history: its first minute is tested against
// nothing (no baseline yet). That residual measures the brand's level,
// not its noise; learned as noise, it would blind the one-minute test for
// weeks.
func TestColdStartDoesNotBlindTheMinuteTest(t *testing.T) {
	burst := monday.Add(24*time.Hour + 14*time.Hour) // Tuesday 14:00
	ms := bigBrand.series(8, monday, 2*minutesPerDay, func(at time.Time) (float64, float64) {
		if at.Equal(burst) {
			return 4, 0 // about 170 more mentions in one minute
		}
		return 1, 0
	})
	d := newDetector(t, Config{})
	events := run(t, d, ms)
	if len(events) == 0 || !events[0].OpenedAt.Equal(burst) {
		for _, e := range events {
			t.Logf("%s %s: %s", e.At.Format("Mon 15:04"), e.Status, e.Summary["en"])
		}
		t.Fatalf("%d events, want a crisis opened by the one-minute burst at %s", len(events), burst.Format("Mon 15:04"))
	}
}

// A crisis restored from a snapshot keeps what it needs to become the
// new normal; a snapshot from before it was kept restores too.
func TestSnapshotOfALevelShiftCrisis(t *testing.T) {
	const shift = 8 * stepsPerDay
	ms := metric(6, 10*stepsPerDay, 50, 1, func(i int, v float64) (float64, bool) {
		if i >= shift {
			return v + 30, true
		}
		return 0, false
	})
	d := newMetricDetector(t, true)
	opensAt(t, d, ms[:shift+stepsPerDay/2])
	if d.st.Crisis == nil || len(d.st.Crisis.DispMS) != len(d.scales) {
		t.Fatalf("crisis %+v: want one open, with the mean squares of its opening", d.st.Crisis)
	}
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	e := newMetricDetector(t, true)
	if err := e.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	want, _ := opensAt(t, d, ms[shift+stepsPerDay/2:])
	got, _ := opensAt(t, e, ms[shift+stepsPerDay/2:])
	if !slices.Equal(got, want) || d.st.Crisis != nil || e.st.Crisis != nil {
		t.Errorf("restored detector opened at %v, original at %v; want the same, and the crisis over", got, want)
	}

	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	delete(raw["crisis"].(map[string]any), "disp_ms")
	old, _ := json.Marshal(raw)
	if err := newMetricDetector(t, true).Unmarshal(old); err != nil {
		t.Errorf("restoring a snapshot without disp_ms: %v", err)
	}
	raw["crisis"].(map[string]any)["disp_ms"] = []float64{1}
	bad, _ := json.Marshal(raw)
	if err := newMetricDetector(t, true).Unmarshal(bad); err == nil {
		t.Error("a crisis with one mean square for three windows restored")
	}
}

// splitOpenings tells whether one of the opening steps is the expected
// one (isHit), and lists the others after step from.
func splitOpenings(opened []int, isHit func(i int) bool, from int) (hit bool, others []int) {
	for _, i := range opened {
		switch {
		case isHit(i):
			hit = true
		case i > from:
			others = append(others, i)
		}
	}
	return hit, others
}

// burstyDisk is n steps of a disk idle for a day and a half, then written
// in bursts of 100 (one step in 48 on average), with one burst of 300 at
// step tall, none in the quiet steps before it nor in the 12 after.
func burstyDisk(burstSeed, noiseSeed uint64, n, tall, quiet int) []Minute {
	r := rand.New(rand.NewPCG(burstSeed, 3))
	burst := make(map[int]bool)
	for i := 3 * stepsPerDay / 2; i < n; i++ {
		burst[i] = r.IntN(48) == 0
	}
	return metric(noiseSeed, n, 0, 5, func(i int, v float64) (float64, bool) {
		switch {
		case i == tall:
			return 300 + v, true
		case burst[i] && (i < tall-quiet || i > tall+12):
			return 100 + v, true
		}
		return 0, true // idle
	})
}
