package detect

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-project/vigie/mention"
)

// midBrand keeps the mention-level tests small enough for -race.
var midBrand = brand{peak: 5, overdisp: 30, negShare: 0.1, mondayPeak: true}

// crisisDay is a seeded engine and the mentions of the day of a crisis
// that starts at 14:00.
func crisisDay(t *testing.T) (cfg EngineConfig, history []Minute, ms []*mention.Mention, onset, end time.Time) {
	t.Helper()
	history = midBrand.series(1, monday, 2*minutesPerWeek, nil)
	start := monday.Add(2 * minutesPerWeek * time.Minute)
	onset = start.Add(14 * time.Hour)
	ms = midBrand.mentions(2, "acme", start, minutesPerDay, crisisBoost(onset, 2*time.Hour))
	return EngineConfig{}, history, ms, onset, start.Add(24 * time.Hour)
}

func TestEngineReplaysACrisis(t *testing.T) {
	cfg, history, ms, onset, end := crisisDay(t)
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Seed("acme", history); err != nil {
		t.Fatal(err)
	}
	events := e.Replay(ms, end)
	if len(events) < 2 {
		t.Fatalf("%d events, want a crisis thread", len(events))
	}
	open, last := events[0], events[len(events)-1]
	t.Logf("open: %s", open.Summary["en"])
	t.Logf("open: %s", open.Summary["fr"])
	if open.Status != StatusOpen || open.At.Before(onset) || open.At.After(onset.Add(10*time.Minute)) {
		t.Fatalf("first event %s at %s, want open within 10 min of %s", open.Status, open.At, onset)
	}
	if last.Status != StatusResolved || last.ID != open.ID {
		t.Fatalf("last event %s %s, want %s resolved", last.ID, last.Status, open.ID)
	}
	// The explanation: the new hashtag, the big account, sample posts.
	final := events[len(events)-2] // an update well into the crisis
	if !containsTerm(final.TopHashtags, "boycottacme") {
		t.Errorf("top hashtags %+v lack boycottacme", final.TopHashtags)
	}
	if !containsTerm(final.TopTerms, "chemise") && !containsTerm(final.TopTerms, "scandale") {
		t.Errorf("top terms %+v lack the crisis words", final.TopTerms)
	}
	if len(final.TopSpreaders) == 0 || final.TopSpreaders[0].Handle != "bigmedia" {
		t.Errorf("top spreaders %+v, want bigmedia first", final.TopSpreaders)
	}
	if len(final.TopPosts) == 0 || final.EmployeeShare <= 0 || final.NegativeShare < 0.3 {
		t.Errorf("posts %d, employee share %v, negative share %v", len(final.TopPosts), final.EmployeeShare, final.NegativeShare)
	}
	signals := map[string]bool{}
	for _, s := range final.Signals {
		signals[s.Name] = true
	}
	for _, name := range []string{SignalVolume, SignalNegativeShare, SignalReach, SignalNewTerm} {
		if !signals[name] {
			t.Errorf("signal %s missing from %+v", name, final.Signals)
		}
	}
	if st := e.Stats(); st.Accepted != int64(len(ms)) || st.Late+st.Future+st.Invalid != 0 {
		t.Errorf("stats %+v, want all %d mentions accepted", st, len(ms))
	}
}

func containsTerm(tcs []TermCount, term string) bool {
	for _, tc := range tcs {
		if tc.Term == term {
			return true
		}
	}
	return false
}

