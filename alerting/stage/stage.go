// Package stage runs alerting inside vigie: it consumes crisis, gap and
// charter events from NATS, feeds the alerting Engine, dispatches and
// journals the deliveries, keeps the state in a KV bucket and takes acks.
package stage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/dispatch"
	"github.com/vigie-project/vigie/alerting/receiver"
	"github.com/vigie-project/vigie/bus"
)

// Errors callers test.
var (
	ErrNotRunning          = errors.New("stage: the alert stage is not running")
	ErrAlreadyAcknowledged = errors.New("stage: already acknowledged")
	ErrInvalidOption       = errors.New("stage: invalid option")
)

// StateKey is the key of the Engine's state in bus.BucketAlerts.
const StateKey = "engine"

// stageName names the stage in dead letters (vigie.dead.alert) and logs.
const stageName = "alert"

// pollWait bounds one pull: how long a stopping stage may wait for it.
const pollWait = time.Second

// saveTimeout bounds one KV put of the state.
const saveTimeout = 10 * time.Second

// Options are the stage's collaborators.
type Options struct {
	Log        *slog.Logger
	Registerer prometheus.Registerer // nil: metrics are not registered
	// PublicURL is how people reach vigie's HTTP server (console and ack
	// links); empty leaves the links out of messages.
	PublicURL string
	Clock     alerting.Clock // nil: the system clock
	// HTTPClient is used by the HTTP channels (proxies, TLS); nil: a client
	// with a 10 s timeout.
	HTTPClient *http.Client
	// WatchName gives a watch's display name from its id; nil: the id.
	WatchName func(id string) string
	// Dispatch bounds retries and queues; zero fields take the defaults.
	Dispatch dispatch.Config
	// Metrics, when set, also counts the events taken and rejected in the
	// counters every stage shares (stage="alert").
	Metrics *bus.Metrics
}

// Stage is the alert role of a vigie process. Exactly one process runs it:
// the state is one KV entry and its writer must be unique.
type Stage struct {
	b     *bus.Bus
	cfg   Config
	log   *slog.Logger
	clock alerting.Clock
	m     *metrics
	sm    *bus.Metrics // shared stage counters; may be nil
	conv  converter
	eng   *alerting.Engine
	disp  *dispatch.Dispatcher
	jrn   *journal

	running  atomic.Bool
	ready    atomic.Bool
	dirty    atomic.Bool // settled deliveries not yet saved
	inflight sync.WaitGroup
	wake     chan struct{}
	dctx     context.Context // the dispatcher's; Enqueue waits at most until it ends

	// mu makes each change of the state and the queuing of its deliveries
	// one step, so messages to one receiver keep the order of the decisions.
	mu       sync.Mutex
	kv       *bus.KVStore
	stopping bool
	expireAt time.Time       // next gap or charter thread to resolve by itself
	unacked  []jetstream.Msg // handled, acknowledged after the next save
	lastSave time.Time       // real time of the last save
	lastTick time.Time       // real time of the last tick

	// saveMu serialises saves, so each writes a newer state than the one
	// before; it is taken before mu.
	saveMu sync.Mutex

	retryMu sync.Mutex
	retryAt map[string]time.Time // delivery id → when to dispatch it again
}

