package bus

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/ingest"
)

// GapReporter records collector gaps as a metric, a log line and an event
// on vigie.event.gap.<source> (the alerting stage routes kind "gap").
type GapReporter struct {
	b       *Bus
	log     *slog.Logger
	count   *prometheus.CounterVec
	seconds *prometheus.CounterVec
	missed  *prometheus.CounterVec
}

// NewGapReporter registers the gap metrics on reg (may be nil).
func (b *Bus) NewGapReporter(log *slog.Logger, reg prometheus.Registerer) *GapReporter {
	g := &GapReporter{
		b:   b,
		log: log.With("component", "gaps"),
		count: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_gaps_total", Help: "Gaps collectors know of, by source and reason.",
		}, []string{"source", "reason"}),
		seconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_gap_seconds_total", Help: "Time ranges collectors could not read.",
		}, []string{"source", "reason"}),
		missed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_missed_items_total", Help: "Items platforms said were not delivered.",
		}, []string{"source", "reason"}),
	}
	if reg != nil {
		reg.MustRegister(g.count, g.seconds, g.missed)
	}
	return g
}

// Report implements ingest.Gaps. It never fails the collector: a gap
// event that cannot be published is logged.
func (g *GapReporter) Report(ctx context.Context, gap ingest.Gap) {
	g.count.WithLabelValues(gap.Source, gap.Reason).Inc()
	if d := gap.To.Sub(gap.From); d > 0 {
		g.seconds.WithLabelValues(gap.Source, gap.Reason).Add(d.Seconds())
	}
	if gap.Missed > 0 {
		g.missed.WithLabelValues(gap.Source, gap.Reason).Add(float64(gap.Missed))
	}
	g.log.Warn("collector_gap", "source", gap.Source, "feed", gap.Feed, "from", gap.From, "to", gap.To,
		"missed", gap.Missed, "reason", gap.Reason)
	data, err := json.Marshal(gap)
	if err != nil {
		return
	}
	msg := nats.NewMsg(SubjectEvents + "gap." + gap.Source)
	msg.Data = data
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := g.b.JS.PublishMsg(pctx, msg); err != nil {
		g.log.Error("gap_event_publish_failed", "error", err)
	}
}