func TestEngineSnapshotRestoreMidCrisis(t *testing.T) {
	cfg, history, ms, onset, end := crisisDay(t)
	newEngine := func() *Engine {
		e, err := NewEngine(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Seed("acme", history); err != nil {
			t.Fatal(err)
		}
		return e
	}
	want := newEngine().Replay(ms, end)

	cut := onset.Add(time.Hour)
	var first, second []*mention.Mention
	for _, m := range ms {
		if m.CreatedAt.Before(cut) {
			first = append(first, m)
		} else {
			second = append(second, m)
		}
	}
	e := newEngine()
	got := e.Replay(first, time.Time{})
	if len(e.Open()) != 1 {
		t.Fatalf("open crises at the cut: %v", e.Open())
	}
	snap, err := e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	restarted, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := restarted.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if len(restarted.Open()) != 1 || restarted.Open()[0] != e.Open()[0] {
		t.Fatalf("after restore open = %v, want %v", restarted.Open(), e.Open())
	}
	got = append(got, restarted.Replay(second, end)...)
	if len(got) != len(want) {
		t.Fatalf("%d events with a restart, %d without", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Status != want[i].Status || !got[i].At.Equal(want[i].At) {
			t.Errorf("event %d: got %s %s %s, want %s %s %s", i, got[i].ID, got[i].Status, got[i].At, want[i].ID, want[i].Status, want[i].At)
		}
	}
	if err := restarted.Restore([]byte(`{"version":1,"watches":{"":{}}}`)); !errors.Is(err, ErrSnapshot) {
		t.Errorf("bad snapshot: err = %v, want ErrSnapshot", err)
	}
	if len(restarted.Open()) != 0 {
		// The crisis resolved during the replay; a failed restore must
		// not have changed anything.
		t.Errorf("after a failed restore open = %v", restarted.Open())
	}
}

func TestEngineQuietWatchesAndOverrides(t *testing.T) {
	src := `
window:
  lateness: 2m
detector:
  sensitivity: low
  time_zone: Europe/Paris
watches:
  acme:
    sensitivity: high
    drill: true
  silent: {}
`
	var cfg EngineConfig
	if err := yaml.Unmarshal([]byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Watches["acme"].Sensitivity != SensitivityHigh || cfg.Watches["acme"].TimeZone != "Europe/Paris" || !cfg.Watches["acme"].Drill {
		t.Errorf("override of acme = %+v, want high, Europe/Paris (inherited), drill", cfg.Watches["acme"])
	}
	if cfg.Watches["silent"].Sensitivity != SensitivityLow {
		t.Errorf("silent inherits %q, want low", cfg.Watches["silent"].Sensitivity)
	}
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= 7*24*60; i++ { // a week, minute by minute, without a post
		if ev := e.Advance(monday.Add(time.Duration(i) * time.Minute)); len(ev) != 0 {
			t.Fatalf("event on a silent week: %+v", ev[0])
		}
	}
	for _, w := range []string{"acme", "silent"} {
		v, ok := e.Verdict(w)
		if !ok || v.At.Before(monday.Add(7*24*time.Hour-5*time.Minute)) {
			t.Errorf("watch %s: last verdict %+v, want one for the last minutes", w, v)
		}
	}

	bad := strings.Replace(src, "sensitivity: high", "sensitivity: extreme", 1)
	if err := yaml.Unmarshal([]byte(bad), &cfg); err != nil {
		t.Fatal(err)
	}
	_, err = NewEngine(cfg)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "watches.acme.sensitivity" {
		t.Errorf("err = %v, want a ConfigError on watches.acme.sensitivity", err)
	}
}

// Early opening: with posts arriving in time order (a stream in real
// time), the crisis opens as soon as its minute is complete, not once the
// lateness has run out; the events are the same as with early opening
// off; and a post that comes later for a minute closed early is counted
// late.
func TestEngineOpensEarlyWithoutWaitingForTheLateness(t *testing.T) {
	cfg, history, ms, onset, end := crisisDay(t)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].CreatedAt.Before(ms[j].CreatedAt) })
	run := func(early bool) (events []Event, openSeen time.Time, e *Engine) {
		c := cfg
		c.Window.EarlyOpen = &early
		e, err := NewEngine(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Seed("acme", history); err != nil {
			t.Fatal(err)
		}
		collect := func(wm time.Time) {
			for _, ev := range e.Advance(wm) {
				if ev.Status == StatusOpen && openSeen.IsZero() {
					openSeen = wm
				}
				events = append(events, ev)
			}
		}
		for _, m := range ms {
			collect(m.CreatedAt)
			for _, w := range m.Watches {
				if err := e.Add(w, m); err != nil {
					t.Fatal(err)
				}
			}
		}
		collect(end)
		return events, openSeen, e
	}
	late, lateSeen, _ := run(false)
	early, earlySeen, e := run(true)
	if len(early) == 0 || early[0].Status != StatusOpen || early[0].At.Before(onset) {
		t.Fatalf("events %+v, want the crisis opened after %s", early, onset)
	}
	opened := early[0].At // the opening minute's start
	t.Logf("opened at minute %s: returned at watermark +%s (early) and +%s (after the lateness)",
		opened.Format("15:04"), earlySeen.Sub(opened), lateSeen.Sub(opened))
	if earlySeen.After(opened.Add(2 * time.Minute)) {
		t.Errorf("early: open returned at watermark %s, want within a minute of the minute's end %s", earlySeen, opened.Add(time.Minute))
	}
	if lateSeen.Before(opened.Add(time.Minute + DefaultLateness)) {
		t.Errorf("early_open off: open returned at watermark %s, before the lateness ran out", lateSeen)
	}
	if len(early) != len(late) {
		t.Fatalf("%d events with early opening, %d without", len(early), len(late))
	}
	for i := range early {
		a, b := early[i], late[i]
		if a.ID != b.ID || a.Status != b.Status || !a.At.Equal(b.At) || a.Severity != b.Severity || a.Mentions != b.Mentions {
			t.Fatalf("event %d differs: %s %s %s sev %d vs %s %s %s sev %d", i, a.ID, a.Status, a.At, a.Severity, b.ID, b.Status, b.At, b.Severity)
		}
	}
	if st := e.Stats(); st.EarlyClosed == 0 {
		t.Errorf("stats %+v: no minute closed early", st)
	}

	// A straggler for the opening minute, after the early close: late.
	e2, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e2.Seed("acme", history); err != nil {
		t.Fatal(err)
	}
	var straggler *mention.Mention
	for _, m := range ms {
		if m.CreatedAt.After(opened.Add(time.Minute)) {
			break
		}
		e2.Advance(m.CreatedAt)
		for _, w := range m.Watches {
			_ = e2.Add(w, m)
		}
		straggler = m
	}
	evs := e2.Advance(opened.Add(time.Minute + time.Second))
	if len(evs) == 0 || evs[0].Status != StatusOpen {
		t.Fatalf("events at the end of the opening minute: %+v, want the open", evs)
	}
	if err := e2.Add("acme", straggler); !errors.Is(err, ErrLate) {
		t.Fatalf("straggler for a minute closed early: %v, want ErrLate", err)
	}
}
