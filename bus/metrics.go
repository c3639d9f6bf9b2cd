package bus

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the counters every stage shares, labelled by stage. Create
// one per registry and hand it to every stage.
type Metrics struct {
	In       *prometheus.CounterVec // messages taken from a stream
	Out      *prometheus.CounterVec // messages published or rows stored
	Rejected *prometheus.CounterVec // bad input, dead-lettered, by reason
	Retries  *prometheus.CounterVec // retried publishes, inserts
	Pending  *prometheus.GaugeVec   // consumer lag: not yet acknowledged
}

// NewMetrics registers the stage metrics on reg (a fresh registry if nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		In: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_stage_messages_in_total", Help: "Messages a stage took from its stream.",
		}, []string{"stage"}),
		Out: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_stage_messages_out_total", Help: "Messages a stage published, or rows it stored.",
		}, []string{"stage"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_stage_rejected_total", Help: "Input a stage rejected (dead-lettered or skipped), by reason.",
		}, []string{"stage", "reason"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_stage_retries_total", Help: "Publishes or inserts a stage had to retry.",
		}, []string{"stage"}),
		Pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigie_consumer_pending_messages", Help: "Messages not yet acknowledged by a durable consumer (lag).",
		}, []string{"consumer"}),
	}
	reg.MustRegister(m.In, m.Out, m.Rejected, m.Retries, m.Pending)
	return m
}
