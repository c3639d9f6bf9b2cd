package stage_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/detect"
	"github.com/vigie-project/vigie/mention"
)

// BenchmarkDetectionLatency measures, in real time, how long the detect
// stage takes from the mention that completes the surge minute (the
// watermark passes the minute's end: with early opening, the default, the
// minute is judged then rather than once the lateness has run out) to the
// crisis open event on EVENTS. The demo's week and crisis go through the
// stage first.
//
//	go test -run '^$' -bench DetectionLatency -benchtime 1x ./detect/stage/
func BenchmarkDetectionLatency(b *testing.B) {
	ms, open, cut := surgeCut(b)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bus := bustest.New(b)
		publishScored(b, bus, ms[:cut])
		// The stage's clock reads just past the completing mention, as in
		// real time: the week before is a backlog, caught up at once.
		stop := run(b, bus, ms[cut].CreatedAt.Add(time.Second))
		bustest.WaitFor(b, 5*time.Minute, "the history consumed", func() bool {
			n, err := bus.Pending(context.Background(), "SCORED", "detect")
			return err == nil && n == 0
		})
		sub, err := bus.JS.OrderedConsumer(context.Background(), "EVENTS", jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{"vigie.event.crisis." + open.Watch}, DeliverPolicy: jetstream.DeliverNewPolicy})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		publishScored(b, bus, ms[cut:cut+1])
		for {
			msg, err := sub.Next(jetstream.FetchMaxWait(time.Minute))
			if err != nil {
				b.Fatalf("no open event: %v", err)
			}
			var ev detect.Event
			if json.Unmarshal(msg.Data(), &ev) == nil && ev.Status == "open" {
				break
			}
		}
		total += time.Since(start)
		b.StopTimer()
		stop()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/detection")
}

// surgeCut replays the demo's mentions to find the crisis opening, and
// returns the index of the first mention at or after the end of its
// opening minute: the one that completes the minute.
func surgeCut(tb testing.TB) (ms []*mention.Mention, open *detect.Event, cut int) {
	tb.Helper()
	ms, _, end := demoMentions(tb)
	eng, err := detect.NewEngine(detect.EngineConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	for _, ev := range eng.Replay(ms, end) {
		if ev.Status == "open" {
			open = &ev
			break
		}
	}
	if open == nil {
		tb.Fatal("no crisis in the demo data")
	}
	completes := open.OpenedAt.Add(time.Minute)
	for cut < len(ms) && ms[cut].CreatedAt.Before(completes) {
		cut++
	}
	if cut == len(ms) {
		tb.Fatal("no mention after the opening minute")
	}
	return ms, open, cut
}

// In real time the stage opens the crisis once its minute is complete,
// without waiting for the lateness: the stage's clock stays one second
// past the completing mention, so no other way could close the minute.
func TestStageOpensEarlyInRealTime(t *testing.T) {
	ms, open, cut := surgeCut(t)
	b := bustest.New(t)
	publishScored(t, b, ms[:cut+1])
	now := ms[cut].CreatedAt.Add(time.Second)
	reg := prometheus.NewRegistry()
	defer runWith(t, b, now, reg)()
	sub, err := b.JS.OrderedConsumer(context.Background(), "EVENTS", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"vigie.event.crisis." + open.Watch}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := sub.Next(jetstream.FetchMaxWait(2 * time.Minute))
	if err != nil {
		t.Fatalf("no crisis event while the lateness holds the minute: %v", err)
	}
	var ev detect.Event
	if err := json.Unmarshal(msg.Data(), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Status != "open" || ev.ID != open.ID {
		t.Fatalf("event %s %s, want %s open", ev.ID, ev.Status, open.ID)
	}
	bustest.WaitFor(t, time.Minute, "the early-closed minutes counted", func() bool {
		mfs, err := reg.Gather()
		for _, mf := range mfs {
			if err == nil && mf.GetName() == "vigie_detect_early_closed_minutes_total" {
				return mf.GetMetric()[0].GetCounter().GetValue() >= 1
			}
		}
		return false
	})
}
