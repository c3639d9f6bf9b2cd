package xapi

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the collector's counters. The names are shared with the
// other API collectors (label source tells them apart), so registering
// twice on one registry reuses the first collectors.
type metrics struct {
	requests   *prometheus.CounterVec // source, endpoint, code
	collected  *prometheus.CounterVec // source, feed
	rejected   *prometheus.CounterVec // source, reason
	waited     *prometheus.CounterVec // source, endpoint, reason
	reconnects *prometheus.CounterVec // source
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_requests_total",
			Help: "HTTP requests collectors made to platform APIs, by endpoint and status code (error: no response).",
		}, []string{"source", "endpoint", "code"}),
		collected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_collected_total",
			Help: "Posts collectors published, by feed.",
		}, []string{"source", "feed"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_rejected_total",
			Help: "Platform objects collectors skipped, by reason (malformed, invalid).",
		}, []string{"source", "reason"}),
		waited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_backoff_seconds_total",
			Help: "Time collectors spent waiting before retrying a platform API, by reason.",
		}, []string{"source", "endpoint", "reason"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_ingest_stream_reconnects_total",
			Help: "Streaming connections collectors opened again after losing one.",
		}, []string{"source"}),
	}
	var err error
	m.requests, err = register(reg, m.requests)
	if err == nil {
		m.collected, err = register(reg, m.collected)
	}
	if err == nil {
		m.rejected, err = register(reg, m.rejected)
	}
	if err == nil {
		m.waited, err = register(reg, m.waited)
	}
	if err == nil {
		m.reconnects, err = register(reg, m.reconnects)
	}
	if err != nil {
		return nil, fmt.Errorf("xapi: metrics: %w", err)
	}
	return m, nil
}

// register registers c, or returns the collector already registered
// under the same description.
func register(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return nil, err
}
