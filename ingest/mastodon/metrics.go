package mastodon

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the collector's counters. Names, help texts and labels are
// those every API collector uses (twitter, xapi, mastodon, bluesky,
// reddit): registering them again on one registry reuses the collectors
// already there, and the source label tells the collectors apart.
type metrics struct {
	requests     *prometheus.CounterVec // endpoint, code
	collected    *prometheus.CounterVec // feed
	rejected     *prometheus.CounterVec // reason
	waited       *prometheus.CounterVec // endpoint, reason
	reconnects   prometheus.Counter
	deletions    prometheus.Counter
	duration     prometheus.Observer
	streamEvents *prometheus.CounterVec // event
}

func newMetrics(reg prometheus.Registerer, source string) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigie_ingest_requests_total",
		Help: "HTTP requests collectors made to platform APIs, by endpoint and status code (error: no response).",
	}, []string{"source", "endpoint", "code"})
	collected := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigie_ingest_collected_total",
		Help: "Posts collectors published, by feed.",
	}, []string{"source", "feed"})
	rejected := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigie_ingest_rejected_total",
		Help: "Platform objects collectors skipped, by reason (malformed, invalid).",
	}, []string{"source", "reason"})
	waited := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigie_ingest_backoff_seconds_total",
		Help: "Time collectors spent waiting before retrying a platform API, by reason.",
	}, []string{"source", "endpoint", "reason"})
	reconnects := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigie_ingest_stream_reconnects_total",
		Help: "Streaming connections collectors opened again after losing one.",
	}, []string{"source"})
	deletions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigie_ingest_deletions_total",
		Help: "Deletion notices platforms sent for posts collectors may have published.",
	}, []string{"source"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "vigie_ingest_request_duration_seconds",
		Help:    "Time collectors' API requests took, up to the response headers.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"source"})
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigie_ingest_stream_events_total",
		Help: "Events read from streaming APIs, by event type.",
	}, []string{"source", "event"})

	var err error
	requests = register(reg, requests, &err)
	collected = register(reg, collected, &err)
	rejected = register(reg, rejected, &err)
	waited = register(reg, waited, &err)
	reconnects = register(reg, reconnects, &err)
	deletions = register(reg, deletions, &err)
	duration = register(reg, duration, &err)
	events = register(reg, events, &err)
	if err != nil {
		return nil, err
	}
	l := prometheus.Labels{"source": source}
	return &metrics{
		requests:     requests.MustCurryWith(l),
		collected:    collected.MustCurryWith(l),
		rejected:     rejected.MustCurryWith(l),
		waited:       waited.MustCurryWith(l),
		reconnects:   reconnects.WithLabelValues(source),
		deletions:    deletions.WithLabelValues(source),
		duration:     duration.WithLabelValues(source),
		streamEvents: events.MustCurryWith(l),
	}, nil
}

// register registers c on reg, or returns the collector already
// registered under the same description (another collector, or a second
// Source on the same registry). The first failure is kept in *err.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, err *error) C {
	e := reg.Register(c)
	if e == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(e, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	if *err == nil {
		*err = fmt.Errorf("metrics: %w", e)
	}
	return c
}
