package alerting

import (
	"encoding/json"
	"fmt"
	"time"
)

// Delivery is one notification for one receiver, produced by the Engine
// and handed to the dispatcher. ID is stable: a re-dispatch after a restart
// carries the same ID.
type Delivery struct {
	ID           string       `json:"id"`
	Receiver     string       `json:"receiver"`
	Notification Notification `json:"notification"`
	CreatedAt    time.Time    `json:"created_at"`
}

// State is everything the Engine remembers. It is plain data and
// serialises to JSON (Engine.Snapshot, Engine.Restore).
type State struct {
	Version   int                       `json:"version"`
	Seq       uint64                    `json:"seq"`
	Threads   map[string]*Thread        `json:"threads"`
	Receivers map[string]*ReceiverState `json:"receivers"`
	Outbox    []Delivery                `json:"outbox"` // produced, not yet settled
}

// Thread is the life of one Key: who was told what, and where escalation
// stands.
type Thread struct {
	Key        string                     `json:"key"`
	Generation int                        `json:"generation"` // +1 each time the key opens again after a resolution
	Status     string                     `json:"status"`     // open, acknowledged or resolved
	OpenedAt   time.Time                  `json:"opened_at"`
	Last       Notification               `json:"last"` // latest event, rendered for escalations, acks and the resolution
	Plan       Plan                       `json:"plan"`
	Level      int                        `json:"level"`    // escalation steps done
	LevelAt    time.Time                  `json:"level_at"` // when the current level was notified
	AckedBy    string                     `json:"acked_by,omitempty"`
	AckedAt    time.Time                  `json:"acked_at,omitzero"`
	ResolvedAt time.Time                  `json:"resolved_at,omitzero"`
	Members    []string                   `json:"members"` // receivers told about the thread, in order
	Sent       map[string]*ReceiverThread `json:"sent"`
}

// ReceiverThread is what one receiver last got about a thread.
type ReceiverThread struct {
	At          time.Time `json:"at"`
	Fingerprint string    `json:"fingerprint"`
	Severity    int       `json:"severity"`
	Observed    float64   `json:"observed"`
	Held        bool      `json:"held,omitempty"` // the last one was held back by the rate cap
}

// ReceiverState is a receiver's rate window and what it holds back.
type ReceiverState struct {
	Sent []time.Time   `json:"sent,omitempty"` // sends inside the rate window
	Held []DigestEntry `json:"held,omitempty"`
}

// Stats counts what the Engine decided since it was created.
type Stats struct {
	Threads      int `json:"threads"`       // threads opened
	Deliveries   int `json:"deliveries"`    // deliveries produced
	Absorbed     int `json:"absorbed"`      // updates not sent: identical or not significant within the cooldown
	Held         int `json:"held"`          // held back by a rate cap
	Digests      int `json:"digests"`       // digests produced
	Escalations  int `json:"escalations"`   // escalation steps taken
	Acks         int `json:"acks"`          // acknowledgements
	Stale        int `json:"stale"`         // events older than what the thread already knew, or about resolved threads
	Unrouted     int `json:"unrouted"`      // resolutions of unknown threads
	GarbageFreed int `json:"garbage_freed"` // resolved threads forgotten after the retention
}

// Snapshot serialises the state to JSON (for a NATS KV bucket).
func (e *Engine) Snapshot() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, err := json.Marshal(&e.state)
	if err != nil {
		return nil, fmt.Errorf("alerting: snapshot: %w", err)
	}
	return b, nil
}

// Restore replaces the state with a snapshot.
func (e *Engine) Restore(b []byte) error {
	st := newState()
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("alerting: restore: %w", err)
	}
	if st.Version != StateVersion {
		return fmt.Errorf("%w: %d (this build reads %d)", ErrStateVersion, st.Version, StateVersion)
	}
	if st.Threads == nil {
		st.Threads = map[string]*Thread{}
	}
	if st.Receivers == nil {
		st.Receivers = map[string]*ReceiverState{}
	}
	for key, th := range st.Threads {
		if th == nil {
			return fmt.Errorf("alerting: restore: thread %q is null", key)
		}
		if th.Sent == nil {
			th.Sent = map[string]*ReceiverThread{}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state = st
	return nil
}