// New builds the stage from the alerting section; it does no I/O (Run
// restores the state and starts consuming).
func New(b *bus.Bus, conn driver.Conn, cfg Config, opts Options) (*Stage, error) {
	if b == nil || b.JS == nil || b.NC == nil {
		return nil, fmt.Errorf("%w: nil bus", ErrInvalidOption)
	}
	if conn == nil {
		return nil, fmt.Errorf("%w: nil ClickHouse connection", ErrInvalidOption)
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", stageName)
	clock := opts.Clock
	if clock == nil {
		clock = alerting.SystemClock{}
	}
	publicURL := strings.TrimRight(opts.PublicURL, "/")
	if publicURL != "" {
		if u, err := url.Parse(publicURL); err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("%w: public URL %q is not an absolute URL", ErrInvalidOption, opts.PublicURL)
		}
	}
	watchName := opts.WatchName
	if watchName == nil {
		watchName = func(id string) string { return id }
	}
	chOpts := []alerting.Option{alerting.WithLogger(log)}
	if opts.HTTPClient != nil {
		chOpts = append(chOpts, alerting.WithHTTPClient(opts.HTTPClient))
	}
	notifiers, err := receiver.Build(&cfg.File, chOpts...)
	if err != nil {
		return nil, fmt.Errorf("stage: receivers: %w", err)
	}
	eng, err := alerting.NewEngine(cfg.File.Config, cfg.Settings(), clock)
	if err != nil {
		return nil, fmt.Errorf("stage: engine: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Stage{
		b: b, cfg: cfg, log: log, clock: clock, m: m, sm: opts.Metrics, eng: eng,
		conv: converter{publicURL: publicURL, consolePath: cfg.ConsolePath, gapSeverity: cfg.GapSeverity,
			watchName: watchName, now: clock.Now},
		wake:    make(chan struct{}, 1),
		retryAt: map[string]time.Time{},
	}
	s.jrn = newJournal(conn, log, m)
	s.disp, err = dispatch.New(notifiers, opts.Registerer, dispatch.WithLogger(log),
		dispatch.WithConfig(opts.Dispatch), dispatch.WithResults(s.onResult))
	if err != nil {
		return nil, fmt.Errorf("stage: dispatcher: %w", err)
	}
	return s, nil
}

// Run restores the state from the KV bucket, dispatches what the last run
// left undelivered, then consumes EVENTS with the durable "alert" consumer
// and runs escalations, digests and expiries on time, until ctx ends. It
// then stops taking events, lets the deliveries in flight finish (at most
// shutdown_grace), saves the state and flushes the journal.
func (s *Stage) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("stage: Run called twice")
	}
	kv, err := s.b.NewKVStore(ctx, bus.BucketAlerts)
	if err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	data, err := kv.Load(ctx, StateKey)
	if err != nil {
		return fmt.Errorf("stage: load state: %w", err)
	}
	if data != nil {
		// A state that cannot be read stops the stage rather than start
		// empty and page again for every open crisis.
		if err := s.eng.Restore(data); err != nil {
			return fmt.Errorf("stage: restore state from %s/%s: %w", bus.BucketAlerts, StateKey, err)
		}
	}
	cons, err := s.b.Consumer(ctx, bus.StreamEvents, bus.ConsumerAlert)
	if err != nil {
		return fmt.Errorf("stage: %w", err)
	}

	dctx, dcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer dcancel()
	s.dctx = dctx
	var dispDone sync.WaitGroup
	dispDone.Go(func() { _ = s.disp.Run(dctx) })
	journalStop := make(chan struct{})
	var journalDone sync.WaitGroup
	journalDone.Go(func() { s.jrn.run(journalStop) })

	s.mu.Lock()
	s.kv = kv
	pending := s.eng.Pending()
	s.enqueueLocked(pending)
	byKey := map[string][]alerting.Delivery{}
	for _, d := range pending {
		byKey[d.Notification.Key] = append(byKey[d.Notification.Key], d)
	}
	for key, ds := range byKey {
		s.publish(SubjectDeliveryPlanned, newPlanned(key, "", CauseRestart, s.clock.Now(), ds))
	}
	s.mu.Unlock()
	s.ready.Store(true)
	s.log.Info("alert_stage_started", "restored_bytes", len(data), "redispatched", len(pending))

	subs, err := s.serveCommands()
	if err != nil {
		s.log.Error("alert_commands_unavailable", "error", err)
	}
	var loops sync.WaitGroup
	loops.Go(func() { s.consume(ctx, cons) })
	loops.Go(func() { s.timers(ctx) })
	<-ctx.Done()
	loops.Wait()

	for _, sub := range subs {
		_ = sub.Unsubscribe()
	}
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.ready.Store(false)
	s.waitInflight(s.cfg.ShutdownGrace.D())
	dcancel()
	dispDone.Wait()

	// The last save, then the acks of the events it holds.
	if err := s.persist(context.Background()); err != nil {
		s.log.Error("alert_state_final_save_failed", "error", err)
	}
	close(journalStop)
	journalDone.Wait()
	s.log.Info("alert_stage_stopped")
	return nil
}

