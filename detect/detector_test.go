package detect

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

// run steps a detector through minutes and returns its events.
func run(t *testing.T, d *Detector, ms []Minute) []Event {
	t.Helper()
	var events []Event
	for _, m := range ms {
		v, ev := d.Step(m)
		if v.Ignored != "" {
			t.Fatalf("step %s ignored: %s", m.Start, v.Ignored)
		}
		if ev != nil {
			events = append(events, *ev)
		}
	}
	return events
}

func newDetector(t *testing.T, cfg Config) *Detector {
	t.Helper()
	d, err := NewDetector("acme", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// launch is a planned product launch on the third Wednesday: four times
// the usual volume for three hours.
var launchStart = monday.Add(2*minutesPerWeek*time.Minute + 2*24*time.Hour + 10*time.Hour)

func launchBoost(t time.Time) (float64, float64) {
	if !t.Before(launchStart) && t.Before(launchStart.Add(3*time.Hour)) {
		return 4, 0
	}
	return 1, 0
}

func TestOrdinaryWeekOpensNoCrisis(t *testing.T) {
	declared := []Expected{{Start: launchStart.Add(-30 * time.Minute), End: launchStart.Add(4 * time.Hour), Note: "launch", Factor: 5}}
	for _, tc := range []struct {
		name  string
		b     brand
		plans []Expected
		want  bool // a crisis is expected
	}{
		{"big brand, launch declared", bigBrand, declared, false},
		{"small brand, launch declared", smallBrand, declared, false},
		// The same launch undeclared must open a crisis on the big brand:
		// otherwise the cases above would prove nothing.
		{"big brand, launch not declared", bigBrand, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDetector(t, Config{ExpectedEvents: tc.plans})
			d.Seed(tc.b.series(1, monday, 2*minutesPerWeek, nil))
			week := tc.b.series(2, monday.Add(2*minutesPerWeek*time.Minute), minutesPerWeek, launchBoost)
			events := run(t, d, week)
			if got := len(events) > 0; got != tc.want {
				for _, e := range events {
					t.Logf("%s %s: %s", e.At.Format("Mon 15:04"), e.Status, e.Summary["en"])
				}
				t.Fatalf("crisis opened = %v, want %v", got, tc.want)
			}
			if tc.want && !events[0].At.After(launchStart.Add(-time.Minute)) {
				t.Fatalf("opened at %s, before the launch at %s", events[0].At, launchStart)
			}
		})
	}
}

func TestCrisisOpensEscalatesAndResolves(t *testing.T) {
	for _, tc := range []struct {
		name     string
		b        brand
		openedBy time.Duration // the first event comes this soon after onset
	}{
		{"big brand", bigBrand, 10 * time.Minute},
		// 15 mentions an hour at the daily peak: ten minutes hold two or
		// three posts, which no test can tell from noise; it opens within
		// the hour.
		{"small brand", smallBrand, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDetector(t, Config{})
			d.Seed(tc.b.series(1, monday, 2*minutesPerWeek, nil))
			start := monday.Add(2 * minutesPerWeek * time.Minute)
			onset := start.Add(3*24*time.Hour + 14*time.Hour) // Thursday 14:00
			hold := 3 * time.Hour
			events := run(t, d, tc.b.series(2, start, 5*minutesPerDay, crisisBoost(onset, hold)))
			for _, e := range events {
				t.Logf("%s %-8s sev %d: %s", e.At.Format("Mon 15:04"), e.Status, e.Severity, e.Summary["en"])
			}
			if len(events) < 2 {
				t.Fatalf("%d events, want an open and a resolved", len(events))
			}
			first, last := events[0], events[len(events)-1]
			if first.Status != StatusOpen || first.At.Before(onset) || first.At.After(onset.Add(tc.openedBy)) {
				t.Fatalf("first event %s at %s, want open within %v of %s", first.Status, first.At, tc.openedBy, onset)
			}
			if first.Observed <= first.Expected {
				t.Errorf("open: observed %v not above expected %v", first.Observed, first.Expected)
			}
			if first.Summary["fr"] == "" || first.Summary["en"] == "" || first.Summary["fr"] == first.Summary["en"] {
				t.Errorf("summaries fr=%q en=%q", first.Summary["fr"], first.Summary["en"])
			}
			if last.Status != StatusResolved {
				t.Fatalf("last event is %s, want resolved", last.Status)
			}
			crisisEnd := onset.Add(3*time.Hour + hold)
			if last.At.Before(crisisEnd.Add(d.Config().ResolveAfter)) {
				t.Errorf("resolved at %s, before the level was back to normal for %v (from %s)", last.At, d.Config().ResolveAfter, crisisEnd)
			}
			if last.At.After(crisisEnd.Add(6 * time.Hour)) {
				t.Errorf("resolved at %s, long after the crisis ended at %s", last.At, crisisEnd)
			}
			peak := 0
			for i, e := range events {
				if e.ID != first.ID {
					t.Errorf("event %d has id %q, want the thread's %q", i, e.ID, first.ID)
				}
				if i > 0 && i < len(events)-1 && e.Status != StatusUpdate {
					t.Errorf("event %d is %s, want update", i, e.Status)
				}
				peak = max(peak, e.Severity)
			}
			if peak < 4 || peak <= first.Severity {
				t.Errorf("severity went from %d to a peak of %d: want an escalation to at least 4", first.Severity, peak)
			}
			if len(events) > 10 {
				t.Errorf("%d events for one crisis: an event storm", len(events))
			}
		})
	}
}

