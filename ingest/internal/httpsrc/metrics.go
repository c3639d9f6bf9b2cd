package httpsrc

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the counters every HTTP collector updates. Their names,
// help texts and labels are shared by all collectors, which the source
// label tells apart: building several collectors on one registry reuses
// the collectors registered first.
type Metrics struct {
	Requests     *prometheus.CounterVec   // source, endpoint, code
	Collected    *prometheus.CounterVec   // source, feed
	Rejected     *prometheus.CounterVec   // source, reason
	Waited       *prometheus.CounterVec   // source, endpoint, reason
	Reconnects   *prometheus.CounterVec   // source
	Deletions    *prometheus.CounterVec   // source
	Duration     *prometheus.HistogramVec // source
	StreamEvents *prometheus.CounterVec   // source, event
}

// NewMetrics registers the metrics on reg (a fresh registry when nil), or
// reuses those already registered there.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_requests_total",
			Help: "HTTP requests collectors made to platform APIs, by endpoint and status code (error: no response).",
		}, []string{"source", "endpoint", "code"}),
		Collected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_collected_total",
			Help: "Posts collectors published, by feed.",
		}, []string{"source", "feed"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_rejected_total",
			Help: "Platform objects collectors skipped, by reason (malformed, invalid).",
		}, []string{"source", "reason"}),
		Waited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_backoff_seconds_total",
			Help: "Time collectors spent waiting before retrying a platform API, by reason.",
		}, []string{"source", "endpoint", "reason"}),
		Reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_stream_reconnects_total",
			Help: "Streaming connections collectors opened again after losing one.",
		}, []string{"source"}),
		Deletions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_deletions_total",
			Help: "Deletion notices platforms sent for posts collectors may have published.",
		}, []string{"source"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigie_ingest_request_duration_seconds",
			Help:    "Time collectors' API requests took, up to the response headers.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"source"}),
		StreamEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_stream_events_total",
			Help: "Events read from streaming APIs, by event type.",
		}, []string{"source", "event"}),
	}
	var err error
	m.Requests = register(reg, m.Requests, &err)
	m.Collected = register(reg, m.Collected, &err)
	m.Rejected = register(reg, m.Rejected, &err)
	m.Waited = register(reg, m.Waited, &err)
	m.Reconnects = register(reg, m.Reconnects, &err)
	m.Deletions = register(reg, m.Deletions, &err)
	m.Duration = register(reg, m.Duration, &err)
	m.StreamEvents = register(reg, m.StreamEvents, &err)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// SourceMetrics are Metrics with the source label set.
type SourceMetrics struct {
	Requests     *prometheus.CounterVec // endpoint, code
	Collected    *prometheus.CounterVec // feed
	Rejected     *prometheus.CounterVec // reason
	Waited       *prometheus.CounterVec // endpoint, reason
	Reconnects   prometheus.Counter
	Deletions    prometheus.Counter
	Duration     prometheus.Observer
	StreamEvents *prometheus.CounterVec // event
}

// NewSourceMetrics is NewMetrics with the source label set to source.
func NewSourceMetrics(reg prometheus.Registerer, source string) (*SourceMetrics, error) {
	m, err := NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	l := prometheus.Labels{"source": source}
	return &SourceMetrics{
		Requests:     m.Requests.MustCurryWith(l),
		Collected:    m.Collected.MustCurryWith(l),
		Rejected:     m.Rejected.MustCurryWith(l),
		Waited:       m.Waited.MustCurryWith(l),
		Reconnects:   m.Reconnects.WithLabelValues(source),
		Deletions:    m.Deletions.WithLabelValues(source),
		Duration:     m.Duration.WithLabelValues(source),
		StreamEvents: m.StreamEvents.MustCurryWith(l),
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