// handled is what taking one message produced.
type handled struct {
	msg   jetstream.Msg // acknowledged once the state holding it is saved
	ack   bool          // an ignored kind: acknowledged at once
	ds    []alerting.Delivery
	rows  []row
	plans []Planned
}

// consume pulls events and handles each as it arrives: its deliveries are
// queued at once, and the message is acknowledged once a save of the
// state holds it (persist, at most every snapshot_interval).
func (s *Stage) consume(ctx context.Context, cons jetstream.Consumer) {
	for ctx.Err() == nil {
		batch, err := cons.Fetch(s.cfg.Batch, jetstream.FetchMaxWait(pollWait))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("fetch_failed", "error", err)
			_ = sleepCtx(ctx, time.Second)
			continue
		}
		// A message taken is a message finished, even when ctx ends.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		for msg := range batch.Messages() {
			start := time.Now()
			s.mu.Lock()
			var h handled
			s.take(pctx, msg, &h)
			s.applyLocked(&h)
			s.mu.Unlock()
			s.m.handleSeconds.Observe(time.Since(start).Seconds())
			s.poke()
		}
		cancel()
		if err := batch.Error(); err != nil && !quietFetchErr(err) && ctx.Err() == nil {
			s.log.Warn("fetch_failed", "error", err)
		}
	}
}

// take converts and handles one message (s.mu held).
func (s *Stage) take(ctx context.Context, msg jetstream.Msg, g *handled) {
	kind := kindOf(msg.Subject())
	if s.sm != nil {
		s.sm.In.WithLabelValues(stageName).Inc()
	}
	n, err := s.conv.convert(msg.Subject(), msg.Headers(), msg.Data())
	switch {
	case errors.Is(err, errIgnored):
		s.m.events.WithLabelValues(kind, "ignored").Inc()
		g.msg, g.ack = msg, true
		return
	case err != nil:
		s.deadLetter(ctx, msg, kind, err)
		return
	}
	var before alerting.Thread
	if n.Status == alerting.StatusResolved {
		before, _ = s.eng.Thread(n.Key)
	}
	ds, err := s.eng.Handle(n)
	if err != nil {
		s.deadLetter(ctx, msg, kind, fmt.Errorf("%w: %w", errInvalid, err))
		return
	}
	s.m.events.WithLabelValues(kind, "handled").Inc()
	now := s.clock.Now()
	if n.Status == alerting.StatusResolved && before.Status != "" && before.Status != alerting.StatusResolved {
		g.rows = append(g.rows, rowFor(n, now, "", ActionResolved, "", summaryOf(n)))
	}
	g.ds = append(g.ds, ds...)
	g.plans = append(g.plans, newPlanned(n.Key, n.Status, CauseEvent, now, ds))
	g.msg = msg
}

func (s *Stage) deadLetter(ctx context.Context, msg jetstream.Msg, kind string, err error) {
	reason := "invalid"
	if errors.Is(err, errUndecodable) {
		reason = "undecodable"
	}
	s.m.events.WithLabelValues(kind, "dead_lettered").Inc()
	s.m.deadLettered.WithLabelValues(reason).Inc()
	if s.sm != nil {
		s.sm.Rejected.WithLabelValues(stageName, reason).Inc()
	}
	s.log.Error("event_dead_lettered", "subject", msg.Subject(), "reason", reason, "error", err)
	if derr := s.b.Dead(ctx, stageName, msg, err); derr != nil {
		s.log.Error("dead_letter_failed", "subject", msg.Subject(), "error", derr)
		_ = msg.NakWithDelay(5 * time.Second)
	}
}

