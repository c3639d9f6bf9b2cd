package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// persist saves the state if anything changed since the last save, then
// acknowledges the events the save holds. The state is encoded outside mu,
// so events keep flowing while a large state is written.
func (s *Stage) persist(ctx context.Context) error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	if s.kv == nil {
		s.mu.Unlock()
		return ErrNotRunning
	}
	// Every message taken here was handled before the snapshot below.
	msgs := s.unacked
	s.unacked = nil
	wasDirty := s.dirty.Swap(false)
	s.lastSave = time.Now()
	s.mu.Unlock()
	if len(msgs) == 0 && !wasDirty {
		return nil
	}
	if err := s.write(ctx); err != nil {
		s.mu.Lock()
		s.unacked = append(msgs, s.unacked...)
		s.mu.Unlock()
		s.dirty.Store(true)
		return err
	}
	s.ackAll(msgs)
	return nil
}

// persistLocked is persist for callers that hold saveMu and mu (acks and
// timer steps, which save before they deliver).
func (s *Stage) persistLocked(ctx context.Context) error {
	msgs := s.unacked
	s.unacked = nil
	s.dirty.Store(false)
	s.lastSave = time.Now()
	if err := s.write(ctx); err != nil {
		s.unacked = append(msgs, s.unacked...)
		s.dirty.Store(true)
		return err
	}
	s.ackAll(msgs)
	return nil
}

// needsSaveLocked reports whether a save is owed (s.mu held).
func (s *Stage) needsSaveLocked() bool { return len(s.unacked) > 0 || s.dirty.Load() }

// write encodes the Engine's state and puts it in the KV bucket.
func (s *Stage) write(ctx context.Context) error {
	start := time.Now()
	data, err := s.eng.Snapshot()
	if err == nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
		err = s.kv.Save(sctx, StateKey, data)
		cancel()
	}
	if err != nil {
		s.m.snapshots.WithLabelValues("failed").Inc()
		return fmt.Errorf("stage: save state: %w", err)
	}
	s.m.snapshots.WithLabelValues("ok").Inc()
	s.m.snapshotBytes.Set(float64(len(data)))
	s.m.snapshotSeconds.Observe(time.Since(start).Seconds())
	return nil
}

func (s *Stage) ackAll(msgs []jetstream.Msg) {
	for _, m := range msgs {
		if err := m.Ack(); err != nil {
			s.log.Warn("ack_failed", "subject", m.Subject(), "error", err)
		}
	}
}
