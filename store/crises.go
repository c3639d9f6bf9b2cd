package store

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/detect"
)

// ConsumerCrises is the durable consumer of the crises writer.
const ConsumerCrises = "crises"

// CrisesInsert lists the columns crisisRow fills, in its order.
const CrisesInsert = `INSERT INTO crises (id, watch, status, severity, opened_at, at, observed, expected, score,
signals, top_terms, top_hashtags, employee_share, summary_fr, summary_en, detail, drill)`

// CrisesSink stores crisis lifecycle events (open, update, resolved) from
// EVENTS, one row per event.
var CrisesSink = Sink{
	Name: "write_crises", Stream: bus.StreamEvents, Durable: ConsumerCrises,
	Filter: []string{bus.SubjectEvents + "crisis.>"}, Insert: CrisesInsert, Row: crisisRow,
}

func crisisRow(msg jetstream.Msg, _ time.Time) ([]any, error) {
	var ev detect.Event
	if err := json.Unmarshal(msg.Data(), &ev); err != nil {
		return nil, err
	}
	if ev.ID == "" || ev.Watch == "" || ev.At.IsZero() {
		return nil, errors.New("crisis event without id, watch or time")
	}
	signals := make([]string, len(ev.Signals))
	for i, s := range ev.Signals {
		signals[i] = s.Name
	}
	terms := make([]string, len(ev.TopTerms))
	for i, t := range ev.TopTerms {
		terms[i] = t.Term
	}
	tags := make([]string, len(ev.TopHashtags))
	for i, t := range ev.TopHashtags {
		tags[i] = t.Term
	}
	return []any{ev.ID, ev.Watch, ev.Status, uint8(min(max(ev.Severity, 0), 255)), ev.OpenedAt.UTC(), ev.At.UTC(),
		ev.Observed, ev.Expected, ev.Score, signals, terms, tags, float32(ev.EmployeeShare),
		ev.Summary["fr"], ev.Summary["en"], string(msg.Data()), b2u(ev.Drill)}, nil
}
