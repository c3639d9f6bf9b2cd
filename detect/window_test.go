package detect

import (
	"errors"
	"testing"
	"time"

	"github.com/vigie-project/vigie/mention"
)

func post(id string, at time.Time) *mention.Mention {
	return &mention.Mention{ID: id, Source: "test", CreatedAt: at, Author: mention.Author{Handle: "u" + id, Followers: 10}, Text: "hello"}
}

func newWindow(t *testing.T, cfg WindowConfig) *Window {
	t.Helper()
	w, err := NewWindow(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// volumes maps each emitted minute of a watch to its volume.
func volumes(ms []WatchMinute, watch string) map[time.Time]float64 {
	out := map[time.Time]float64{}
	for _, m := range ms {
		if m.Watch == watch {
			out[m.Start] = m.Volume
		}
	}
	return out
}

func TestWindowLatenessAndFuture(t *testing.T) {
	w := newWindow(t, WindowConfig{})
	t0 := monday.Add(10 * time.Hour)
	w.Advance(t0)
	// In order, out of order within the lateness, and too late.
	for _, tc := range []struct {
		at   time.Time
		want error
	}{
		{t0.Add(30 * time.Second), nil},
		{t0.Add(-3 * time.Minute), nil},      // late but within 5 min
		{t0.Add(-10 * time.Minute), ErrLate}, // its minute is closed
		{t0.Add(4 * time.Minute), nil},       // a little ahead: clocks drift
		{t0.Add(2 * time.Hour), ErrFuture},
		{time.Time{}, ErrInvalid},
	} {
		if err := w.Add("acme", post("x", tc.at)); !errors.Is(err, tc.want) {
			t.Errorf("Add at %s: err = %v, want %v", tc.at, err, tc.want)
		}
	}
	if err := w.Add("acme", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Add(nil): err = %v", err)
	}
	if err := w.Add("", post("x", t0)); !errors.Is(err, ErrInvalid) {
		t.Errorf("Add without a watch: err = %v", err)
	}
	st := w.Stats()
	if st.Accepted != 3 || st.Late != 1 || st.Future != 1 || st.Invalid != 3 {
		t.Errorf("stats = %+v", st)
	}
	got := volumes(w.Advance(t0.Add(20*time.Minute)), "acme")
	want := map[time.Time]float64{t0.Add(-3 * time.Minute): 1, t0: 1, t0.Add(4 * time.Minute): 1}
	for at, v := range want {
		if got[at] != v {
			t.Errorf("minute %s: volume %v, want %v", at.Format("15:04"), got[at], v)
		}
	}
	// Every minute from the first open one to the watermark minus the
	// lateness, no more, no less: 15:55 (t0-5m) .. 10:14.
	if len(got) != 20 {
		t.Errorf("%d minutes emitted, want 20", len(got))
	}
}

func TestWindowFutureBeforeTheFirstWatermark(t *testing.T) {
	w := newWindow(t, WindowConfig{})
	t0 := monday
	if err := w.Add("acme", post("a", t0)); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("acme", post("b", t0.Add(365*24*time.Hour))); err != nil {
		t.Fatal(err) // no watermark yet: nothing to compare with
	}
	out := w.Advance(t0.Add(10 * time.Minute))
	if st := w.Stats(); st.Future != 1 || st.Accepted != 1 {
		t.Errorf("stats = %+v, want the far-future post moved to future", st)
	}
	if len(out) != 5 || out[0].Volume != 1 {
		t.Errorf("emitted %d minutes starting with volume %v, want 5 starting with 1", len(out), out[0].Volume)
	}
}

func TestWindowSilentWatchAndClockJumps(t *testing.T) {
	w := newWindow(t, WindowConfig{MaxGap: 24 * time.Hour})
	w.Watch("quiet")
	t0 := monday
	w.Advance(t0)
	// A silent watch gets a zero minute per minute.
	n := 0
	for i := 1; i <= 60; i++ {
		for _, m := range w.Advance(t0.Add(time.Duration(i) * time.Minute)) {
			if m.Watch != "quiet" || m.Volume != 0 {
				t.Fatalf("unexpected minute %+v", m)
			}
			n++
		}
	}
	if n != 60 {
		t.Fatalf("%d zero minutes in an hour, want 60", n)
	}
	// The clock jumps five hours ahead: the gap is filled.
	if out := w.Advance(t0.Add(6 * time.Hour)); len(out) != 5*60 {
		t.Errorf("5 h jump: %d minutes, want 300", len(out))
	}
	// Back by two hours: ignored and counted; posts of that time are late.
	if out := w.Advance(t0.Add(4 * time.Hour)); out != nil || w.Stats().ClockBackward != 1 {
		t.Errorf("backward jump: %d minutes, stats %+v", len(out), w.Stats())
	}
	if err := w.Add("quiet", post("late", t0.Add(4*time.Hour))); !errors.Is(err, ErrLate) {
		t.Errorf("post at the old clock: err = %v, want ErrLate", err)
	}
	// Thirty days ahead: only MaxGap of zeros, the rest counted as skipped.
	if err := w.Add("quiet", post("p", t0.Add(30*24*time.Hour))); !errors.Is(err, ErrFuture) {
		t.Errorf("post a month ahead: err = %v, want ErrFuture", err)
	}
	out := w.Advance(t0.Add(30*24*time.Hour + 6*time.Hour))
	if len(out) != 24*60 {
		t.Errorf("month jump: %d minutes, want %d", len(out), 24*60)
	}
	if w.Stats().SkippedEmpty != 30*24*60-24*60 {
		t.Errorf("skipped %d empty minutes, want %d", w.Stats().SkippedEmpty, 30*24*60-24*60)
	}
}

func TestWindowMinuteContent(t *testing.T) {
	w := newWindow(t, WindowConfig{})
	t0 := monday.Add(9 * time.Hour)
	w.Advance(t0)
	ms := []*mention.Mention{
		{ID: "1", CreatedAt: t0, Text: "La CHEMISE arrachée, quelle honte! https://x.co/abc @acme #Boycott",
			Hashtags: []string{"Boycott", "#boycott", "acme"}, Author: mention.Author{Handle: "a", Followers: 100},
			Sentiment: &mention.Sentiment{Score: -0.8, Label: mention.Negative}},
		{ID: "2", CreatedAt: t0.Add(10 * time.Second), Text: "chemise chemise chemise", Views: 5000,
			Author: mention.Author{Handle: "b", Followers: 2_000_000, EmployeeID: "e7"}},
		{ID: "3", CreatedAt: t0.Add(20 * time.Second), Text: "this is with that", Author: mention.Author{Handle: "a", Followers: 120}},
	}
	for _, m := range ms {
		if err := w.Add("acme", m); err != nil {
			t.Fatal(err)
		}
	}
	var m Minute
	for _, wm := range w.Advance(t0.Add(7 * time.Minute)) {
		if wm.Start.Equal(t0) {
			m = wm.Minute
		}
	}
	if m.Volume != 3 || m.Negatives != 1 || m.Employees != 1 || m.Authors != 2 || m.Reach != 100+5000+120 {
		t.Errorf("counts: %+v", m)
	}
	if m.Terms["chemise"] != 2 || m.Terms["honte"] != 1 || m.Terms["arrachée"] != 1 {
		t.Errorf("terms = %v, want chemise:2 (once per post), honte:1, arrachée:1", m.Terms)
	}
	for _, bad := range []string{"this", "with", "that", "https", "acme", "boycott", "abc"} {
		if _, ok := m.Terms[bad]; ok {
			t.Errorf("terms contain %q: %v", bad, m.Terms)
		}
	}
	if m.Hashtags["boycott"] != 1 || m.Hashtags["acme"] != 1 || len(m.Hashtags) != 2 {
		t.Errorf("hashtags = %v", m.Hashtags)
	}
	if len(m.Spreaders) == 0 || m.Spreaders[0].Handle != "b" || m.Spreaders[1].Posts != 2 {
		t.Errorf("spreaders = %+v", m.Spreaders)
	}
	if len(m.Posts) == 0 || m.Posts[0].ID != "2" {
		t.Errorf("posts = %+v, want the widest reach first", m.Posts)
	}
}

func TestWindowConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg   WindowConfig
		field string
	}{
		{WindowConfig{Lateness: -time.Second}, "lateness"},
		{WindowConfig{Lateness: 48 * time.Hour}, "lateness"},
		{WindowConfig{MaxFuture: -time.Second}, "max_future"},
		{WindowConfig{MaxGap: time.Second}, "max_gap"},
	} {
		_, err := NewWindow(tc.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%+v: err = %v, want a ConfigError on %s", tc.cfg, err, tc.field)
		}
	}
}
