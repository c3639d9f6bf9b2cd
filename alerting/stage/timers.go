package stage

import (
	"context"
	"encoding/json"
	"time"

	"github.com/vigie-project/vigie/alerting"
)

// timers runs what is due by time: escalations and digests
// (Engine.Tick at Engine.NextTick), gap and charter threads that resolve
// by themselves, deliveries to try again — at the earliest of these and at
// least every tick_interval (so a fake clock in tests is seen within that)
// — and the saves of the state, at most every snapshot_interval.
func (s *Stage) timers(ctx context.Context) {
	s.mu.Lock()
	s.lastTick = time.Now()
	s.mu.Unlock()
	for {
		tickIn, saveIn := s.untilDue()
		t := time.NewTimer(max(min(tickIn, saveIn), time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
			t.Stop()
			continue
		case <-t.C:
		}
		if tickIn, _ = s.untilDue(); tickIn <= 0 {
			s.tick(ctx)
			continue
		}
		if err := s.persist(ctx); err != nil {
			s.log.Error("alert_state_save_failed", "error", err)
		}
	}
}

// untilDue is how long until the next tick and the next save (a long time
// when no save is owed).
func (s *Stage) untilDue() (tick, save time.Duration) {
	now, wall := s.clock.Now(), time.Now()
	s.mu.Lock()
	tick = s.cfg.TickInterval.D() - wall.Sub(s.lastTick)
	expireAt := s.expireAt
	save = time.Hour
	if s.needsSaveLocked() {
		save = s.cfg.SnapshotInterval.D() - wall.Sub(s.lastSave)
	}
	s.mu.Unlock()
	until := func(at time.Time) {
		if !at.IsZero() {
			tick = min(tick, at.Sub(now))
		}
	}
	if next, ok := s.eng.NextTick(); ok {
		until(next)
	}
	until(expireAt)
	s.retryMu.Lock()
	for _, at := range s.retryAt {
		until(at)
	}
	s.retryMu.Unlock()
	return tick, save
}

// tick does what is due now, saving the state before delivering.
func (s *Stage) tick(ctx context.Context) {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastTick = time.Now()
	if s.stopping || s.kv == nil {
		return
	}
	now := s.clock.Now()
	ds := s.eng.Tick()
	var rows []row
	plans := map[string][]alerting.Delivery{}
	for _, d := range ds {
		n := &d.Notification
		switch {
		case n.Kind == alerting.KindDigest:
			rows = append(rows, rowFor(n, now, d.Receiver, ActionDigest, "", digestDetail(n)))
		case n.Escalation > 0:
			rows = append(rows, rowFor(n, now, d.Receiver, ActionEscalated, "", "level "+itoa(n.Escalation)))
		}
		plans[n.Key] = append(plans[n.Key], d)
	}
	expired, expRows := s.expireLocked(now)
	rows = append(rows, expRows...)
	for _, d := range expired {
		plans[d.Notification.Key] = append(plans[d.Notification.Key], d)
	}
	ds = append(ds, expired...)
	if len(ds) > 0 || len(expRows) > 0 || s.needsSaveLocked() {
		if err := s.persistLocked(ctx); err != nil {
			s.log.Error("alert_state_save_failed", "error", err)
		}
	}
	ds = append(ds, s.dueRetries(now)...)
	s.enqueueLocked(ds)
	s.jrn.add(rows...)
	for key, kds := range plans {
		s.publish(SubjectDeliveryPlanned, newPlanned(key, "", CauseTimer, now, kds))
	}
}

// expireLocked resolves the gap threads whose source has been quiet for
// gap_resolve_after and the charter threads older than
// charter_resolve_after, and remembers when the next one is due. It also
// refreshes the thread gauges.
func (s *Stage) expireLocked(now time.Time) ([]alerting.Delivery, []row) {
	st, err := s.state()
	if err != nil {
		s.log.Error("alert_state_unreadable", "error", err)
		return nil, nil
	}
	counts := map[string]int{alerting.StatusOpen: 0, alerting.StatusAcknowledged: 0, alerting.StatusResolved: 0}
	var (
		out  []alerting.Delivery
		rows []row
		next time.Time
	)
	for _, th := range st.Threads {
		counts[th.Status]++
		if th.Status == alerting.StatusResolved {
			continue
		}
		deadline := s.expiry(th)
		if deadline.IsZero() {
			continue
		}
		if deadline.After(now) {
			if next.IsZero() || deadline.Before(next) {
				next = deadline
			}
			continue
		}
		n := &alerting.Notification{
			Key: th.Key, Kind: th.Last.Kind, Status: alerting.StatusResolved, Severity: th.Last.Severity,
			Watch: th.Last.Watch, WatchName: th.Last.WatchName, Drill: th.Last.Drill, At: laterOf(now, th.Last.At),
		}
		ds, err := s.eng.Handle(n)
		if err != nil {
			s.log.Error("alert_expiry_failed", "key", th.Key, "error", err)
			continue
		}
		out = append(out, ds...)
		rows = append(rows, rowFor(n, now, "", ActionResolved, "", "expired: no news since "+th.Last.At.UTC().Format(time.RFC3339)))
		counts[th.Status]--
		counts[alerting.StatusResolved]++
	}
	s.expireAt = next
	for status, c := range counts {
		s.m.threads.WithLabelValues(status).Set(float64(c))
	}
	return out, rows
}

// expiry is when an open gap or charter thread resolves by itself (zero
// for the other kinds: the detector resolves crises).
func (s *Stage) expiry(th *alerting.Thread) time.Time {
	switch th.Last.Kind {
	case alerting.KindGap:
		base := th.Last.At
		if until, err := time.Parse(time.RFC3339, th.Last.Extra[extraGapUntil]); err == nil {
			base = laterOf(base, until)
		}
		return base.Add(s.cfg.GapResolveAfter.D())
	case alerting.KindCharter:
		return th.Last.At.Add(s.cfg.CharterResolveAfter.D())
	}
	return time.Time{}
}

// dueRetries returns the deliveries whose retry time has come and that are
// still in the outbox.
func (s *Stage) dueRetries(now time.Time) []alerting.Delivery {
	s.retryMu.Lock()
	due := map[string]bool{}
	for id, at := range s.retryAt {
		if !at.After(now) {
			due[id] = true
			delete(s.retryAt, id)
		}
	}
	s.retryMu.Unlock()
	if len(due) == 0 {
		return nil
	}
	var out []alerting.Delivery
	for _, d := range s.eng.Pending() {
		if due[d.ID] {
			out = append(out, d)
			s.m.redispatched.Inc()
		}
	}
	return out
}

// state decodes the Engine's state (threads are not otherwise listed).
func (s *Stage) state() (*alerting.State, error) {
	data, err := s.eng.Snapshot()
	if err != nil {
		return nil, err
	}
	var st alerting.State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func digestDetail(n *alerting.Notification) string {
	return itoa(len(n.Digest)) + " held back"
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