func TestSnapshotInTheMiddleOfACrisis(t *testing.T) {
	history := bigBrand.series(1, monday, 2*minutesPerWeek, nil)
	start := monday.Add(2 * minutesPerWeek * time.Minute)
	onset := start.Add(14 * time.Hour)
	day := bigBrand.series(2, start, minutesPerDay, crisisBoost(onset, 2*time.Hour))

	whole := newDetector(t, Config{})
	whole.Seed(history)
	want := run(t, whole, day)

	cut := int(onset.Sub(start)/time.Minute) + 90 // an hour and a half into the crisis
	d := newDetector(t, Config{})
	d.Seed(history)
	before := run(t, d, day[:cut])
	if len(before) == 0 || d.st.Crisis == nil {
		t.Fatalf("no crisis open at the cut (%d events)", len(before))
	}
	snap, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	restarted := newDetector(t, Config{})
	if err := restarted.Unmarshal(snap); err != nil {
		t.Fatal(err)
	}
	after := run(t, restarted, day[cut:])
	got := append(before, after...)
	if len(got) != len(want) {
		t.Fatalf("%d events with a restart, %d without", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Status != want[i].Status || !got[i].At.Equal(want[i].At) || got[i].Severity != want[i].Severity {
			t.Errorf("event %d: got %s %s %s sev %d, want %s %s %s sev %d", i, got[i].ID, got[i].Status, got[i].At, got[i].Severity,
				want[i].ID, want[i].Status, want[i].At, want[i].Severity)
		}
	}
	for _, e := range after {
		if e.Status == StatusOpen {
			t.Errorf("the restarted detector opened the crisis again at %s", e.At)
		}
	}

	other, _ := NewDetector("other-watch", Config{})
	if err := other.Unmarshal(snap); !errors.Is(err, ErrSnapshot) {
		t.Errorf("restoring another watch's snapshot: err = %v, want ErrSnapshot", err)
	}
	for _, bad := range []string{``, `{`, `{"version":1}`, `[]`, strings.Replace(string(snap), `"severity":`, `"severity":-7,"x":`, 1)} {
		fresh := newDetector(t, Config{})
		if err := fresh.Unmarshal([]byte(bad)); !errors.Is(err, ErrSnapshot) {
			t.Errorf("Unmarshal(%.40q): err = %v, want ErrSnapshot", bad, err)
		}
	}
}

func TestStepOrderAndGaps(t *testing.T) {
	d := newDetector(t, Config{})
	t0 := monday
	if v, _ := d.Step(Minute{Start: t0, Volume: 3}); v.Ignored != "" {
		t.Fatalf("first step ignored: %s", v.Ignored)
	}
	for _, m := range []Minute{{Start: t0, Volume: 3}, {Start: t0.Add(-time.Minute), Volume: 1}, {}, {Start: t0.Add(time.Minute), Volume: nan()}} {
		if v, ev := d.Step(m); v.Ignored == "" || ev != nil {
			t.Errorf("Step(%v at %s) was used, want it ignored", m.Volume, m.Start)
		}
	}
	// A gap longer than the longest window restarts the windows.
	if v, _ := d.Step(Minute{Start: t0.Add(5 * time.Hour), Volume: 4}); v.Ignored != "" || d.st.Ring.Len != 1 {
		t.Errorf("after a gap: ignored %q, ring length %d, want a used step and a ring of 1", v.Ignored, d.st.Ring.Len)
	}
}

func TestSilentWatchForAWeek(t *testing.T) {
	d := newDetector(t, Config{})
	d.Seed(smallBrand.series(1, monday, 2*minutesPerWeek, nil))
	start := monday.Add(2 * minutesPerWeek * time.Minute)
	var zeros []Minute
	for i := 0; i < minutesPerWeek; i++ {
		zeros = append(zeros, Minute{Start: start.Add(time.Duration(i) * time.Minute)})
	}
	if events := run(t, d, zeros); len(events) != 0 {
		t.Fatalf("a silent week opened %d events; first: %s", len(events), events[0].Summary["en"])
	}
	// Back to the usual chatter: still nothing.
	back := smallBrand.series(3, start.Add(minutesPerWeek*time.Minute), minutesPerDay, nil)
	if events := run(t, d, back); len(events) != 0 {
		t.Fatalf("usual chatter after a silent week opened %d events; first: %s", len(events), events[0].Summary["en"])
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Sensitivity: "medium"}, "sensitivity"},
		{Config{Windows: []time.Duration{time.Minute, -time.Minute}}, "windows[1]"},
		{Config{TimeZone: "Mars/Olympus"}, "time_zone"},
		{Config{ResolveAfter: -time.Hour}, "resolve_after"},
		{Config{OpenScore: 3, ResolveScore: 4}, "resolve_score"},
		{Config{MinMentions: -1}, "min_mentions"},
		{Config{ExpectedEvents: []Expected{{Start: monday, End: monday.Add(-time.Hour)}}}, "expected_events[0].end"},
		{Config{ExpectedEvents: []Expected{{Start: monday, End: monday.Add(time.Hour), Factor: 0.5}}}, "expected_events[0].factor"},
		{Config{ExpectedEvents: []Expected{{End: monday}}}, "expected_events[0].start"},
	} {
		_, err := NewDetector("acme", tc.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err = %v, want a ConfigError on %s", tc.cfg, err, tc.field)
		}
	}
	if _, err := NewDetector("acme", Config{Sensitivity: SensitivityHigh, TimeZone: "Europe/Paris"}); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

