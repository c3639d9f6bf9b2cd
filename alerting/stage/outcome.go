package stage

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/vigie-project/vigie/alerting"
)

// Plain NATS subjects (not stored in a stream: they are for whoever listens
// now, like `vigie drill`) on which the stage tells what it decided and how
// each delivery went. The journal in ClickHouse is the durable record.
const (
	SubjectDeliveryPlanned = "vigie.alert.delivery.planned" // a Planned per event, ack or timer step and thread
	SubjectDeliveryResult  = "vigie.alert.delivery.result"  // an Outcome per delivery attempt series
)

// Causes of a Planned.
const (
	CauseEvent   = "event"   // an EVENTS message
	CauseAck     = "ack"     // an acknowledgement
	CauseTimer   = "timer"   // escalation, digest or expiry
	CauseRestart = "restart" // outbox dispatched again at start
)

// Planned says what the stage will deliver for one thread after one
// decision; Deliveries may be empty (an update absorbed by the cooldown, an
// event with no route).
type Planned struct {
	Key        string            `json:"key"`
	Status     string            `json:"status,omitempty"` // the event's status, for CauseEvent
	Cause      string            `json:"cause"`
	At         time.Time         `json:"at"`
	Deliveries []PlannedDelivery `json:"deliveries"`
	Drill      bool              `json:"drill,omitempty"`
}

// PlannedDelivery is one delivery decided.
type PlannedDelivery struct {
	ID         string `json:"id"`
	Receiver   string `json:"receiver"`
	Status     string `json:"status"`
	Kind       string `json:"kind"`
	Escalation int    `json:"escalation,omitempty"`
}

// Outcome is how one delivery went: Action is "sent" or "failed" (Retryable
// when it will be tried again).
type Outcome struct {
	ID         string    `json:"id"`
	Key        string    `json:"key"`
	Kind       string    `json:"kind"`
	Status     string    `json:"status"`
	Receiver   string    `json:"receiver"`
	Escalation int       `json:"escalation,omitempty"`
	Action     string    `json:"action"`
	Error      string    `json:"error,omitempty"`
	Retryable  bool      `json:"retryable,omitempty"`
	Attempts   int       `json:"attempts"`
	Drill      bool      `json:"drill,omitempty"`
	At         time.Time `json:"at"`
}

func newPlanned(key, status, cause string, at time.Time, ds []alerting.Delivery) Planned {
	p := Planned{Key: key, Status: status, Cause: cause, At: at, Deliveries: make([]PlannedDelivery, 0, len(ds))}
	for _, d := range ds {
		n := &d.Notification
		p.Drill = p.Drill || n.Drill
		p.Deliveries = append(p.Deliveries, PlannedDelivery{ID: d.ID, Receiver: d.Receiver, Status: n.Status, Kind: n.Kind, Escalation: n.Escalation})
	}
	return p
}

// publish sends v as JSON on a plain NATS subject. It never blocks paging:
// a publish the connection refuses is logged.
func (s *Stage) publish(subject string, v any) {
	data, err := json.Marshal(v)
	if err == nil {
		err = s.b.NC.Publish(subject, data)
	}
	if err != nil {
		s.log.Warn("alert_outcome_publish_failed", "subject", subject, "error", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
