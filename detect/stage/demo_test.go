package stage_test

import (
	"testing"
	"time"

	"github.com/vigie-project/vigie/analysis"
	"github.com/vigie-project/vigie/detect"
	"github.com/vigie-project/vigie/ingest/simulate"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

// demoMentions generates the demo's quiet week and crisis, analysed by
// the real analyzer, with its watches.
func demoMentions(t testing.TB) (ms []*mention.Mention, onset, end time.Time) {
	cfg := simulate.Demo()
	cfg.SetDefaults()
	specs := make([]watch.Spec, 0, len(cfg.Brands))
	for _, b := range cfg.Brands {
		q := `"` + b.Name + `"`
		for _, a := range b.Aliases {
			q += " OR " + a
		}
		if cfg.Crisis != nil && cfg.Crisis.Brand == b.ID {
			for _, h := range cfg.Crisis.Hashtags {
				q += " OR " + h
			}
		}
		kind := watch.KindCompetitor
		if b.Kind == simulate.KindBrand {
			kind = watch.KindBrand
		}
		specs = append(specs, watch.Spec{ID: b.ID, Name: b.Name, Kind: kind, Query: q})
	}
	w, err := watch.Compile(specs)
	if err != nil {
		t.Fatal(err)
	}
	an, err := analysis.NewAnalyzer(w, nil, analysis.CharterConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 10, 5, 16, 0, 0, 0, time.UTC) // a Monday afternoon
	from := start.Add(-cfg.History)
	onset = start.Add(-cfg.Crisis.OnsetBeforeNow)
	end = start
	err = simulate.Generate(cfg, from, end, func(m *mention.Mention) error {
		an.Analyze(m)
		ms = append(ms, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ms, onset, end
}

// The demo's scripted crisis opens within 10 minutes (event time) of its
// onset, and nothing opens in the quiet week before it.
func TestDemoCrisisDetectedQuietWeekSilent(t *testing.T) {
	ms, onset, end := demoMentions(t)
	cfg := detect.EngineConfig{}
	eng, err := detect.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	events := eng.Replay(ms, end)
	var first *detect.Event
	for i, ev := range events {
		if ev.OpenedAt.Before(onset) || ev.At.Before(onset) {
			t.Errorf("event before the onset (%s): %s %s %s at %s, observed %.0f expected %.1f",
				onset.Format(time.RFC3339), ev.Watch, ev.Status, ev.ID, ev.At.Format(time.RFC3339), ev.Observed, ev.Expected)
		}
		if ev.Status == "open" && first == nil {
			first = &events[i]
		}
	}
	if first == nil {
		t.Fatalf("the crisis was never detected (%d mentions, %d events)", len(ms), len(events))
	}
	if first.Watch != "airfrance" {
		t.Errorf("first crisis opened on %s, want airfrance", first.Watch)
	}
	delay := first.OpenedAt.Sub(onset)
	t.Logf("%d mentions; crisis %s opened %s after the onset, severity %d, %s", len(ms), first.ID, delay, first.Severity, first.Summary["en"])
	if delay > 10*time.Minute {
		t.Errorf("opened %s after the onset, want within 10 minutes", delay)
	}
}
