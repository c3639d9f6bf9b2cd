package stage_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/detect"
)

// BenchmarkDetectionLatency measures, in real time, how long the detect
// stage takes from the mention that makes the surge minute closable (the
// watermark passes the minute's end plus the lateness) to the crisis open
// event on EVENTS. The demo's week and crisis go through the stage first.
//
//	go test -run '^$' -bench DetectionLatency -benchtime 1x ./detect/stage/
func BenchmarkDetectionLatency(b *testing.B) {
	ms, _, end := demoMentions(b)
	eng, err := detect.NewEngine(detect.EngineConfig{})
	if err != nil {
		b.Fatal(err)
	}
	var open *detect.Event
	for _, ev := range eng.Replay(ms, end) {
		if ev.Status == "open" {
			open = &ev
			break
		}
	}
	if open == nil {
		b.Fatal("no crisis in the demo data")
	}
	var wcfg detect.WindowConfig
	wcfg.SetDefaults()
	closes := open.OpenedAt.Add(time.Minute + wcfg.Lateness) // watermark that closes the minute
	cut := 0
	for cut < len(ms) && ms[cut].CreatedAt.Before(closes) {
		cut++
	}
	if cut == len(ms) {
		b.Fatal("no mention after the opening minute closes")
	}
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bus := bustest.New(b)
		publishScored(b, bus, ms[:cut])
		stop := run(b, bus, end)
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
	b.ReportMetric(wcfg.Lateness.Minutes(), "lateness_min")
}