func TestAPastCrisisDoesNotRaiseTheBar(t *testing.T) {
	d := newDetector(t, Config{})
	d.Seed(bigBrand.series(1, monday, 2*minutesPerWeek, nil))
	start := monday.Add(2 * minutesPerWeek * time.Minute)
	first := start.Add(24*time.Hour + 14*time.Hour)    // Tuesday 14:00, six hours at 20x
	second := start.Add(4*24*time.Hour + 11*time.Hour) // Friday 11:00
	boost := func(t time.Time) (float64, float64) {
		if f, s := crisisBoost(first, 6*time.Hour)(t); f > 1 {
			return f, s
		}
		return crisisBoost(second, time.Hour)(t)
	}
	events := run(t, d, bigBrand.series(2, start, 6*minutesPerDay, boost))
	var opens []time.Time
	for _, e := range events {
		if e.Status == StatusOpen {
			opens = append(opens, e.At)
		}
	}
	if len(opens) != 2 {
		t.Fatalf("%d crises opened (%v), want 2", len(opens), opens)
	}
	for i, onset := range []time.Time{first, second} {
		if opens[i].Before(onset) || opens[i].After(onset.Add(10*time.Minute)) {
			t.Errorf("crisis %d opened at %s, want within 10 min of %s", i+1, opens[i], onset)
		}
	}
}

func TestDetectorSurvivesExtremeInput(t *testing.T) {
	values := []float64{0, 1, 1e300, -5, nan(), math.Inf(1), 1e-300, 3.5, 7, 0, 0, 1e9}
	for _, continuous := range []bool{false, true} {
		d := newDetector(t, Config{Continuous: continuous, Drops: true, WarmUp: time.Minute})
		for i := 0; i < 3000; i++ {
			m := Minute{Start: monday.Add(time.Duration(i) * time.Minute), Volume: values[i%len(values)],
				Negatives: values[(i/3)%len(values)], Reach: values[(i/7)%len(values)],
				Terms: map[string]int{"x": i % 9}, Hashtags: map[string]int{"": -3},
				Posts: []Post{{ID: "p", Reach: -1, Text: strings.Repeat("é", 400)}}}
			v, ev := d.Step(m)
			if math.IsNaN(v.Score) || math.IsInf(v.Score, 0) || math.IsNaN(v.Graded) {
				t.Fatalf("step %d: score %v graded %v", i, v.Score, v.Graded)
			}
			if ev != nil {
				if _, err := json.Marshal(ev); err != nil {
					t.Fatalf("step %d: event does not encode: %v", i, err)
				}
			}
		}
		snap, err := d.Marshal()
		if err != nil {
			t.Fatalf("continuous=%v: snapshot: %v", continuous, err)
		}
		restored := newDetector(t, Config{Continuous: continuous, Drops: true, WarmUp: time.Minute})
		if err := restored.Unmarshal(snap); err != nil {
			t.Fatalf("continuous=%v: restore: %v", continuous, err)
		}
	}
}
