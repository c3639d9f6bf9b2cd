package dispatch

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are per receiver. Latencies are in seconds.
type metrics struct {
	sent     *prometheus.CounterVec
	failed   *prometheus.CounterVec
	retries  *prometheus.CounterVec
	notify   *prometheus.HistogramVec
	delivery *prometheus.HistogramVec
	queue    *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (metrics, error) {
	buckets := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}
	m := metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_alert_notifications_sent_total",
			Help: "Notifications delivered, per receiver.",
		}, []string{"receiver"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_alert_notifications_failed_total",
			Help: "Notifications given up after the last attempt, per receiver.",
		}, []string{"receiver"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_alert_notification_retries_total",
			Help: "Attempts made again after a retryable failure, per receiver.",
		}, []string{"receiver"}),
		notify: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigie_alert_notify_duration_seconds",
			Help:    "Duration of one Notify call (one attempt), per receiver.",
			Buckets: buckets,
		}, []string{"receiver"}),
		delivery: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigie_alert_delivery_duration_seconds",
			Help:    "Time from enqueue to the final outcome of a delivery (queueing and retries included), per receiver.",
			Buckets: buckets,
		}, []string{"receiver"}),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigie_alert_queue_length",
			Help: "Deliveries waiting in a receiver's queue.",
		}, []string{"receiver"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.sent, m.failed, m.retries, m.notify, m.delivery, m.queue} {
		if err := reg.Register(c); err != nil {
			return metrics{}, fmt.Errorf("dispatch: register metrics: %w", err)
		}
	}
	return m, nil
}
