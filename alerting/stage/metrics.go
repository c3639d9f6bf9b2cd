package stage

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics of the stage (the dispatcher registers its own per receiver).
type metrics struct {
	events          *prometheus.CounterVec // kind, result
	deadLettered    *prometheus.CounterVec // reason
	handleSeconds   prometheus.Histogram
	snapshots       *prometheus.CounterVec // result
	snapshotBytes   prometheus.Gauge
	snapshotSeconds prometheus.Histogram
	journal         *prometheus.CounterVec // result
	journalFailures prometheus.Counter
	acks            *prometheus.CounterVec // via
	threads         *prometheus.GaugeVec   // status
	redispatched    prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	fast := []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_alert_events_total",
			Help: "EVENTS messages the alert stage took, by kind and result (handled, ignored, dead_lettered, retried).",
		}, []string{"kind", "result"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_alert_events_dead_lettered_total",
			Help: "Events the alert stage could not use, sent to vigie.dead.alert, by reason (undecodable, invalid).",
		}, []string{"reason"}),
		handleSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigie_alert_event_handle_seconds",
			Help:    "Time to handle one event: decode, route and group, queue its deliveries (the state save is apart).",
			Buckets: fast,
		}),
		snapshots: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_alert_state_saves_total",
			Help: "Saves of the alert state to the NATS KV bucket, by result (ok, failed).",
		}, []string{"result"}),
		snapshotBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigie_alert_state_bytes",
			Help: "Size of the last saved alert state.",
		}),
		snapshotSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigie_alert_state_save_seconds",
			Help:    "Duration of one save of the alert state (encode and KV put).",
			Buckets: fast,
		}),
		journal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_alert_journal_rows_total",
			Help: "Rows of the alerting journal (ClickHouse table alerts), by result (written, dropped).",
		}, []string{"result"}),
		journalFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigie_alert_journal_insert_failures_total",
			Help: "Journal inserts that failed after their attempts (the rows are kept and tried again).",
		}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_alert_acks_total",
			Help: "Acknowledgements applied, by how they came (http, nats).",
		}, []string{"via"}),
		threads: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigie_alert_threads",
			Help: "Alert threads the engine holds, by status (open, acknowledged, resolved).",
		}, []string{"status"}),
		redispatched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigie_alert_redispatched_total",
			Help: "Deliveries dispatched again after a failure worth retrying.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.events, m.deadLettered, m.handleSeconds, m.snapshots, m.snapshotBytes,
		m.snapshotSeconds, m.journal, m.journalFailures, m.acks, m.threads, m.redispatched} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("stage: register metrics: %w", err)
		}
	}
	return m, nil
}