// applyLocked queues the deliveries, journals and announces them, and
// keeps the message to acknowledge after the next save (s.mu held). Paging
// does not wait for the save: a crash before it may page again for these
// events (the delivery ids are stable, so PagerDuty, Alertmanager and the
// webhook's X-Vigie-Event absorb it); a clean stop saves first.
func (s *Stage) applyLocked(h *handled) {
	s.enqueueLocked(h.ds)
	s.jrn.add(h.rows...)
	for _, p := range h.plans {
		s.publish(SubjectDeliveryPlanned, p)
	}
	switch {
	case h.msg == nil:
	case h.ack:
		if err := h.msg.Ack(); err != nil {
			s.log.Warn("ack_failed", "subject", h.msg.Subject(), "error", err)
		}
	default:
		s.unacked = append(s.unacked, h.msg)
	}
}

// enqueueLocked hands deliveries to the dispatcher, counting them in
// flight. One the dispatcher cannot take (it is stopping) stays in the
// outbox for the next start.
func (s *Stage) enqueueLocked(ds []alerting.Delivery) {
	for _, d := range ds {
		s.inflight.Add(1)
		if err := s.disp.Enqueue(s.dctx, d); err != nil {
			s.inflight.Done()
			s.log.Warn("delivery_not_queued", "delivery", d.ID, "error", err)
		}
	}
}

// onResult is called by the dispatcher's workers with each outcome.
func (s *Stage) onResult(r dispatch.Result) {
	defer s.inflight.Done()
	d := &r.Delivery
	n := &d.Notification
	now := s.clock.Now()
	out := Outcome{ID: d.ID, Key: n.Key, Kind: n.Kind, Status: n.Status, Receiver: d.Receiver,
		Escalation: n.Escalation, Attempts: r.Attempts, Drill: n.Drill, At: now}
	var detail string
	switch {
	case r.Err == nil:
		s.eng.Settle(d.ID)
		s.dirty.Store(true)
		out.Action = ActionSent
		detail = fmt.Sprintf("attempts=%d", r.Attempts)
	case r.Retryable && s.dctx.Err() != nil:
		// Stopping: the delivery stays in the outbox for the next start.
		return
	case r.Retryable && now.Sub(d.CreatedAt) < s.cfg.GiveUpAfter.D():
		s.retryMu.Lock()
		s.retryAt[d.ID] = now.Add(s.cfg.RetryInterval.D())
		s.retryMu.Unlock()
		out.Action, out.Error, out.Retryable = ActionFailed, r.Err.Error(), true
		detail = fmt.Sprintf("attempts=%d, retry in %s: %v", r.Attempts, s.cfg.RetryInterval.D(), r.Err)
		s.poke()
	default:
		s.eng.Settle(d.ID)
		s.dirty.Store(true)
		out.Action, out.Error = ActionFailed, r.Err.Error()
		detail = fmt.Sprintf("attempts=%d, given up: %v", r.Attempts, r.Err)
	}
	s.jrn.add(rowFor(n, now, d.Receiver, out.Action, "", detail))
	s.publish(SubjectDeliveryResult, out)
}

// waitInflight waits until every queued delivery has an outcome, or d.
func (s *Stage) waitInflight(d time.Duration) {
	done := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("alert_deliveries_left_in_outbox", "grace", d)
	}
}

// poke wakes the timer loop to look at the next deadline again.
func (s *Stage) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func kindOf(subject string) string {
	rest, ok := strings.CutPrefix(subject, bus.SubjectEvents)
	if !ok {
		return "other"
	}
	kind, _, _ := strings.Cut(rest, ".")
	switch kind {
	case alerting.KindCrisis, alerting.KindCharter, alerting.KindGap:
		return kind
	}
	return "other"
}

func summaryOf(n *alerting.Notification) string {
	if s := n.Extra[extraSummaryEN]; s != "" {
		return s
	}
	return n.Kind + " " + n.Watch
}

// discardLogger is for helpers called without a logger.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func quietFetchErr(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages)
}
